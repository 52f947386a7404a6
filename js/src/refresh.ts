/**
 * Refreshing: how the view asks Python to re-read the endpoint, and when it asks on its own.
 *
 * One road (RefreshTrait): the browser bumps the synced `_refresh_request` trait
 * (set(current + 1), save_changes()); Python observes it, re-reads the endpoint and publishes a
 * snapshot with a higher `revision` (on failure the same snapshot, a higher revision and
 * `error` set). A trait and not a custom message, because marimo's reactivity only sees traits
 * the browser writes: a cell reading the panel re-runs after each refresh. A refresh is done
 * when a snapshot newer than the one shown at the bump arrives, whoever caused it; when none
 * arrives within REFRESH_TIMEOUT_MS the view says Python did not answer.
 *
 * Auto-refresh (AutoRefresh): when to ask.
 *
 * Policy (one timer at a time, never two polls in flight):
 * - while an update is in progress (`config_update == "IN_PROGRESS"`, or a pending config
 *   exists) the next poll is 2 s after the last one ends;
 * - otherwise it backs off: 5 s, 10 s, 20 s, 30 s, then every 60 s;
 * - the backoff restarts at 5 s whenever the snapshot's content changes (its revision and
 *   fetch time aside), whoever caused the change (this view, another view, Python);
 * - any new snapshot, changed or not, restarts the wait from now, so several views of one
 *   panel do not all poll: the first to poll resets the others' timers;
 * - a failed poll counts as an unchanged one (it backs off too);
 * - `setEnabled(false)` (the auto_refresh trait) and `stop()` (the view's cleanup) clear the
 *   timer; nothing is scheduled after `stop()`, even when a poll in flight settles later.
 */
import type { ScopedModel } from "./bridge/scoped-model";
import type { WaitWatch } from "./bridge/waiting";
import { isUpdating, normalizeSnapshot, type PanelState, type Snapshot } from "./model";

/** How long a refresh may take before the view says Python did not answer. */
export const REFRESH_TIMEOUT_MS = 30_000;

interface Waiting {
  promise: Promise<number>;
  resolve: (revision: number) => void;
  reject: (reason: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  stopListening: () => void;
  done: () => void;
}

/** The refresh road: bump `_refresh_request`, wait for a newer snapshot (see the top). */
export class RefreshTrait {
  private waiting: Waiting | undefined;
  private closed = false;

  constructor(
    private readonly model: ScopedModel<PanelState>,
    private readonly timeoutMs = REFRESH_TIMEOUT_MS,
    /** The view's WaitWatch: a refresh is a request to the kernel like any other. */
    private readonly waits?: WaitWatch,
  ) {}

  /**
   * Bumps the trait once and resolves with the newer snapshot's revision; while one refresh
   * is waiting, another call joins it instead of bumping again.
   */
  request(): Promise<number> {
    if (this.closed) return Promise.reject(new Error("the panel view was closed"));
    if (this.waiting !== undefined) return this.waiting.promise;
    // The revision shown at the bump: any snapshot above it ends the wait.
    const baseline = this.revision();
    let resolve!: (revision: number) => void;
    let reject!: (reason: Error) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const seconds = this.timeoutMs / 1000;
    const expire = (): void => {
      const waiting = this.waiting;
      if (waiting === undefined) return;
      if (this.waits?.kernelRunningCell === true) {
        waiting.timer = setTimeout(expire, this.timeoutMs); // queued behind a cell, not lost
        return;
      }
      this.settle(new Error(`no answer from Python to "refresh" within ${seconds} s`));
    };
    const timer = setTimeout(expire, this.timeoutMs);
    const stopListening = this.model.on("change:snapshot", () => {
      const revision = this.revision();
      if (revision > baseline) this.settle(undefined, revision);
    });
    const done = this.waits?.begin() ?? ((): void => undefined);
    this.waiting = { promise, resolve, reject, timer, stopListening, done };
    const current = this.model.get("_refresh_request");
    this.model.update("_refresh_request", (Number.isInteger(current) ? current : 0) + 1);
    return promise;
  }

  /** Stops waiting (the view's cleanup): a refresh still waiting is rejected, no timer stays. */
  close(): void {
    this.closed = true;
    this.settle(new Error("the panel view was closed"));
  }

  private revision(): number {
    return normalizeSnapshot(this.model.get("snapshot")).revision;
  }

  private settle(error: Error | undefined, revision = 0): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.stopListening();
    waiting.done();
    if (error === undefined) {
      waiting.resolve(revision);
    } else {
      waiting.reject(error);
    }
  }
}

export const UPDATING_DELAY_MS = 2_000;
export const BACKOFF_MS: readonly number[] = [5_000, 10_000, 20_000, 30_000, 60_000];

/** The wait before the next poll, after `step` polls in a row that changed nothing. */
export function delayFor(step: number, updating: boolean): number {
  if (updating) return UPDATING_DELAY_MS;
  const index = Math.min(Math.max(step, 0), BACKOFF_MS.length - 1);
  return BACKOFF_MS[index] ?? 60_000;
}

/** What counts as "something changed": the snapshot without its revision and fetch time. */
export function contentKey(snapshot: Snapshot): string {
  const { revision: _revision, fetched_at: _fetched, ...content } = snapshot;
  return JSON.stringify(content);
}

export class AutoRefresh {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private step = 0;
  private changedDuringPoll = false;
  private key: string | undefined;
  private updating = false;
  private enabled = false;
  private stopped = false;

  /** `poll` asks Python to refresh (RefreshTrait.request); it settles, at the latest on its timeout. */
  constructor(private readonly poll: () => Promise<unknown>) {}

  /** Feed every snapshot the view sees, the first one included. */
  observe(snapshot: Snapshot): void {
    const key = contentKey(snapshot);
    if (key !== this.key) {
      this.key = key;
      this.step = 0;
      this.changedDuringPoll = this.inFlight !== undefined;
    }
    this.updating = isUpdating(snapshot) || snapshot.pending !== null;
    this.schedule();
  }

  setEnabled(enabled: boolean): void {
    if (enabled && !this.enabled) this.step = 0;
    this.enabled = enabled;
    this.schedule();
  }

  /** Polls now (a refresh button); joins the poll in flight if there is one. */
  run(): Promise<void> {
    if (this.inFlight !== undefined) return this.inFlight;
    this.clear();
    this.changedDuringPoll = false;
    const settle = (): void => {
      this.inFlight = undefined;
      // The poll ends on the new snapshot, which the view may observe before or after the poll
      // settles; either way a change counts.
      if (!this.changedDuringPoll) this.step += 1;
      this.schedule();
    };
    const current = this.poll().then(settle, (reason: unknown) => {
      settle();
      throw reason;
    });
    this.inFlight = current;
    return current;
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  /** The wait the next poll is (or would be) scheduled with; for tests and tooltips. */
  get nextDelay(): number {
    return delayFor(this.step, this.updating);
  }

  get active(): boolean {
    return this.timer !== undefined;
  }

  private schedule(): void {
    this.clear();
    if (this.stopped || !this.enabled || this.inFlight !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed automatic poll is not the caller's error to handle: it only backs off.
      this.run().catch(() => undefined);
    }, this.nextDelay);
  }

  private clear(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
