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
 *
 * Following (`setFollowing(true)`, the explorer's `auto_refresh`), as the panel's auto-refresh
 * does: while some row has an update in progress, those rows' details are read again every
 * UPDATING_POLL_MS after the last read ended; every LIST_POLL_MS the list is read again, and
 * only rows that are new or whose list fields changed (state, update, last updated) get a GET,
 * so 5,000 quiet endpoints cost one list call a minute. One timer, never two reads in flight; a
 * manual reload supersedes a follow-up read still going. A follow-up read shows no progress
 * bar (the counts it would move are already complete).
 */
import type { Rpc } from "../bridge/rpc";
import { type ErrorView, toErrorView } from "../ui/errors";
import { normalizeDetailsReply, normalizeListReply, type Row } from "./model";

export const FIRST_BATCH = 48;
export const MAX_BATCH = 192;
export const MIN_BATCH = 8;
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;
/** Rows with an update in progress are read again this long after the last read ended. */
export const UPDATING_POLL_MS = 2_000;
/** The list is read again this long after the last list read. */
export const LIST_POLL_MS = 60_000;

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

/** Whether a row's details are worth reading again: an update runs, or will soon. */
export function isFollowed(row: Row): boolean {
  return row.updating || row.pending_version !== null;
}

/** Whether a re-listed row needs a GET: new, never read, or its list fields moved. */
function changed(fresh: Row, known: Row | undefined): boolean {
  return (
    known === undefined ||
    !known.detailed ||
    isFollowed(fresh) ||
    fresh.state !== known.state ||
    fresh.config_update !== known.config_update ||
    fresh.updated !== known.updated
  );
}

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
  private followTimer: ReturnType<typeof setTimeout> | null = null;
  private following = false;
  private reading = false;
  private listedAt = 0;
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
    this.unschedule();
    this.listeners.clear();
  }

  /** Turns following on or off (see the top); on, the next read is scheduled right away. */
  setFollowing(on: boolean): void {
    this.following = on;
    this.schedule();
  }

  /** Lists, then reads every row's details; a later call supersedes a run still going. */
  async load(): Promise<void> {
    await this.read(false);
  }

  private async read(followUp: boolean): Promise<void> {
    this.unschedule();
    this.run += 1;
    const run = this.run;
    this.reading = true;
    try {
      if (!followUp) this.set({ phase: "listing", error: null, slowedBy: null });
      let listed: ReturnType<typeof normalizeListReply>;
      try {
        listed = normalizeListReply(await this.rpc.request("explorer.list"));
      } catch (reason) {
        if (run !== this.run) return;
        // Followed or not, the next list read is a full interval away, not a busy retry.
        this.listedAt = Date.now();
        this.set({ phase: "failed", error: toErrorView(reason) });
        return;
      }
      if (run !== this.run) return;
      this.listedAt = Date.now();
      const known = new Map(this.state.rows.map((row) => [row.name, row]));
      const rows = listed.rows.map((row) => merged(row, known.get(row.name)));
      const names = followUp
        ? listed.rows.filter((row) => changed(row, known.get(row.name))).map((row) => row.name)
        : rows.map((row) => row.name);
      this.set(
        followUp
          ? { rows, me: listed.me, total: rows.length, detailed: rows.length, error: null }
          : { phase: "details", rows, me: listed.me, detailed: 0, total: rows.length },
      );
      await this.details(run, names, followUp);
    } finally {
      if (run === this.run) {
        this.reading = false;
        this.schedule();
      }
    }
  }

  /** Reads again the details of the rows an update runs on (the list is not read). */
  private async followUpdates(): Promise<void> {
    this.unschedule();
    this.run += 1;
    const run = this.run;
    this.reading = true;
    try {
      await this.details(
        run,
        this.state.rows.filter(isFollowed).map((row) => row.name),
        true,
      );
    } finally {
      if (run === this.run) {
        this.reading = false;
        this.schedule();
      }
    }
  }

  private schedule(): void {
    this.unschedule();
    if (!this.following || this.closed || this.reading) return;
    if (this.state.phase === "idle" || this.state.phase === "listing") return;
    const now = Date.now();
    const relist = Math.max(0, this.listedAt + LIST_POLL_MS - now);
    const updating = this.state.rows.some(isFollowed);
    if (updating && UPDATING_POLL_MS < relist) {
      this.followTimer = setTimeout(() => void this.followUpdates(), UPDATING_POLL_MS);
    } else {
      this.followTimer = setTimeout(() => void this.read(true), relist);
    }
  }

  private unschedule(): void {
    if (this.followTimer !== null) clearTimeout(this.followTimer);
    this.followTimer = null;
  }

  private async details(run: number, names: string[], followUp = false): Promise<void> {
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
        this.apply(reply.rows, new Set(reply.missing), failed, followUp);
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

  private apply(
    detailed: Row[],
    missing: Set<string>,
    failed: Map<string, ErrorView>,
    followUp: boolean,
  ): void {
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
    // A follow-up read moves rows, not the progress: its counts are already complete.
    this.set(followUp ? { rows } : { rows, detailed: done });
  }

  private set(change: Partial<LoadState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of [...this.listeners]) listener();
  }
}
