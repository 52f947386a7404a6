import { describe, expect, it, vi } from "vitest";
import { FakeModel } from "../../test/fake-model";
import { ScopedModel } from "./scoped-model";

describe("ScopedModel", () => {
  it("removes all of its listeners on dispose, and only its own", () => {
    const model = new FakeModel({ a: 1 });
    const outsider = vi.fn();
    model.on("change:a", outsider);
    const scoped = new ScopedModel<{ a: number }>(model);
    const mine = vi.fn();
    scoped.on("change:a", mine);
    scoped.on("msg:custom", mine);
    scoped.dispose();
    model.fromPython("a", 2);
    expect(mine).not.toHaveBeenCalled();
    expect(outsider).toHaveBeenCalledTimes(1);
    expect(model.listenerCount()).toBe(1);
  });

  it("ignores listeners added after dispose", () => {
    const model = new FakeModel({ a: 1 });
    const scoped = new ScopedModel<{ a: number }>(model);
    scoped.dispose();
    scoped.on("change:a", vi.fn());
    expect(model.listenerCount()).toBe(0);
  });

  it("update sets the trait and saves it", () => {
    const model = new FakeModel({ a: 1 });
    new ScopedModel<{ a: number }>(model).update("a", 3);
    expect(model.saved).toEqual([{ a: 3 }]);
  });
});
