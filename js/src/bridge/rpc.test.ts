import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeKernel } from "../../test/fake-kernel";
import { FakeModel } from "../../test/fake-model";
import { Rpc, RpcFailure } from "./rpc";
import { ScopedModel } from "./scoped-model";
import { SLOW_MS, WaitWatch } from "./waiting";

afterEach(() => {
  vi.useRealTimers();
});

describe("Rpc", () => {
  it("resolves a request with the reply carrying its id", async () => {
    const model = new FakeModel({});
    const rpc = new Rpc(new ScopedModel(model));
    const answer = rpc.request<{ n: number }>("count", { of: "lines" });
    const [sent] = model.requests();
    expect(sent).toMatchObject({ type: "request", kind: "count", payload: { of: "lines" } });
    model.receive({ type: "reply", id: sent?.id, ok: true, result: { n: 3 } });
    await expect(answer).resolves.toEqual({ n: 3 });
    expect(rpc.outstanding).toBe(0);
  });

  it("rejects with the error Python reported, keeping its code and status", async () => {
    const model = new FakeModel({});
    const rpc = new Rpc(new ScopedModel(model));
    const answer = rpc.request("logs");
    const id = model.requests()[0]?.id;
    model.receive({
      type: "reply",
      id,
      ok: false,
      error: { message: "needs CAN_MANAGE", error_code: "PERMISSION_DENIED", status: 403 },
    });
    const failure = await answer.catch((reason: unknown) => reason);
    expect(failure).toBeInstanceOf(RpcFailure);
    expect((failure as RpcFailure).errorCode).toBe("PERMISSION_DENIED");
    expect((failure as RpcFailure).status).toBe(403);
  });

  it("ignores replies addressed to another view of the same model", async () => {
    const model = new FakeModel({});
    const mine = new Rpc(new ScopedModel(model));
    const theirs = new Rpc(new ScopedModel(model));
    const answer = mine.request("hello");
    const id = model.requests()[0]?.id;
    model.receive({ type: "reply", id: "someone-else-1", ok: true, result: "wrong" });
    expect(mine.outstanding).toBe(1);
    model.receive({ type: "reply", id, ok: true, result: "right" });
    await expect(answer).resolves.toBe("right");
    expect(theirs.outstanding).toBe(0);
  });

  it("hands partial answers to onPartial in order, each restarting the timeout", async () => {
    vi.useFakeTimers();
    const model = new FakeModel({});
    const rpc = new Rpc(new ScopedModel(model), 1_000);
    const seen: unknown[] = [];
    const answer = rpc.request("stream", {}, { onPartial: (data) => seen.push(data) });
    const id = model.requests()[0]?.id;
    for (const n of [0, 1, 2]) {
      vi.advanceTimersByTime(900);
      model.receive({ type: "partial", id, data: { n } });
    }
    model.receive({ type: "partial", id: "someone-else", data: { n: 9 } });
    expect(seen).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(rpc.outstanding).toBe(1);
    model.receive({ type: "reply", id, ok: true, result: "done" });
    await expect(answer).resolves.toBe("done");
    model.receive({ type: "partial", id, data: { n: 3 } }); // after the reply: ignored
    expect(seen).toHaveLength(3);
  });

  it("gives up after the timeout with a message naming the request", async () => {
    vi.useFakeTimers();
    const rpc = new Rpc(new ScopedModel(new FakeModel({})));
    const answer = rpc.request("slow", {}, { timeoutMs: 1000 });
    vi.advanceTimersByTime(1001);
    await expect(answer).rejects.toThrow('no answer from Python to "slow" within 1 s');
    expect(rpc.outstanding).toBe(0);
  });

  it("rejects pending requests and stops listening when closed", async () => {
    const model = new FakeModel({});
    const rpc = new Rpc(new ScopedModel(model));
    const answer = rpc.request("hello");
    rpc.close();
    await expect(answer).rejects.toThrow("closed");
    expect(model.listenerCount()).toBe(0);
    await expect(rpc.request("again")).rejects.toThrow("closed");
  });

  it("rejects when the caller aborts", async () => {
    const rpc = new Rpc(new ScopedModel(new FakeModel({})));
    const controller = new AbortController();
    const answer = rpc.request("logs", {}, { signal: controller.signal });
    controller.abort();
    await expect(answer).rejects.toThrow("aborted");
  });
});

describe("Rpc waits", () => {
  it("holds a wait ticket from send to reply, failure, timeout or close", async () => {
    vi.useFakeTimers();
    const model = new FakeModel({});
    const rpc = new Rpc(new ScopedModel(model));
    const answered = rpc.request("hello");
    expect(rpc.waits.state).toEqual({ phase: "pending" });
    vi.advanceTimersByTime(SLOW_MS);
    expect(rpc.waits.state).toEqual({ phase: "waiting", kernel: "unknown" });
    model.receive({ type: "reply", id: model.requests()[0]?.id, ok: true, result: 1 });
    await expect(answered).resolves.toBe(1);
    expect(rpc.waits.state).toEqual({ phase: "idle" });

    const timedOut = rpc.request("slow", {}, { timeoutMs: 3 * SLOW_MS });
    vi.advanceTimersByTime(3 * SLOW_MS);
    await expect(timedOut).rejects.toThrow("no answer");
    expect(rpc.waits.state).toEqual({ phase: "idle" });

    const failed = rpc.request("logs");
    model.receive({
      type: "reply",
      id: model.requests()[2]?.id,
      ok: false,
      error: { message: "x" },
    });
    await expect(failed).rejects.toThrow("x");
    expect(rpc.waits.state).toEqual({ phase: "idle" });

    const closed = rpc.request("again");
    rpc.close();
    await expect(closed).rejects.toThrow("closed");
    expect(rpc.waits.state).toEqual({ phase: "idle" });
  });
});

describe("Rpc timeouts behind a running cell", () => {
  it("does not give up while the host says the kernel runs a cell, and does once it stops", async () => {
    vi.useFakeTimers();
    const kernel = new FakeKernel("running-cell");
    const model = new FakeModel({});
    const rpc = new Rpc(new ScopedModel(model), 1000, new WaitWatch(kernel));
    const queued = rpc.request("logs.page");
    const lost = rpc.request("hello");
    vi.advanceTimersByTime(10_000);
    expect(rpc.outstanding).toBe(2);
    expect(rpc.waits.state).toEqual({ phase: "waiting", kernel: "running-cell" });
    // The cell ends; the kernel answers the first; the second's reply never comes.
    kernel.set("idle");
    model.receive({ type: "reply", id: model.requests()[0]?.id, ok: true, result: "page" });
    await expect(queued).resolves.toBe("page");
    vi.advanceTimersByTime(1000);
    await expect(lost).rejects.toThrow('no answer from Python to "hello" within 1 s');
    expect(rpc.outstanding).toBe(0);
  });
});
