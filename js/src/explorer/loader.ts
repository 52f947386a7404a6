/**
 * Loading the Endpoints view: one `explorer.list` (rows on screen after one round trip), then
 * `explorer.details` in batches until every row has its details, with progress. Non-UI logic,
 * as logs/loader.ts is: the view subscribes and renders `state`.
 *
 * Rate limiting slows it down and never fails the view: names whose GET answered 429 or 503
 * (after the client's own retries), and whole batches that failed, go back in the queue; the
 * next batch waits (doubling up to MAX_DELAY_MS) and is smaller; a clean batch undoes both.
 * Other per-row errors mark the row (`detail_error`) and count as done. A reload keeps
 * nothing of the previous run but the details already known, shown until re-read.
 */
import type { Rpc } from "../bridge/rpc";
import { type ErrorView, toErrorView } from "../ui/errors";
import { normalizeDetailsReply, normalizeListReply, type Row } from "./model";

export const FIRST_BATCH = 48;
export const MAX_BATCH = 192;
export const MIN_BATCH = 8;
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;

export type LoadState = {
  phase: "idle" | "listing" | "details" | "done" | "failed";
  rows: Row[];
  me: string | null;
  /** Rows whose details are known (or failed for good) in this run. */
  detailed: number;
  total: number;
  /** Set while requests are being slowed down after a 429/503 or a failed batch. */
  slowedBy: ErrorView | null;
  /** The list call's failure (the view shows it; the rows shown before stay). */
  error: ErrorView | null;
};

const RETRYABLE = new Set([429, 503]);

function merged(fresh: Row, known: Row | undefined): Row {
  if (known === undefined || !known.detailed) return fresh;
  // Until re-read, keep the details already known (the list gives none of them).
  return {
    ...fresh,
    traffic: known.traffic,
    pending_version: known.pending_version,
    permission_level: known.permission_level,
    entities: fresh.entities.map((e) => ({
      ...e,
      state: known.entities.find((k) => k.name === e.name)?.state ?? null,
    })),
  };
}

export class EndpointsLoader {
  state: LoadState = {
    phase: "idle",
    rows: [],
    me: null,
    detailed: 0,
    total: 0,
    slowedBy: null,
    error: null,
  };
  private run = 0;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly rpc: Rpc,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => {
        this.timer = setTimeout(resolve, ms);
      }),
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.run += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Lists, then reads the details; a later call supersedes a run still going. */
  async load(): Promise<void> {
    this.run += 1;
    const run = this.run;
    this.set({ phase: "listing", error: null, slowedBy: null });
    let listed: ReturnType<typeof normalizeListReply>;
    try {
      listed = normalizeListReply(await this.rpc.request("explorer.list"));
    } catch (reason) {
      if (run === this.run) this.set({ phase: "failed", error: toErrorView(reason) });
      return;
    }
    if (run !== this.run) return;
    const known = new Map(this.state.rows.map((row) => [row.name, row]));
    const rows = listed.rows.map((row) => merged(row, known.get(row.name)));
    this.set({ phase: "details", rows, me: listed.me, detailed: 0, total: rows.length });
    await this.details(
      run,
      rows.map((row) => row.name),
    );
  }

  private async details(run: number, names: string[]): Promise<void> {
    const queue = [...names];
    let batch = FIRST_BATCH;
    let delay = 0;
    while (queue.length > 0) {
      if (delay > 0) await this.sleep(delay);
      if (run !== this.run || this.closed) return;
      const asked = queue.splice(0, batch);
      let retry: string[] = [];
      let slowedBy: ErrorView | null = null;
      try {
        const reply = normalizeDetailsReply(
          await this.rpc.request("explorer.details", { names: asked }),
        );
        if (run !== this.run) return;
        const answered = new Set([...reply.rows.map((r) => r.name), ...reply.missing]);
        const failed = new Map<string, ErrorView>();
        for (const { name, error } of reply.errors) {
          if (RETRYABLE.has(error.status ?? 0)) {
            retry.push(name);
            slowedBy = error;
          } else {
            failed.set(name, error);
          }
        }
        // A name the reply does not mention at all is asked again.
        for (const name of asked) {
          if (!answered.has(name) && !failed.has(name) && !retry.includes(name)) retry.push(name);
        }
        this.apply(reply.rows, new Set(reply.missing), failed);
      } catch (reason) {
        if (run !== this.run) return;
        retry = asked;
        slowedBy = toErrorView(reason);
      }
      if (retry.length > 0) {
        queue.push(...retry);
        delay = Math.min(MAX_DELAY_MS, delay === 0 ? FIRST_DELAY_MS : delay * 2);
        batch = Math.max(MIN_BATCH, Math.floor(batch / 2));
      } else {
        delay = 0;
        batch = Math.min(MAX_BATCH, batch * 2);
      }
      this.set({ slowedBy });
    }
    if (run === this.run) this.set({ phase: "done", slowedBy: null });
  }

  private apply(detailed: Row[], missing: Set<string>, failed: Map<string, ErrorView>): void {
    const byName = new Map(detailed.map((row) => [row.name, row]));
    let done = this.state.detailed;
    const rows: Row[] = [];
    for (const row of this.state.rows) {
      if (missing.has(row.name)) {
        done += 1; // deleted since the list: the row goes
        continue;
      }
      const fresh = byName.get(row.name);
      const error = failed.get(row.name);
      if (fresh !== undefined) {
        rows.push(fresh);
        done += 1;
      } else if (error !== undefined) {
        rows.push({ ...row, detail_error: error });
        done += 1;
      } else {
        rows.push(row);
      }
    }
    this.set({ rows, detailed: done });
  }

  private set(change: Partial<LoadState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of [...this.listeners]) listener();
  }
}
