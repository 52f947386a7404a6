import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeKernel } from "../test/fake-kernel";
import { FakeModel, panelStateFixture, snapshotFixture } from "../test/fake-model";
import { ScopedModel } from "./bridge/scoped-model";
import { WaitWatch } from "./bridge/waiting";
import type { PanelState, Snapshot } from "./model";
import { AutoRefresh, contentKey, delayFor, REFRESH_TIMEOUT_MS, RefreshTrait } from "./refresh";

/** A poll whose answers the test controls; records when each poll started. */
function controlledPoll() {
  const started: number[] = [];
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const poll = vi.fn(
    () =>
      new Promise<void>((resolve, reject) => {
        started.push(Date.now());
        pending.push({ resolve, reject });
      }),
  );
  return {
    poll,
    started,
    answer: () => pending.shift()?.resolve(),
    fail: () => pending.shift()?.reject(new Error("no answer")),
  };
}

const idle = (overrides: Partial<Snapshot> = {}): Snapshot => snapshotFixture(overrides);
const updating = (overrides: Partial<Snapshot> = {}): Snapshot =>
  snapshotFixture({ state: "Not ready (updating)", config_update: "IN_PROGRESS", ...overrides });

/** Runs `count` polls, each answered at once, and returns the gaps between their starts. */
async function gaps(control: ReturnType<typeof controlledPoll>, count: number) {
  const t0 = Date.now();
  for (let i = 0; i < count; i += 1) {
    const before = control.poll.mock.calls.length;
    while (control.poll.mock.calls.length === before) {
      await vi.advanceTimersByTimeAsync(500);
    }
    control.answer();
    await vi.advanceTimersByTimeAsync(0);
  }
  return control.started.map((t, i) => t - (i === 0 ? t0 : (control.started[i - 1] ?? 0)));
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_700_000_000_000);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("delayFor", () => {
  it("is 2 s while updating, whatever the step", () => {
    expect([0, 1, 5, 50].map((step) => delayFor(step, true))).toEqual([2000, 2000, 2000, 2000]);
  });

  it("backs off 5, 10, 20, 30 s and stays at 60 s", () => {
    expect([0, 1, 2, 3, 4, 5, 99].map((step) => delayFor(step, false))).toEqual([
      5000, 10000, 20000, 30000, 60000, 60000, 60000,
    ]);
  });
});

describe("contentKey", () => {
  it("ignores the revision and fetch time, and nothing else", () => {
    const a = idle({ revision: 1, fetched_at: 1 });
    expect(contentKey(a)).toBe(contentKey(idle({ revision: 9, fetched_at: 2 })));
    expect(contentKey(a)).not.toBe(contentKey(idle({ revision: 1, fetched_at: 1, state: "x" })));
  });
});

describe("AutoRefresh", () => {
  it("backs off 5, 10, 20, 30, 60, 60 s while nothing changes", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    expect(await gaps(control, 6)).toEqual([5000, 10000, 20000, 30000, 60000, 60000]);
    scheduler.stop();
  });

  it("polls every 2 s while an update is in progress", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(updating());
    scheduler.setEnabled(true);
    expect(await gaps(control, 5)).toEqual([2000, 2000, 2000, 2000, 2000]);
    scheduler.stop();
  });

  it("treats a pending config as an update in progress", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle({ pending: idle().config }));
    scheduler.setEnabled(true);
    expect(await gaps(control, 2)).toEqual([2000, 2000]);
    scheduler.stop();
  });

  it("restarts the backoff at 5 s when the content changes", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    await gaps(control, 4); // now waiting 60 s
    expect(scheduler.nextDelay).toBe(60000);
    scheduler.observe(idle({ creator: "bob" }));
    expect(scheduler.nextDelay).toBe(5000);
    await vi.advanceTimersByTimeAsync(4999);
    expect(control.poll).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(control.poll).toHaveBeenCalledTimes(5);
    scheduler.stop();
  });

  it("counts a change that arrives before the poll's reply", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    await gaps(control, 2);
    await vi.advanceTimersByTimeAsync(20000); // third poll starts
    expect(control.poll).toHaveBeenCalledTimes(3);
    scheduler.observe(idle({ revision: 3, description: "changed" })); // snapshot first
    control.answer(); // then the reply
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.nextDelay).toBe(5000);
    scheduler.stop();
  });

  it("goes back to the idle backoff when the update ends", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(updating());
    scheduler.setEnabled(true);
    await gaps(control, 3);
    scheduler.observe(idle({ revision: 4 }));
    expect(scheduler.nextDelay).toBe(5000);
    scheduler.stop();
  });

  it("keeps the backoff on a new revision with the same content, but restarts the wait", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    await gaps(control, 2); // waiting 20 s
    await vi.advanceTimersByTimeAsync(15000);
    scheduler.observe(idle({ revision: 7, fetched_at: Date.now() })); // another view polled
    expect(scheduler.nextDelay).toBe(20000);
    await vi.advanceTimersByTimeAsync(19999);
    expect(control.poll).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(control.poll).toHaveBeenCalledTimes(3);
    scheduler.stop();
  });

  it("never has two polls in flight", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(updating());
    scheduler.setEnabled(true);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(control.poll).toHaveBeenCalledTimes(1);
    void scheduler.run();
    expect(control.poll).toHaveBeenCalledTimes(1);
    scheduler.stop();
  });

  it("lets a manual run join the poll in flight, then keeps the schedule", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    const first = scheduler.run();
    expect(scheduler.run()).toBe(first);
    expect(scheduler.active).toBe(false);
    control.answer();
    await first;
    expect(scheduler.active).toBe(true);
    expect(scheduler.nextDelay).toBe(10000);
    scheduler.stop();
  });

  it("backs off after a failed poll and rejects a manual run with the reason", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    const run = scheduler.run();
    control.fail();
    await expect(run).rejects.toThrow("no answer");
    expect(scheduler.nextDelay).toBe(10000);
    expect(scheduler.active).toBe(true);
    scheduler.stop();
  });

  it("does not poll while disabled, and restarts at 5 s when enabled again", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(idle());
    scheduler.setEnabled(true);
    await gaps(control, 3);
    scheduler.setEnabled(false);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(control.poll).toHaveBeenCalledTimes(3);
    scheduler.observe(updating());
    await vi.advanceTimersByTimeAsync(600_000);
    expect(control.poll).toHaveBeenCalledTimes(3);
    scheduler.observe(idle({ revision: 9 }));
    scheduler.setEnabled(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(control.poll).toHaveBeenCalledTimes(4);
    scheduler.stop();
  });

  it("leaves no timer after stop, even when a poll in flight settles later", async () => {
    const control = controlledPoll();
    const scheduler = new AutoRefresh(control.poll);
    scheduler.observe(updating());
    scheduler.setEnabled(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(control.poll).toHaveBeenCalledTimes(1);
    scheduler.stop();
    control.answer();
    await vi.advanceTimersByTimeAsync(0);
    scheduler.observe(idle({ revision: 2 }));
    scheduler.setEnabled(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(control.poll).toHaveBeenCalledTimes(1);
  });
});

