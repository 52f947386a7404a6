/** The whole view through the widget entry: header + tabs + auto-refresh against a fake model. */
import type { RenderProps } from "@anywidget/types";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configFixture, entityFixture, FakeModel, panelStateFixture } from "../test/fake-model";
import { SLOW_MS } from "./bridge/waiting";
import type { PanelState, Snapshot, WireSnapshot } from "./model";
import widget from "./widget";

const T0 = 1_700_000_600_000;

type Mounted = { el: HTMLElement; model: FakeModel<PanelState>; cleanup: () => void };

/** Lets Preact commit renders and effects (microtasks, then its after-paint timeout). */
const flush = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(50);
};

async function mount(
  snapshot: Partial<Snapshot> = {},
  state: Partial<PanelState> = {},
): Promise<Mounted> {
  const model = new FakeModel(panelStateFixture(snapshot, state));
  const el = document.createElement("div");
  document.body.append(el);
  if (typeof widget === "function" || widget.render === undefined) throw new Error("no render");
  const cleanup = widget.render({ model, el } as unknown as RenderProps<PanelState>) as () => void;
  await flush();
  model.answer("hello", { version: "1.2.3" });
  await flush();
  return { el, model, cleanup };
}

/** How many times the view bumped `_refresh_request` (each bump is one refresh asked for). */
const bumps = (model: FakeModel<PanelState>): number =>
  model.saved.filter((changes) => "_refresh_request" in changes).length;

/** Python saw the bump: it publishes a newer snapshot, with `changes` applied. */
async function pythonRefreshes(model: FakeModel<PanelState>, changes: Partial<WireSnapshot> = {}) {
  const snapshot = { ...model.get("snapshot"), ...changes };
  snapshot.revision += 1;
  model.fromPython("snapshot", snapshot);
  await vi.advanceTimersByTimeAsync(0);
}

/** Advances time until the next bump of the refresh trait; returns how long that took. */
async function untilNextPoll(model: FakeModel<PanelState>, limit = 120_000): Promise<number> {
  const before = bumps(model);
  const start = Date.now();
  while (bumps(model) === before) {
    if (Date.now() - start > limit) return Number.POSITIVE_INFINITY;
    await vi.advanceTimersByTimeAsync(250);
  }
  return Date.now() - start;
}

const q = (el: HTMLElement, testId: string): HTMLElement | null =>
  el.querySelector(`[data-testid=${testId}]`);

let mounted: Mounted | undefined;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(async () => {
  mounted?.cleanup();
  mounted?.el.remove();
  mounted = undefined;
  // Preact runs effects after paint on a timer: one still pending when the fake clock goes
  // would stay queued for good, and every later test's effects behind it would never run.
  await vi.advanceTimersByTimeAsync(200);
  vi.useRealTimers();
});

