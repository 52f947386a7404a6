import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeKernel } from "../../test/fake-kernel";
import { SLOW_MS, WaitWatch, waitText } from "./waiting";

afterEach(() => {
  vi.useRealTimers();
});

describe("WaitWatch", () => {
  it("goes idle → pending → waiting after SLOW_MS → idle when answered", () => {
    vi.useFakeTimers();
    const watch = new WaitWatch(new FakeKernel("busy"));
    const seen: string[] = [];
    watch.subscribe(() => seen.push(watch.state.phase));
    expect(watch.state).toEqual({ phase: "idle" });
    const done = watch.begin();
    expect(watch.state).toEqual({ phase: "pending" });
    vi.advanceTimersByTime(SLOW_MS - 1);
    expect(watch.state).toEqual({ phase: "pending" });
    vi.advanceTimersByTime(1);
    expect(watch.state).toEqual({ phase: "waiting", kernel: "busy" });
    done();
    expect(watch.state).toEqual({ phase: "idle" });
    done(); // a second end of the same ticket changes nothing
    expect(seen).toEqual(["pending", "waiting", "idle"]);
  });

  it("an answer within SLOW_MS never says waiting", () => {
    vi.useFakeTimers();
    const watch = new WaitWatch();
    const seen: string[] = [];
    watch.subscribe(() => seen.push(watch.state.phase));
    const done = watch.begin();
    vi.advanceTimersByTime(SLOW_MS / 2);
    done();
    vi.advanceTimersByTime(SLOW_MS * 5);
    expect(seen).toEqual(["pending", "idle"]);
  });

  it("waits while any slow request is open, and follows the kernel's state meanwhile", () => {
    vi.useFakeTimers();
    const kernel = new FakeKernel("running-cell");
    const watch = new WaitWatch(kernel);
    const first = watch.begin();
    vi.advanceTimersByTime(SLOW_MS);
    const second = watch.begin();
    expect(watch.state).toEqual({ phase: "waiting", kernel: "running-cell" });
    kernel.set("busy");
    expect(watch.state).toEqual({ phase: "waiting", kernel: "busy" });
    first();
    // The second is not slow yet: back to pending until it is.
    expect(watch.state).toEqual({ phase: "pending" });
    vi.advanceTimersByTime(SLOW_MS);
    expect(watch.state).toEqual({ phase: "waiting", kernel: "busy" });
    second();
    expect(watch.state).toEqual({ phase: "idle" });
  });

  it("dispose closes every ticket and stops listening to the kernel", () => {
    vi.useFakeTimers();
    const kernel = new FakeKernel();
    const watch = new WaitWatch(kernel);
    watch.begin();
    vi.advanceTimersByTime(SLOW_MS);
    watch.begin();
    watch.dispose();
    expect(watch.state).toEqual({ phase: "idle" });
    expect(kernel.listening).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("waitText", () => {
  it("keeps the view's own text until the request is slow", () => {
    expect(waitText({ phase: "idle" })).toBe("loading…");
    expect(waitText({ phase: "pending" }, "connecting…")).toBe("connecting…");
  });

  it("says what the host told about the kernel, and only that", () => {
    expect(waitText({ phase: "waiting", kernel: "running-cell" })).toBe(
      "waiting for the kernel: it is running a cell…",
    );
    for (const kernel of ["busy", "idle", "unknown"] as const) {
      expect(waitText({ phase: "waiting", kernel })).toBe("waiting for the kernel…");
    }
    expect(waitText({ phase: "waiting", kernel: "restarting" })).toBe(
      "waiting for the kernel: it is restarting…",
    );
    expect(waitText({ phase: "waiting", kernel: "dead" })).toMatch(
      /^waiting for the kernel: it has stopped/,
    );
  });
});
