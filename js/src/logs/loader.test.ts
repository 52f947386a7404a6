import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeModel } from "../../test/fake-model";
import { settled } from "../../test/settle";
import { Rpc } from "../bridge/rpc";
import { ScopedModel } from "../bridge/scoped-model";
import { FOLLOW_MS, LogLoader } from "./loader";
import type { WireLine } from "./types";

afterEach(() => {
  vi.useRealTimers();
});

const line = (n: number): WireLine => [n, n, "INFO", `line ${n}`, false];
const range = (from: number, to: number): WireLine[] =>
  Array.from({ length: to - from }, (_, i) => line(from + i + 1));

/** Lets the loader's promise chain run to its end (see test/settle.ts). */
const flush = settled;

function setup(pageLines = 10) {
  const model = new FakeModel({});
  const rpc = new Rpc(new ScopedModel(model));
  const changes = vi.fn();
  const loader = new LogLoader(rpc, changes, FOLLOW_MS, pageLines);
  const answered = new Set<string>();
  const open = (kind: string) => {
    const all = model.requests().filter((r) => r.kind === kind && !answered.has(r.id));
    const last = all[all.length - 1];
    if (last === undefined) throw new Error(`no open ${kind}`);
    return { id: last.id, payload: last.payload as Record<string, unknown> };
  };
  const reply = async (kind: string, result: unknown) => {
    const request = open(kind);
    answered.add(request.id);
    model.receive({ type: "reply", id: request.id, ok: true, result });
    await flush();
    return request;
  };
  return { model, rpc, loader, changes, open, reply };
}

const target = { entity: "ads1-1", kind: "server", version: 3 } as const;

describe("LogLoader", () => {
  it("pages the rest of a followed log when one follow answer cannot carry it all", async () => {
    vi.useFakeTimers();
    const { loader, open, reply } = setup();
    loader.load(target);
    await reply("logs.page", { lines: range(0, 5), total: 5, offset: 0, source_revision: 1 });
    loader.setFollow(true);
    vi.advanceTimersByTime(FOLLOW_MS);
    await reply("logs.follow", {
      reset: false,
      lines: range(5, 15),
      total: 40,
      offset: 5,
      source_revision: 1,
    });
    expect(loader.phase).toBe("loading");
    expect(open("logs.page").payload).toMatchObject({ offset: 15, config_version: 3 });
    await reply("logs.page", { lines: range(15, 25), total: 40, offset: 15, source_revision: 1 });
    await reply("logs.page", { lines: range(25, 35), total: 40, offset: 25, source_revision: 1 });
    await reply("logs.page", { lines: range(35, 40), total: 40, offset: 35, source_revision: 1 });
    expect(loader.phase).toBe("ready");
    expect(loader.buffer.lineNo).toEqual(range(0, 40).map((l) => l[0]));
    vi.advanceTimersByTime(FOLLOW_MS);
    expect(open("logs.follow").payload.known).toBe(40);
    loader.dispose();
  });

  it("drops answers meant for a log it no longer reads", async () => {
    const { model, loader, reply } = setup();
    loader.load(target);
    const first = model.requests()[0];
    loader.load({ ...target, entity: "ads1-2" });
    model.receive({
      type: "reply",
      id: first?.id,
      ok: true,
      result: { lines: [line(99)], total: 1, offset: 0, source_revision: 1 },
    });
    await flush();
    expect(loader.buffer.length).toBe(0);
    await reply("logs.page", { lines: [line(1)], total: 1, offset: 0, source_revision: 1 });
    expect(loader.buffer.message).toEqual(["line 1"]);
    loader.dispose();
  });

  it("gives up with an error when the log keeps changing under its pages", async () => {
    const { loader, reply } = setup();
    loader.load(target);
    let revision = 1;
    await reply("logs.page", { lines: range(0, 10), total: 30, offset: 0, source_revision: 1 });
    for (let i = 0; i < 6; i++) {
      revision += 1;
      await reply("logs.page", {
        lines: range(10, 20),
        total: 30,
        offset: 10,
        source_revision: revision,
      });
      if (loader.phase === "error") break;
      await reply("logs.page", {
        lines: range(0, 10),
        total: 30,
        offset: 0,
        source_revision: revision - 1,
      });
    }
    expect(loader.phase).toBe("error");
    expect(loader.error?.message).toContain("kept changing");
    loader.dispose();
  });

  it("reports a failed follow and stops polling", async () => {
    vi.useFakeTimers();
    const { model, loader, open } = setup();
    loader.load(target);
    model.receive({
      type: "reply",
      id: open("logs.page").id,
      ok: true,
      result: { lines: [], total: 0, offset: 0, source_revision: 1 },
    });
    await flush();
    loader.setFollow(true);
    vi.advanceTimersByTime(FOLLOW_MS);
    model.receive({
      type: "reply",
      id: open("logs.follow").id,
      ok: false,
      error: { message: "gone", error_code: "RESOURCE_DOES_NOT_EXIST", status: 404 },
    });
    await flush();
    expect(loader.phase).toBe("error");
    expect(loader.error).toEqual({
      message: "gone",
      errorCode: "RESOURCE_DOES_NOT_EXIST",
      status: 404,
    });
    vi.advanceTimersByTime(FOLLOW_MS * 3);
    expect(model.requests().filter((r) => r.kind === "logs.follow")).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    loader.dispose();
  });
});
