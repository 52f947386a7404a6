/**
 * What the host says about the kernel, for telling a user why an answer is late.
 *
 * anywidget's model API says nothing about the kernel. JupyterLab and Notebook 7 do, through
 * the widget manager the model proxy exposes (`model.widget_manager.kernel`, ipywidgets'
 * KernelWidgetManager: a Jupyter `IKernelConnection`, with `status`, `statusChanged` and
 * `iopubMessage`). Other hosts (marimo, VS Code, a saved page) expose none of this, so every
 * field is probed, never assumed: without it the state is "unknown" and views say only what is
 * known, that the kernel has not answered.
 *
 * A busy kernel is "running a cell" only when the status message says so: Jupyter's `status`
 * messages name the request they belong to (`parent_header.msg_type`), and a cell is an
 * `execute_request`; a kernel busy with the panel's own message (a `comm_msg`) is not.
 */

export type KernelState =
  /** Busy with an `execute_request`: running a cell (the panel's request waits behind it). */
  | "running-cell"
  /** Busy, for a reason the host did not say (or with the panel's own request). */
  | "busy"
  | "idle"
  | "restarting"
  | "dead"
  /** The host exposes no kernel status (marimo, VS Code) or one this does not know. */
  | "unknown";

export interface KernelActivity {
  readonly state: KernelState;
  /** Calls `listener` on every change of `state`; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  dispose(): void;
}

interface Signal<T> {
  connect(slot: (sender: unknown, value: T) => void): unknown;
  disconnect(slot: (sender: unknown, value: T) => void): unknown;
}

interface KernelLike {
  status?: unknown;
  statusChanged?: Signal<unknown>;
  iopubMessage?: Signal<unknown>;
}

function isSignal(value: unknown): value is Signal<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { connect?: unknown }).connect === "function" &&
    typeof (value as { disconnect?: unknown }).disconnect === "function"
  );
}

/** The kernel connection behind an anywidget model's widget manager, if the host has one. */
export function hostKernel(model: unknown): KernelLike | null {
  try {
    const manager = (model as { widget_manager?: unknown } | null)?.widget_manager;
    const kernel = (manager as { kernel?: unknown } | null | undefined)?.kernel;
    if (typeof kernel !== "object" || kernel === null) return null;
    const candidate = kernel as KernelLike;
    return isSignal(candidate.statusChanged) ? candidate : null;
  } catch {
    return null; // a host whose getters throw exposes nothing usable
  }
}

function fromStatus(status: unknown): KernelState {
  switch (status) {
    case "busy":
      return "busy";
    case "idle":
      return "idle";
    case "restarting":
    case "autorestarting":
    case "terminating":
      return "restarting";
    case "dead":
      return "dead";
    default:
      return "unknown";
  }
}

/** `{execution_state, parent msg_type}` of a Jupyter iopub `status` message, else null. */
function statusMessage(msg: unknown): { state: unknown; parent: unknown } | null {
  if (typeof msg !== "object" || msg === null) return null;
  const { header, parent_header: parent, content } = msg as Record<string, unknown>;
  if ((header as { msg_type?: unknown } | undefined)?.msg_type !== "status") return null;
  return {
    state: (content as { execution_state?: unknown } | undefined)?.execution_state,
    parent: (parent as { msg_type?: unknown } | undefined)?.msg_type,
  };
}

class HostKernelActivity implements KernelActivity {
  state: KernelState;
  private readonly listeners = new Set<() => void>();
  private readonly onStatus = (_sender: unknown, status: unknown): void => {
    const next = fromStatus(status);
    // statusChanged says "busy" without a reason; keep the reason iopub gave for this busy spell.
    if (next === "busy" && this.state === "running-cell") return;
    this.set(next);
  };
  private readonly onIopub = (_sender: unknown, msg: unknown): void => {
    const status = statusMessage(msg);
    if (status === null) return;
    if (status.state === "busy") {
      this.set(status.parent === "execute_request" ? "running-cell" : "busy");
    } else {
      this.set(fromStatus(status.state));
    }
  };

  constructor(private readonly kernel: KernelLike) {
    this.state = fromStatus(kernel.status);
    kernel.statusChanged?.connect(this.onStatus);
    if (isSignal(kernel.iopubMessage)) kernel.iopubMessage.connect(this.onIopub);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.listeners.clear();
    this.kernel.statusChanged?.disconnect(this.onStatus);
    if (isSignal(this.kernel.iopubMessage)) this.kernel.iopubMessage.disconnect(this.onIopub);
  }

  private set(state: KernelState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of [...this.listeners]) listener();
  }
}

/** A host that says nothing about its kernel. */
export const UNKNOWN_KERNEL: KernelActivity = {
  state: "unknown",
  subscribe: () => () => undefined,
  dispose: () => undefined,
};

/** What the host behind `model` says about its kernel (UNKNOWN_KERNEL when it says nothing). */
export function kernelActivity(model: unknown): KernelActivity {
  const kernel = hostKernel(model);
  return kernel === null ? UNKNOWN_KERNEL : new HostKernelActivity(kernel);
}