describe("Panel", () => {
  it("renders the header, the three tabs and the footer", async () => {
    mounted = await mount({ revision: 2 });
    const { el } = mounted;
    expect(el.querySelector(".sp-name")?.textContent).toBe("ads-endpoint");
    expect(q(el, "state-badge")?.textContent).toBe("Ready");
    expect(q(el, "refresh")?.getAttribute("data-revision")).toBe("2");
    expect(q(el, "footer")?.textContent).toBe("serving-panel 1.2.3");
    expect(
      ["tab-overview", "tab-logs", "tab-permissions"].map((t) => q(el, t)?.textContent),
    ).toEqual(["Overview", "Logs", "Permissions"]);
    expect(q(el, "overview")).not.toBeNull();
    expect(q(el, "entities")).not.toBeNull();
    expect(q(el, "traffic-bar")).not.toBeNull();
  });

  it("shows the permission editor, which reads the ACL once the tab is shown", async () => {
    mounted = await mount();
    const { el, model } = mounted;
    expect(model.requestCount("acl.read")).toBe(0);
    q(el, "tab-permissions")?.click();
    await flush();
    const id = q(el, "tab-permissions")?.getAttribute("aria-controls");
    const panel = el.querySelector<HTMLElement>(`#${id}`);
    expect(panel?.hidden).toBe(false);
    expect(panel?.querySelector("[data-testid=perms]")).not.toBeNull();
    expect(model.requestCount("acl.read")).toBe(1);
  });
  it("gives each view its own element ids", async () => {
    mounted = await mount();
    const other = await mount();
    const a = q(mounted.el, "tab-logs")?.id;
    const b = q(other.el, "tab-logs")?.id;
    expect(a).not.toBe(b);
    other.cleanup();
    other.el.remove();
  });

  it("bumps _refresh_request once on click and is busy until a newer snapshot", async () => {
    mounted = await mount({ revision: 3 }, { auto_refresh: false });
    const { el, model } = mounted;
    const button = q(el, "refresh") as HTMLButtonElement;
    expect(button.getAttribute("aria-busy")).toBe("false");
    button.click();
    await flush();
    button.click(); // a second click joins the refresh on its way
    await flush();
    expect(model.saved).toEqual([{ _refresh_request: 1 }]);
    expect(model.get("_refresh_request")).toBe(1);
    expect(button.getAttribute("aria-busy")).toBe("true");
    expect(button.classList.contains("sp-busy")).toBe(true);
    // A snapshot that is not newer than the one shown at the bump does not end the wait.
    model.fromPython("snapshot", { ...model.get("snapshot"), description: "edited" });
    await flush();
    expect(button.getAttribute("aria-busy")).toBe("true");
    await pythonRefreshes(model);
    await flush();
    expect(button.getAttribute("aria-busy")).toBe("false");
    expect(q(el, "refresh")?.getAttribute("data-revision")).toBe("4");
    button.click();
    await flush();
    expect(model.saved).toEqual([{ _refresh_request: 1 }, { _refresh_request: 2 }]);
    expect(model.requests().filter((r) => r.kind === "refresh")).toEqual([]);
  });

  it("ends a refresh on a newer snapshot that carries an error, and shows it", async () => {
    mounted = await mount({}, { auto_refresh: false });
    const { el, model } = mounted;
    q(el, "refresh")?.click();
    await flush();
    await pythonRefreshes(model, {
      error: { message: "RuntimeError: boom", error_code: "INTERNAL_ERROR", status: 500 },
    });
    await flush();
    expect(el.querySelector("[role=alert]")?.textContent).toContain("RuntimeError: boom");
    expect(el.querySelector("[role=alert]")?.textContent).toContain("(INTERNAL_ERROR, 500");
    expect(q(el, "refresh")?.getAttribute("aria-busy")).toBe("false");
    q(el, "refresh")?.click();
    await flush();
    await pythonRefreshes(model, { error: null });
    await flush();
    expect(el.querySelector("[role=alert]")).toBeNull();
    expect(bumps(model)).toBe(2);
  });

  it("says when Python does not answer a refresh, and clears it after one that works", async () => {
    mounted = await mount({}, { auto_refresh: false });
    const { el, model } = mounted;
    q(el, "refresh")?.click();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(el.querySelector("[role=alert]")).toBeNull();
    expect(q(el, "refresh")?.getAttribute("aria-busy")).toBe("true");
    await vi.advanceTimersByTimeAsync(2);
    expect(el.querySelector("[role=alert]")?.textContent).toContain(
      'no answer from Python to "refresh" within 30 s',
    );
    expect(q(el, "refresh")?.getAttribute("aria-busy")).toBe("false");
    q(el, "refresh")?.click();
    await flush();
    expect(bumps(model)).toBe(2);
    await pythonRefreshes(model);
    await flush();
    expect(el.querySelector("[role=alert]")).toBeNull();
  });

  it("backs off after a poll Python does not answer", async () => {
    mounted = await mount();
    const { model } = mounted;
    expect(await untilNextPoll(model)).toBe(5000);
    // No snapshot comes: the poll times out after 30 s, then the next waits 10 s.
    expect(await untilNextPoll(model)).toBe(30_000 + 10_000);
    expect(bumps(model)).toBe(2);
    expect(model.requestCount("refresh")).toBe(0);
  });

  it("shows the snapshot's error (a 403) as an alert", async () => {
    mounted = await mount();
    const { el, model } = mounted;
    const message = "User bob does not have permission 'CAN_VIEW' on this endpoint";
    model.fromPython("snapshot", {
      ...model.get("snapshot"),
      revision: 1,
      error: { message, error_code: "PERMISSION_DENIED", status: 403 },
    });
    await flush();
    expect(el.querySelector("[role=alert] .sp-alert-message")?.textContent).toBe(message);
  });

  it("polls every 2 s while an update is in progress", async () => {
    mounted = await mount({ state: "Not ready (updating)", config_update: "IN_PROGRESS" });
    const { model } = mounted;
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      waits.push(await untilNextPoll(model));
      await pythonRefreshes(model);
    }
    expect(waits).toEqual([2000, 2000, 2000, 2000]);
  });

  it("backs off 5, 10, 20, 30, 60, 60 s while nothing changes, and resets on a change", async () => {
    mounted = await mount();
    const { model } = mounted;
    const waits: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      waits.push(await untilNextPoll(model));
      await pythonRefreshes(model);
    }
    expect(waits).toEqual([5000, 10000, 20000, 30000, 60000, 60000]);
    // The next poll finds the update started: polling speeds up to 2 s.
    expect(await untilNextPoll(model)).toBe(60000);
    await pythonRefreshes(model, {
      state: "Not ready (updating)",
      config_update: "IN_PROGRESS",
      pending: configFixture({ version: 2 }),
    });
    expect(await untilNextPoll(model)).toBe(2000);
    // The update ends: back to 5 s, then backing off again.
    await pythonRefreshes(model, { state: "Ready", config_update: "NOT_UPDATING", pending: null });
    expect(await untilNextPoll(model)).toBe(5000);
    await pythonRefreshes(model);
    expect(await untilNextPoll(model)).toBe(10000);
  });

  it("does not poll when auto_refresh is false, and starts when Python turns it on", async () => {
    mounted = await mount({}, { auto_refresh: false });
    const { model } = mounted;
    expect(await untilNextPoll(model, 600_000)).toBe(Number.POSITIVE_INFINITY);
    model.fromPython("auto_refresh", true);
    expect(await untilNextPoll(model)).toBe(5000);
  });

  it("turns auto-refresh off from its checkbox (a synced trait)", async () => {
    mounted = await mount({ config_update: "IN_PROGRESS" });
    const { el, model } = mounted;
    el.querySelector<HTMLInputElement>(".sp-auto input")?.click();
    await flush();
    expect(model.saved).toEqual([{ auto_refresh: false }]);
    expect(await untilNextPoll(model, 600_000)).toBe(Number.POSITIVE_INFINITY);
  });

  it("keeps relative times current while nothing else re-renders", async () => {
    mounted = await mount({ updated: T0 - 5 * 60_000 }, { auto_refresh: false });
    const time = (): string | null | undefined =>
      mounted?.el.querySelector(".sp-when time")?.textContent;
    expect(time()).toBe("5 min ago");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(time()).toBe("6 min ago");
  });

  it("leaves no listener and no timer behind after cleanup, and polls no more", async () => {
    const view = await mount({ config_update: "IN_PROGRESS" });
    await untilNextPoll(view.model); // a poll in flight at cleanup time
    const sent = view.model.sent.length;
    const polls = bumps(view.model);
    view.cleanup();
    expect(view.model.listenerCount()).toBe(0);
    expect(view.el.childElementCount).toBe(0);
    await vi.advanceTimersByTimeAsync(100); // Preact's own deferred effect cleanups
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(bumps(view.model)).toBe(polls);
    expect(view.model.sent.length).toBe(sent);
    view.el.remove();
  });

  it("renders every server string as text, never as HTML", async () => {
    const payload = '<img src=x onerror="window.__pwned=1">';
    const entity = entityFixture({
      name: payload,
      entity: payload,
      message: payload,
      state: payload,
    });
    mounted = await mount(
      {
        name: payload,
        creator: payload,
        description: payload,
        permission_level: payload,
        tags: [{ key: payload, value: payload }],
        config: configFixture({ entities: [entity] }),
        pending: configFixture({ version: 2, entities: [{ ...entity, version: payload }] }),
        config_update: "IN_PROGRESS",
        error: { message: payload, errorCode: payload, status: 403 },
      },
      { endpoint_name: payload },
    );
    const { el } = mounted;
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector(".sp-name")?.textContent).toBe(payload);
    expect(el.querySelector(".sp-alert-message")?.textContent).toBe(payload);
    expect(el.textContent).toContain(`${payload}: ${payload}`);
    expect(q(el, "entities")?.querySelector("tbody th")?.textContent).toBe(payload);
    expect(q(el, "pending")?.textContent).toContain(`${payload}: version 1 → ${payload}`);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });
});

