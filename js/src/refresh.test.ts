import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { snapshotFixture } from "../test/fake-model";
import type { Snapshot } from "./model";
import { AutoRefresh, contentKey, delayFor } from "./refresh";

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
