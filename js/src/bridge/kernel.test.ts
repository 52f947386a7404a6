import { describe, expect, it } from "vitest";
import { hostKernel, kernelActivity, UNKNOWN_KERNEL } from "./kernel";

/** A Lumino-like signal: what JupyterLab's kernel connection offers. */
class FakeSignal<T> {
  private readonly slots = new Set<(sender: unknown, value: T) => void>();
  connect(slot: (sender: unknown, value: T) => void): boolean {
    this.slots.add(slot);
    return true;
  }
  disconnect(slot: (sender: unknown, value: T) => void): boolean {
    return this.slots.delete(slot);
  }
  emit(value: T): void {
    for (const slot of [...this.slots]) slot(this, value);
  }
  get size(): number {
    return this.slots.size;
  }
}

class FakeKernelConnection {
  status = "idle";
  readonly statusChanged = new FakeSignal<string>();
  readonly iopubMessage = new FakeSignal<unknown>();

  /** The iopub status message first, then statusChanged, as JupyterLab may order them. */
  report(state: "busy" | "idle", parent: string): void {
    this.iopubMessage.emit({
      header: { msg_type: "status" },
      parent_header: { msg_type: parent },
      content: { execution_state: state },
    });
    if (this.status !== state) {
      this.status = state;
      this.statusChanged.emit(state);
    }
  }
}

function modelWith(kernel: unknown): unknown {
  return { widget_manager: { get_model: () => Promise.reject(new Error("none")), kernel } };
}

describe("kernelActivity", () => {
  it("is unknown where the host exposes no kernel (marimo, VS Code, tests)", () => {
    expect(kernelActivity(modelWith(undefined))).toBe(UNKNOWN_KERNEL);
    expect(kernelActivity({})).toBe(UNKNOWN_KERNEL);
    expect(kernelActivity(modelWith({ status: "busy" }))).toBe(UNKNOWN_KERNEL);
    const throwing = {
      get widget_manager(): never {
        throw new Error("no");
      },
    };
    expect(hostKernel(throwing)).toBeNull();
  });

  it("says running-cell only when the kernel is busy with an execute_request", () => {
    const connection = new FakeKernelConnection();
    const activity = kernelActivity(modelWith(connection));
    const seen: string[] = [];
    activity.subscribe(() => seen.push(activity.state));
    expect(activity.state).toBe("idle");
    connection.report("busy", "execute_request");
    expect(activity.state).toBe("running-cell");
    connection.report("idle", "execute_request");
    // The panel's own message keeps the kernel busy too; that is not a cell.
    connection.report("busy", "comm_msg");
    expect(activity.state).toBe("busy");
    connection.report("idle", "comm_msg");
    expect(seen).toEqual(["running-cell", "idle", "busy", "idle"]);
  });

  it("keeps the reason when statusChanged follows the iopub message, and reads restarts", () => {
    const connection = new FakeKernelConnection();
    const activity = kernelActivity(modelWith(connection));
    connection.report("busy", "execute_request");
    connection.statusChanged.emit("busy");
    expect(activity.state).toBe("running-cell");
    connection.statusChanged.emit("restarting");
    expect(activity.state).toBe("restarting");
    connection.statusChanged.emit("dead");
    expect(activity.state).toBe("dead");
  });

  it("without iopub messages, a busy kernel is only busy", () => {
    const statusChanged = new FakeSignal<string>();
    const activity = kernelActivity(modelWith({ status: "busy", statusChanged }));
    expect(activity.state).toBe("busy");
    statusChanged.emit("idle");
    expect(activity.state).toBe("idle");
  });

  it("dispose disconnects from the host's signals", () => {
    const connection = new FakeKernelConnection();
    const activity = kernelActivity(modelWith(connection));
    expect(connection.statusChanged.size).toBe(1);
    expect(connection.iopubMessage.size).toBe(1);
    activity.dispose();
    expect(connection.statusChanged.size).toBe(0);
    expect(connection.iopubMessage.size).toBe(0);
  });
});