describe("Panel waiting on the kernel", () => {
  function render(model: FakeModel<PanelState>): Mounted {
    const el = document.createElement("div");
    document.body.append(el);
    if (typeof widget === "function" || widget.render === undefined) throw new Error("no render");
    const cleanup = widget.render({
      model,
      el,
    } as unknown as RenderProps<PanelState>) as () => void;
    return { el, model, cleanup };
  }

  it("says so in the header and the footer when hello goes unanswered, until it is", async () => {
    const model = new FakeModel(panelStateFixture());
    mounted = render(model);
    const { el } = mounted;
    await flush(); // the view sends hello (within these 50 ms)
    expect(model.requests().map((r) => r.kind)).toEqual(["hello"]);
    await vi.advanceTimersByTimeAsync(SLOW_MS - 150);
    expect(q(el, "footer")?.textContent).toBe("connecting…");
    expect(q(el, "kernel-wait")).toBeNull();
    await vi.advanceTimersByTimeAsync(200);
    expect(q(el, "footer")?.textContent).toBe("waiting for the kernel…");
    expect(q(el, "kernel-wait")?.textContent).toBe("waiting for the kernel…");
    model.answer("hello", { version: "1.2.3" });
    await flush();
    expect(q(el, "footer")?.textContent).toBe("serving-panel 1.2.3");
    expect(q(el, "kernel-wait")).toBeNull();
  });

  it("names a running cell when JupyterLab's kernel says it runs one, and counts a refresh", async () => {
    const slots = new Set<(sender: unknown, msg: unknown) => void>();
    const signal = {
      connect: (slot: (sender: unknown, msg: unknown) => void) => slots.add(slot),
      disconnect: (slot: (sender: unknown, msg: unknown) => void) => slots.delete(slot),
    };
    const kernel = { status: "idle", statusChanged: signal, iopubMessage: signal };
    const model = new FakeModel(panelStateFixture({ revision: 2 }));
    Object.defineProperty(model, "widget_manager", { value: { get_model: vi.fn(), kernel } });
    mounted = render(model);
    await flush();
    model.answer("hello", { version: "1.2.3" });
    await flush();
    for (const slot of slots) {
      slot(kernel, {
        header: { msg_type: "status" },
        parent_header: { msg_type: "execute_request" },
        content: { execution_state: "busy" },
      });
    }
    (q(mounted.el, "refresh") as HTMLButtonElement).click();
    await vi.advanceTimersByTimeAsync(SLOW_MS);
    expect(q(mounted.el, "kernel-wait")?.textContent).toBe(
      "waiting for the kernel: it is running a cell…",
    );
    await pythonRefreshes(model);
    await flush();
    expect(q(mounted.el, "kernel-wait")).toBeNull();
    mounted.cleanup();
    expect(slots.size).toBe(0); // the view's cleanup let go of the host's kernel
    mounted = undefined;
  });
});

