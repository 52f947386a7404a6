/**
 * Reads one log into a LogBuffer through the panel's RPC: pages of `logs.page` one after the
 * other until the buffer holds `total` lines, then (while following) a `logs.follow` every
 * FOLLOW_MS that appends what was added, or reloads the log when Python says it was replaced.
 *
 * Every load starts a new generation; an answer that arrives for an older one is dropped, so a
 * quick change of entity or kind never mixes two logs. `dispose` stops the timer and drops
 * whatever is still on its way.
 */
import type { Rpc } from "../bridge/rpc";
import { type ErrorView, toErrorView } from "../ui/errors";
import { LogBuffer } from "./buffer";
import { type FollowResult, type LogTarget, normalizeFollow, normalizePage } from "./types";

/** Lines asked for per page; Python may answer with fewer (its size limit). */
export const PAGE_LINES = 20_000;
/** How often a followed log is read again. */
export const FOLLOW_MS = 2_000;
/** Pages restarted because the log changed under them, before giving up. */
const MAX_RESTARTS = 5;

export type Phase = "idle" | "loading" | "ready" | "error";

type Requester = Pick<Rpc, "request">;

export class LogLoader {
  readonly buffer = new LogBuffer();
  phase: Phase = "idle";
  /** Lines in the log, as Python last counted them. */
  total = 0;
  error: ErrorView | null = null;
  target: LogTarget | null = null;

  private generation = 0;
  private revision: number | null = null;
  private following = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polling: number | null = null; // generation of the follow request on its way
  private disposed = false;
  /** Aborts the requests of the current generation (and their reply timers in the Rpc). */
  private controller = new AbortController();

  constructor(
    private readonly rpc: Requester,
    private readonly onChange: () => void,
    private readonly followMs = FOLLOW_MS,
    private readonly pageLines = PAGE_LINES,
  ) {}

  /** Reads `target` from its first line, dropping what the buffer held. */
  load(target: LogTarget): void {
    if (this.disposed) return;
    this.target = target;
    this.buffer.clear();
    this.total = 0;
    this.restart();
  }

  /** Reads the same log again from its first line (the lines shown stay until it answers). */
  reload(): void {
    if (this.disposed || this.target === null) return;
    this.restart();
  }

  /** Polls while on (and the log is loaded); off stops the timer at once. */
  setFollow(on: boolean): void {
    this.following = on;
    if (on) {
      this.schedule();
    } else {
      this.stopTimer();
    }
  }

  get isFollowing(): boolean {
    return this.following;
  }

  dispose(): void {
    this.disposed = true;
    this.generation += 1;
    this.stopTimer();
    this.controller.abort();
  }

  private restart(): void {
    this.generation += 1;
    this.stopTimer();
    this.controller.abort();
    this.controller = new AbortController();
    this.polling = null;
    this.revision = null;
    this.error = null;
    this.phase = "loading";
    this.changed();
    void this.readPages(this.generation, 0);
  }

  private async readPages(generation: number, from: number): Promise<void> {
    const target = this.target;
    if (target === null) return;
    let offset = from;
    let restarts = 0;
    try {
      for (;;) {
        const page = normalizePage(
          await this.rpc.request<unknown>(
            "logs.page",
            {
              entity: target.entity,
              kind: target.kind,
              config_version: target.version,
              offset,
              limit: this.pageLines,
              refetch: false,
            },
            { signal: this.controller.signal },
          ),
        );
        if (generation !== this.generation) return;
        if (offset === 0) {
          this.buffer.clear();
          this.revision = page.source_revision;
        } else if (page.source_revision !== this.revision || page.offset !== this.buffer.length) {
          // The log was read again (and changed) between two pages: start over.
          restarts += 1;
          if (restarts > MAX_RESTARTS) {
            throw new Error("the log kept changing while it was read; reload to try again");
          }
          offset = 0;
          continue;
        }
        this.buffer.append(page.lines);
        this.total = page.total;
        this.changed();
        if (this.buffer.length >= page.total || page.lines.length === 0) break;
        offset = this.buffer.length;
      }
    } catch (reason) {
      if (generation === this.generation) this.fail(reason);
      return;
    }
    this.phase = "ready";
    this.changed();
    this.schedule();
  }

  private schedule(): void {
    if (
      !this.following ||
      this.disposed ||
      this.phase !== "ready" ||
      this.timer !== null ||
      this.polling === this.generation
    ) {
      return;
    }
    const generation = this.generation;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll(generation);
    }, this.followMs);
  }

  private async poll(generation: number): Promise<void> {
    const target = this.target;
    if (target === null || generation !== this.generation) return;
    this.polling = generation;
    let result: FollowResult;
    try {
      result = normalizeFollow(
        await this.rpc.request<unknown>(
          "logs.follow",
          {
            entity: target.entity,
            kind: target.kind,
            config_version: target.version,
            known: this.buffer.length,
            source_revision: this.revision,
          },
          { signal: this.controller.signal },
        ),
      );
    } catch (reason) {
      if (generation === this.generation) {
        this.polling = null;
        this.fail(reason);
      }
      return;
    }
    if (generation !== this.generation) return;
    this.polling = null;
    if (result.reset || result.offset !== this.buffer.length) {
      this.restart();
      return;
    }
    this.buffer.append(result.lines);
    this.total = result.total;
    this.revision = result.source_revision;
    this.changed();
    if (this.buffer.length < result.total && result.lines.length > 0) {
      this.phase = "loading";
      this.changed();
      void this.readPages(generation, this.buffer.length);
      return;
    }
    this.schedule();
  }

  private fail(reason: unknown): void {
    this.stopTimer();
    this.phase = "error";
    this.error = toErrorView(reason);
    this.changed();
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private changed(): void {
    if (!this.disposed) this.onChange();
  }
}