/** A refresh this test does not wait for: closing the road later rejects it, on purpose. */
function ask(trait: RefreshTrait): Promise<number> {
  const refresh = trait.request();
  refresh.catch(() => undefined);
  return refresh;
}

describe("RefreshTrait", () => {
  function road(revision = 5) {
    const model = new FakeModel(panelStateFixture({ revision }));
    const scoped = new ScopedModel<PanelState>(model);
    const trait = new RefreshTrait(scoped);
    /** Python publishes the snapshot again with `revision` and `changes`. */
    const publish = (next: number, changes: Partial<PanelState["snapshot"]> = {}) =>
      model.fromPython("snapshot", { ...model.get("snapshot"), ...changes, revision: next });
    return { model, scoped, trait, publish };
  }

  it("bumps _refresh_request once (set + save_changes) and sends no request", () => {
    const { model, trait } = road();
    ask(trait);
    expect(model.get("_refresh_request")).toBe(1);
    expect(model.saved).toEqual([{ _refresh_request: 1 }]);
    expect(model.sent).toEqual([]);
    trait.close();
  });

  it("counts from the trait's current value", () => {
    const { model, trait } = road();
    model.fromPython("_refresh_request", 41); // another view bumped it before
    ask(trait);
    expect(model.saved).toEqual([{ _refresh_request: 42 }]);
    trait.close();
  });

  it("joins the refresh that is waiting instead of bumping again", () => {
    const { model, trait } = road();
    const first = ask(trait);
    expect(trait.request()).toBe(first);
    expect(model.saved).toHaveLength(1);
    trait.close();
  });

  it("is done when a snapshot newer than the one at the bump arrives", async () => {
    const { trait, publish, model } = road(5);
    let done: number | undefined;
    void trait.request().then((revision) => {
      done = revision;
    });
    publish(5, { description: "same revision" });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBeUndefined();
    publish(6);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(6);
    expect(model.listenerCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("is done on a newer snapshot that carries Python's error too", async () => {
    const { trait, publish } = road(2);
    const refresh = trait.request();
    publish(3, { error: { message: "gone", error_code: "RESOURCE_DOES_NOT_EXIST", status: 404 } });
    await expect(refresh).resolves.toBe(3);
  });

  it("says Python did not answer when no newer snapshot comes in time, then bumps anew", async () => {
    const { trait, model } = road();
    const refresh = trait.request();
    const seen = refresh.catch((reason: Error) => reason.message);
    await vi.advanceTimersByTimeAsync(REFRESH_TIMEOUT_MS - 1);
    expect(model.listenerCount("change:snapshot")).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await seen).toBe('no answer from Python to "refresh" within 30 s');
    expect(model.listenerCount()).toBe(0);
    ask(trait);
    expect(model.saved).toEqual([{ _refresh_request: 1 }, { _refresh_request: 2 }]);
    trait.close();
  });

  it("holds a wait ticket, and keeps waiting while the host says a cell runs", async () => {
    const model = new FakeModel(panelStateFixture({ revision: 5 }));
    const kernel = new FakeKernel("running-cell");
    const waits = new WaitWatch(kernel);
    const trait = new RefreshTrait(new ScopedModel<PanelState>(model), undefined, waits);
    const refresh = trait.request();
    const seen = refresh.catch((reason: Error) => reason.message);
    expect(waits.state).toEqual({ phase: "pending" });
    await vi.advanceTimersByTimeAsync(REFRESH_TIMEOUT_MS * 3);
    expect(waits.state).toEqual({ phase: "waiting", kernel: "running-cell" });
    kernel.set("idle");
    await vi.advanceTimersByTimeAsync(REFRESH_TIMEOUT_MS);
    expect(await seen).toBe('no answer from Python to "refresh" within 30 s');
    expect(waits.state).toEqual({ phase: "idle" });
    trait.close();
  });

  it("leaves no timer and no listener after close, and refuses later requests", async () => {
    const { trait, model } = road();
    const refresh = trait.request();
    trait.close();
    await expect(refresh).rejects.toThrow("the panel view was closed");
    await expect(trait.request()).rejects.toThrow("the panel view was closed");
    expect(vi.getTimerCount()).toBe(0);
    expect(model.listenerCount()).toBe(0);
    expect(model.saved).toHaveLength(1);
  });
});
