/**
 * Whether the view is waiting on the kernel, and what to say about it.
 *
 * Every request to Python (an Rpc request, a refresh) is a ticket from `begin()` to `end()`.
 * The states, for the whole view:
 *
 *   idle ──begin──► pending ──SLOW_MS with a ticket still open──► waiting(kernel)
 *     ▲                │                                              │
 *     └── last end ────┴──────────────────── last end ────────────────┘
 *
 * `waiting` carries what the host says about the kernel (kernel.ts), so a view can say
 * "waiting for the kernel: it is running a cell" instead of a bare "loading…". A request that
 * fails is not a state here: each view shows the error in place of its "loading…".
 *
 * While the host says the kernel is running a cell, requests do not time out: the kernel takes
 * them once the cell ends, and the view says that is what it waits for.
 */
import { type KernelActivity, type KernelState, UNKNOWN_KERNEL } from "./kernel";

/** How long an unanswered request may take before the view says it waits for the kernel. */
export const SLOW_MS = 1_000;

export type Wait =
  | { phase: "idle" }
  | { phase: "pending" }
  | { phase: "waiting"; kernel: KernelState };

export class WaitWatch {
  private readonly open = new Map<number, ReturnType<typeof setTimeout> | null>();
  private readonly listeners = new Set<() => void>();
  private tickets = 0;
  private slow = 0; // open tickets older than SLOW_MS
  private current: Wait = { phase: "idle" };
  private readonly stopKernel: () => void;

  constructor(
    private readonly kernel: KernelActivity = UNKNOWN_KERNEL,
    private readonly slowMs = SLOW_MS,
  ) {
    this.stopKernel = kernel.subscribe(() => this.update());
  }

  get state(): Wait {
    return this.current;
  }

  /**
   * The host says the kernel is running a cell: a request still unanswered is queued behind
   * it, not lost, so its timeout should not count (Rpc and RefreshTrait re-arm theirs).
   */
  get kernelRunningCell(): boolean {
    return this.kernel.state === "running-cell";
  }

  /** Opens a ticket for a request just sent; the returned function closes it (once). */
  begin(): () => void {
    this.tickets += 1;
    const ticket = this.tickets;
    const timer = setTimeout(() => {
      if (!this.open.has(ticket)) return;
      this.open.set(ticket, null);
      this.slow += 1;
      this.update();
    }, this.slowMs);
    this.open.set(ticket, timer);
    this.update();
    return () => this.end(ticket);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes every ticket and stops listening (the view's cleanup). */
  dispose(): void {
    for (const ticket of [...this.open.keys()]) this.end(ticket);
    this.stopKernel();
    this.listeners.clear();
  }

  private end(ticket: number): void {
    if (!this.open.has(ticket)) return;
    const timer = this.open.get(ticket);
    this.open.delete(ticket);
    if (timer === null) {
      this.slow -= 1;
    } else if (timer !== undefined) {
      clearTimeout(timer);
    }
    this.update();
  }

  private update(): void {
    const next: Wait =
      this.open.size === 0
        ? { phase: "idle" }
        : this.slow === 0
          ? { phase: "pending" }
          : { phase: "waiting", kernel: this.kernel.state };
    if (sameWait(next, this.current)) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener();
  }
}

function sameWait(a: Wait, b: Wait): boolean {
  if (a.phase !== b.phase) return false;
  return a.phase !== "waiting" || a.kernel === (b as { kernel: KernelState }).kernel;
}

/**
 * What a view shows while its request is out: its own `loading` text at first, then why it
 * is waiting, saying only what the host told (kernel.ts).
 */
export function waitText(wait: Wait, loading = "loading…"): string {
  if (wait.phase !== "waiting") return loading;
  switch (wait.kernel) {
    case "running-cell":
      return "waiting for the kernel: it is running a cell…";
    case "restarting":
      return "waiting for the kernel: it is restarting…";
    case "dead":
      return "waiting for the kernel: it has stopped (restart it, then run the panel's cell again)";
    default:
      return "waiting for the kernel…";
  }
}