describe("Panel links between tabs", () => {
  it("opens the Logs tab at a failed entity's build log from the Overview", async () => {
    const pending = configFixture({
      version: 5,
      entities: [
        entityFixture({ name: "ads1-1" }),
        entityFixture({ name: "ads1-9", state: "DEPLOYMENT_FAILED", message: "boom" }),
      ],
    });
    mounted = await mount({
      pending,
      config_update: "UPDATE_FAILED",
      state: "Ready (update failed)",
    });
    const { el, model } = mounted;
    expect(q(el, "tab-overview")?.getAttribute("aria-selected")).toBe("true");
    expect(model.requestCount("logs.page")).toBe(0);
    q(el, "show-build-log")?.click();
    await flush();
    expect(q(el, "tab-logs")?.getAttribute("aria-selected")).toBe("true");
    const asked = model.requests().filter((r) => r.kind === "logs.page");
    expect(asked).toHaveLength(1);
    expect(asked[0]?.payload).toMatchObject({ entity: "ads1-9", kind: "build", config_version: 5 });
  });
});

describe("Panel in a frontend that drops widget messages", () => {
  it("says so once when a refresh is answered but hello never is", async () => {
    const model = new FakeModel(panelStateFixture({ revision: 1 }));
    const el = document.createElement("div");
    document.body.append(el);
    if (typeof widget === "function" || widget.render === undefined) throw new Error("no render");
    const cleanup = widget.render({
      model,
      el,
    } as unknown as RenderProps<PanelState>) as () => void;
    mounted = { el, model, cleanup };
    await flush();
    expect(model.requestCount("hello")).toBe(1); // sent, never answered below
    expect(q(el, "messages-blocked")).toBeNull();
    q(el, "refresh")?.click();
    await flush();
    await pythonRefreshes(model);
    await flush();
    const note = q(el, "messages-blocked");
    expect(note?.textContent).toContain("does not pass the panel's messages to Python");
    q(el, "refresh")?.click();
    await flush();
    await pythonRefreshes(model);
    await flush();
    expect(el.querySelectorAll("[data-testid=messages-blocked]")).toHaveLength(1);
  });

  it("says nothing when hello was answered, even with an error", async () => {
    mounted = await mount({ revision: 1 });
    const { el, model } = mounted;
    q(el, "refresh")?.click();
    await flush();
    await pythonRefreshes(model);
    await flush();
    expect(q(el, "messages-blocked")).toBeNull();
  });
});
