/**
 * Drives the kernel's sampling while this view watches: one `metrics.sample` now, then one
 * each interval after the previous answer came back (never two on their way, so a busy kernel
 * gets no pile of requests). Python reads the endpoint's metrics at most once per interval
 * whatever the number of views, and answers with the reads this view has not seen yet.
 *
 * `start` when the Metrics tab is first shown; `dispose` when the view closes: then nothing
 * asks, and the kernel stops sampling (serving_panel/panel/metrics.py says why this design).
 * `setGone(true)` (the panel deleted the endpoint) stops the asking too: the phase becomes
 * "gone" and the samples already read stay on screen; `setGone(false)` (restored) resumes.
 */
import type { Rpc } from "../bridge/rpc";
import { type ErrorView, toErrorView } from "../ui/errors";
import { History, normalizeSample } from "./data";

/** Until Python says otherwise (each answer carries its interval). */
export const DEFAULT_INTERVAL_S = 10;

export type Phase = "idle" | "waiting" | "sampling" | "gone";

type Requester = Pick<Rpc, "request">;

export class MetricsSampler {
  readonly history = new History();
  phase: Phase = "idle";
  intervalS = DEFAULT_INTERVAL_S;
  /** The last read's failure, or the request's; cleared by the next good answer. */
  error: ErrorView | null = null;
  /** "last_minute", or "lifetime" for a workspace that sends lifetime counters. */
  window = "last_minute";
  /** Bumped on each change, so a view can key its memos on it. */
  version = 0;

  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped when the endpoint goes or comes back: an answer asked for before is dropped. */
  private generation = 0;
  private disposed = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly rpc: Requester,
    private readonly onChange: () => void,
  ) {}

  /** Starts asking (once; later calls do nothing). */
  start(): void {
    if (this.phase !== "idle" || this.disposed) return;
    this.phase = "waiting";
    this.changed();
    void this.ask();
  }

  /** Stops for good: no timer left, the answer on its way dropped. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.controller.abort();
  }

  private async ask(): Promise<void> {
    this.timer = null;
    const generation = this.generation;
    try {
      const raw = await this.rpc.request<unknown>(
        "metrics.sample",
        { after: this.history.last === 0 ? null : this.history.last },
        { signal: this.controller.signal },
      );
      if (this.disposed || generation !== this.generation) return;
      const reply = normalizeSample(raw);
      this.history.merge(reply);
      this.intervalS = reply.intervalS;
      this.window = reply.window;
      this.error = reply.error;
      this.phase = "sampling";
    } catch (reason) {
      if (this.disposed || generation !== this.generation) return;
      this.error = toErrorView(reason);
    }
    this.changed();
    this.timer = setTimeout(() => void this.ask(), this.intervalS * 1000);
  }

  /** The endpoint is gone (nothing to sample) or back; a sampler never started stays idle. */
  setGone(gone: boolean): void {
    if (this.disposed || this.phase === "idle" || gone === (this.phase === "gone")) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.generation += 1;
    this.phase = gone ? "gone" : "waiting";
    this.changed();
    if (!gone) void this.ask();
  }

  private changed(): void {
    this.version += 1;
    this.onChange();
  }
}
