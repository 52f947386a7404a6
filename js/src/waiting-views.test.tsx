/**
 * No view waits silently: a request the kernel has not answered within SLOW_MS says so (and,
 * when the host says the kernel is running a cell, that), and a failed one shows its error in
 * place of "loading…".
 */
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeKernel } from "../test/fake-kernel";
import { TabHarness } from "../test/tab-harness";
import { SLOW_MS } from "./bridge/waiting";
import { LogsTab } from "./logs/tab";
import { PermissionsTab } from "./permissions/tab";

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

function text(h: TabHarness, testId: string): string {
  return h.el.querySelector(`[data-testid="${testId}"]`)?.textContent ?? "";
}

function elapse(ms: number): void {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

describe.each([
  { name: "Logs", Tab: LogsTab, kind: "logs.page", status: "log-status" },
  { name: "Permissions", Tab: PermissionsTab, kind: "acl.read", status: "perms-status" },
])("$name tab", ({ Tab, kind, status }) => {
  it("says loading, then that the kernel is running a cell, then shows the answer's error", async () => {
    vi.useFakeTimers();
    const kernel = new FakeKernel("running-cell");
    const h = new TabHarness(Tab, {}, true, kernel);
    expect(h.openCount(kind)).toBe(1);
    expect(text(h, status)).toBe("loading…");
    elapse(SLOW_MS - 1);
    expect(text(h, status)).toBe("loading…");
    elapse(1);
    expect(text(h, status)).toBe("waiting for the kernel: it is running a cell…");
    // The cell ends and the kernel takes the panel's request: still waiting, no reason given.
    act(() => kernel.set("busy"));
    expect(text(h, status)).toBe("waiting for the kernel…");
    await h.fail(kind, {
      message: "connection refused by http://127.0.0.1:1 <b>not bold</b>",
      error_code: "CONNECTION_FAILED",
    });
    expect(text(h, status)).not.toMatch(/loading|waiting/);
    const alert = h.el.querySelector("[role=alert]");
    expect(alert?.textContent).toContain(
      "connection refused by http://127.0.0.1:1 <b>not bold</b>",
    );
    expect(alert?.querySelector("b")).toBeNull(); // server text as text, never HTML
    h.close();
  });

  it("where the host says nothing about the kernel, says only that it waits", () => {
    vi.useFakeTimers();
    const h = new TabHarness(Tab);
    elapse(SLOW_MS);
    expect(text(h, status)).toBe("waiting for the kernel…");
    h.close();
  });
});
