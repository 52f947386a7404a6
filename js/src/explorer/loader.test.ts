/**
 * Following (the explorer's auto_refresh): rows with an update in progress are read again every
 * 2 s, the list every minute with a GET only for rows that changed, one read at a time.
 * The loader runs on fake timers; the rpc answers as Python's listing.py would.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { explorerRowFixture as rowFixture } from "../../test/explorer-fixtures";
import type { Rpc } from "../bridge/rpc";
import { EndpointsLoader, LIST_POLL_MS, UPDATING_POLL_MS } from "./loader";
import type { Row } from "./model";

type Call = { kind: string; names: string[] };

/** A workspace of rows the test edits; each request answers from it as it is then. */
class Workspace {
  rows = new Map<string, Row>();
  calls: Call[] = [];
  failList = false;

  readonly rpc = {
    request: async (kind: string, payload: { names?: string[] } = {}): Promise<unknown> => {
      this.calls.push({ kind, names: payload.names ?? [] });
      if (kind === "explorer.list") {
        if (this.failList) throw new Error("list failed");
        return {
          rows: [...this.rows.values()].map((row) => ({ ...row, detailed: false })),
          me: null,
          fetched_at: 1,
        };
      }
      const names = payload.names ?? [];
      return {
        rows: names
          .filter((name) => this.rows.has(name))
          .map((name) => ({
            ...this.rows.get(name),
            detailed: true,
            permission_level: "CAN_MANAGE",
          })),
        missing: names.filter((name) => !this.rows.has(name)),
        errors: [],
      };
    },
  } as unknown as Rpc;

  put(name: string, change: Partial<Row> = {}): void {
    this.rows.set(name, rowFixture({ name, ...change }));
  }

  detailsAsked(): string[][] {
    return this.calls.filter((c) => c.kind === "explorer.details").map((c) => c.names);
  }

  lists(): number {
    return this.calls.filter((c) => c.kind === "explorer.list").length;
  }
}

async function loaded(workspace: Workspace): Promise<EndpointsLoader> {
  const loader = new EndpointsLoader(workspace.rpc);
  await loader.load();
  expect(loader.state.phase).toBe("done");
  workspace.calls = [];
  return loader;
}

describe("EndpointsLoader following", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads updating rows every 2 s until their update ends, and only them", async () => {
    const workspace = new Workspace();
    workspace.put("quiet");
    workspace.put("busy", { updating: true, config_update: "IN_PROGRESS" });
    const loader = await loaded(workspace);
    loader.setFollowing(true);

    await vi.advanceTimersByTimeAsync(UPDATING_POLL_MS);
    expect(workspace.detailsAsked()).toEqual([["busy"]]);
    expect(loader.state.phase).toBe("done"); // no progress bar for a follow-up read

    workspace.put("busy", { updating: false, config_update: "NOT_UPDATING", state: "Ready" });
    await vi.advanceTimersByTimeAsync(UPDATING_POLL_MS);
    expect(workspace.detailsAsked()).toEqual([["busy"], ["busy"]]);
    expect(loader.state.rows.find((r) => r.name === "busy")?.updating).toBe(false);

    // Nothing updates any more: the next read is the minute's list, not another GET.
    await vi.advanceTimersByTimeAsync(UPDATING_POLL_MS * 5);
    expect(workspace.detailsAsked()).toHaveLength(2);
    expect(workspace.lists()).toBe(0);
    loader.close();
  });

  it("re-lists every minute and reads details only for new or changed rows", async () => {
    const workspace = new Workspace();
    for (const name of ["a", "b", "c"]) workspace.put(name);
    const loader = await loaded(workspace);
    loader.setFollowing(true);

    workspace.put("b", { state: "Not ready (updating)", updated: 1_800_000_000_000 });
    workspace.put("d");
    workspace.rows.delete("c");
    await vi.advanceTimersByTimeAsync(LIST_POLL_MS);
    expect(workspace.lists()).toBe(1);
    expect(workspace.detailsAsked()).toEqual([["b", "d"]]);
    expect(loader.state.rows.map((r) => r.name)).toEqual(["a", "b", "d"]);
    // The unchanged row kept its details without a GET.
    expect(loader.state.rows.every((r) => r.permission_level === "CAN_MANAGE")).toBe(true);
    expect(loader.state.phase).toBe("done");
    loader.close();
  });

  it("does nothing when not following, and stops when turned off", async () => {
    const workspace = new Workspace();
    workspace.put("busy", { updating: true });
    const loader = await loaded(workspace);
    await vi.advanceTimersByTimeAsync(LIST_POLL_MS * 2);
    expect(workspace.calls).toEqual([]);

    // Turned on with the list's minute long past: the list is read at once.
    loader.setFollowing(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(workspace.lists()).toBe(1);
    expect(workspace.detailsAsked()).toEqual([["busy"]]);
    loader.setFollowing(false);
    await vi.advanceTimersByTimeAsync(LIST_POLL_MS * 2);
    expect(workspace.calls).toHaveLength(2);
    loader.close();
  });

  it("waits a full minute after a failed list read instead of retrying at once", async () => {
    const workspace = new Workspace();
    workspace.put("a");
    const loader = await loaded(workspace);
    loader.setFollowing(true);
    workspace.failList = true;
    await vi.advanceTimersByTimeAsync(LIST_POLL_MS);
    expect(workspace.lists()).toBe(1);
    expect(loader.state.error?.message).toContain("list failed");
    expect(loader.state.rows.map((r) => r.name)).toEqual(["a"]); // the rows shown stay

    await vi.advanceTimersByTimeAsync(LIST_POLL_MS - 1);
    expect(workspace.lists()).toBe(1);
    workspace.failList = false;
    await vi.advanceTimersByTimeAsync(1);
    expect(workspace.lists()).toBe(2);
    expect(loader.state.error).toBeNull();
    loader.close();
  });

  it("lets a manual reload supersede a follow-up read, and never reads twice at once", async () => {
    const workspace = new Workspace();
    workspace.put("busy", { updating: true });
    const loader = await loaded(workspace);
    let inFlight = 0;
    let most = 0;
    const request = workspace.rpc.request.bind(workspace.rpc);
    workspace.rpc.request = (async (kind: string, payload?: object) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 300));
      try {
        return await request(kind, payload);
      } finally {
        inFlight -= 1;
      }
    }) as Rpc["request"];
    loader.setFollowing(true);
    await vi.advanceTimersByTimeAsync(UPDATING_POLL_MS + 100); // a follow-up read in flight
    const manual = loader.load();
    await vi.advanceTimersByTimeAsync(UPDATING_POLL_MS * 10);
    await manual;
    expect(loader.state.phase).toBe("done");
    expect(most).toBeLessThanOrEqual(2); // the superseded read and the reload's, never more
    loader.close();
    const after = workspace.calls.length;
    await vi.advanceTimersByTimeAsync(LIST_POLL_MS * 2);
    expect(workspace.calls).toHaveLength(after); // closed: nothing scheduled
  });
});
