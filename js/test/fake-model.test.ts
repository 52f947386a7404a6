import { describe, expect, it, vi } from "vitest";
import { FakeModel } from "./fake-model";

describe("FakeModel", () => {
  it("records what a view sets and saves", () => {
    const model = new FakeModel({ count: 0 });
    model.set("count", 2);
    model.save_changes();
    expect(model.saved).toEqual([{ count: 2 }]);
    expect(model.get("count")).toBe(2);
  });

  it("fires change listeners for Python-side changes and stops after off", () => {
    const model = new FakeModel({ count: 0 });
    const seen = vi.fn();
    model.on("change:count", seen);
    model.fromPython("count", 5);
    model.off("change:count", seen);
    model.fromPython("count", 6);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(model.listenerCount()).toBe(0);
  });

  it("delivers custom messages with buffers", () => {
    const model = new FakeModel({});
    const seen = vi.fn();
    model.on("msg:custom", seen);
    const buffer = new DataView(new ArrayBuffer(1));
    model.receive({ hello: 1 }, [buffer]);
    expect(seen).toHaveBeenCalledWith({ hello: 1 }, [buffer]);
  });
});
