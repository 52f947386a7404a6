import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configFixture, FakeModel, panelStateFixture, snapshotFixture } from "../test/fake-model";
import { Rpc } from "./bridge/rpc";
import { ScopedModel } from "./bridge/scoped-model";
import { Header } from "./header";
import { type PanelState, type Snapshot, UI_STATES } from "./model";
import type { ErrorView } from "./ui/errors";
import { exactTime } from "./ui/format";

const NOW = 1_700_000_600_000;
let el: HTMLElement;

function show(snapshot: Snapshot, extra: { busy?: boolean; requestError?: ErrorView | null } = {}) {
  const handlers = { onRefresh: vi.fn(), onAutoRefresh: vi.fn() };
  render(
    <Header
      name={snapshot.name}
      snapshot={snapshot}
      now={NOW}
      busy={extra.busy ?? false}
      autoRefresh={true}
      requestError={extra.requestError ?? null}
      {...handlers}
    />,
    el,
  );
  return handlers;
}

const q = (testId: string): HTMLElement | null => el.querySelector(`[data-testid=${testId}]`);

beforeEach(() => {
  el = document.createElement("div");
  document.body.append(el);
});

afterEach(() => {
  render(null, el);
  el.remove();
});

describe("Header", () => {
  it.each([
    ["Ready", "sp-tone-ready"],
    ["Ready (update failed)", "sp-tone-failed"],
    ["Not ready (updating)", "sp-tone-updating"],
    ["Not ready (update failed)", "sp-tone-failed"],
    ["Not ready (stopped)", "sp-tone-stopped"],
  ])("shows %s with the badge class %s", (state, tone) => {
    show(snapshotFixture({ state }));
    const badge = q("state-badge");
    expect(badge?.textContent).toBe(state);
    expect(badge?.classList.contains("sp-badge")).toBe(true);
    expect(badge?.classList.contains(tone)).toBe(true);
    expect(badge?.getAttribute("data-state")).toBe(state);
  });

  it("covers exactly the five UI states", () => {
    expect(UI_STATES).toHaveLength(5);
  });

  it("says when the endpoint was not read yet", () => {
    show(snapshotFixture({ state: null }));
    expect(q("state-badge")?.textContent).toBe("Not read yet");
    expect(q("state-badge")?.classList.contains("sp-tone-unknown")).toBe(true);
  });

  it("shows config version, creator, last update (relative, exact on hover) and permission", () => {
    const updated = NOW - 5 * 60_000;
    show(snapshotFixture({ config: configFixture({ version: 3 }), updated }));
    const meta = el.querySelector(".sp-meta")?.textContent;
    expect(meta).toBe(
      "config v3 · created by alice@example.com · updated 5 min ago · you: CAN_MANAGE",
    );
    const time = el.querySelector(".sp-when time");
    expect(time?.textContent).toBe("5 min ago");
    expect(time?.getAttribute("title")).toBe(exactTime(updated));
    expect(time?.getAttribute("datetime")).toBe(new Date(updated).toISOString());
  });

  it("says 'updating to vN' while the update is in progress", () => {
    show(
      snapshotFixture({
        state: "Ready",
        config_update: "IN_PROGRESS",
        pending: configFixture({ version: 4, start_time: NOW - 2 * 60_000 }),
      }),
    );
    expect(el.querySelector(".sp-pending-note")?.textContent).toBe(
      "updating to v4 · since 2 min ago",
    );
  });

  it("says 'update to vN failed' in the failed tone for a failed pending config", () => {
    show(
      snapshotFixture({
        config_update: "UPDATE_FAILED",
        pending: configFixture({ version: 4 }),
      }),
    );
    const note = q("pending-note");
    expect(note?.textContent).toBe("update to v4 failed");
    expect(note?.classList.contains("sp-pending-failed")).toBe(true);
  });

  it("says 'pending vN' for a pending config neither updating nor failed", () => {
    show(
      snapshotFixture({
        config_update: "NOT_UPDATING",
        pending: configFixture({ version: 4, start_time: null }),
      }),
    );
    expect(q("pending-note")?.textContent).toBe("pending v4");
  });

  it("has no pending note without a pending config", () => {
    show(snapshotFixture({ config_update: "IN_PROGRESS" }));
    expect(el.querySelector(".sp-pending-note")).toBeNull();
  });

  it("keeps the revision out of sight: a data attribute, and the read time in a tooltip", () => {
    show(snapshotFixture({ revision: 3, fetched_at: NOW - 120_000 }));
    expect(el.textContent).not.toContain("revision");
    expect(q("refresh")?.getAttribute("data-revision")).toBe("3");
    expect(q("refresh")?.getAttribute("title")).toBe("Refresh (last read 2 min ago)");
  });

  it("shows a refresh error as an alert with the message as given", () => {
    show(
      snapshotFixture({
        fetched_at: NOW - 60_000,
        error: {
          message: "User alice does not have permission 'CAN_VIEW' on endpoint ads-endpoint",
          errorCode: "PERMISSION_DENIED",
          status: 403,
        },
      }),
    );
    const alert = el.querySelector("[role=alert]");
    expect(alert?.querySelector(".sp-alert-message")?.textContent).toBe(
      "User alice does not have permission 'CAN_VIEW' on endpoint ads-endpoint",
    );
    expect(alert?.textContent).toContain("(PERMISSION_DENIED, 403; showing data read 1 min ago)");
  });

  it("shows no alert when the last refresh worked", () => {
    show(snapshotFixture());
    expect(el.querySelector("[role=alert]")).toBeNull();
  });

  it("shows a transport error (no answer from Python) as an alert too", () => {
    const message = 'no answer from Python to "refresh" within 30 s';
    show(snapshotFixture(), { requestError: { message, errorCode: undefined, status: undefined } });
    expect(el.querySelector("[role=alert]")?.textContent).toContain("no answer from Python");
  });

  it("marks the refresh button busy and calls back on click", () => {
    const handlers = show(snapshotFixture(), { busy: true });
    const button = q("refresh") as HTMLButtonElement;
    expect(button.getAttribute("aria-label")).toBe("Refresh");
    expect(button.getAttribute("aria-busy")).toBe("true");
    expect(button.classList.contains("sp-busy")).toBe(true);
    button.click();
    expect(handlers.onRefresh).toHaveBeenCalledTimes(1);
  });

  it("toggles auto-refresh through its callback", () => {
    const handlers = show(snapshotFixture());
    const box = el.querySelector<HTMLInputElement>(".sp-auto input");
    expect(box?.checked).toBe(true);
    box?.click();
    expect(handlers.onAutoRefresh).toHaveBeenCalledWith(false);
  });

  it("shows 'Deleted' once the panel deleted the endpoint, and says so instead of a refresh error", () => {
    show(
      snapshotFixture({
        state: "Ready",
        deleted: true,
        error: { message: "This endpoint was deleted.", errorCode: "DELETED", status: 404 },
      }),
    );
    const badge = q("state-badge");
    expect(badge?.textContent).toBe("Deleted");
    expect(badge?.getAttribute("data-state")).toBe("Deleted");
    expect(badge?.classList.contains("sp-tone-stopped")).toBe(true);
    const alert = el.querySelector("[role=alert]");
    expect(alert?.querySelector("strong")?.textContent).toBe("Deleted:");
    expect(alert?.querySelector(".sp-alert-message")?.textContent).toBe(
      "This endpoint was deleted.",
    );
  });

  it("has the actions menu button after refresh; its stop and delete items need an rpc", () => {
    show(snapshotFixture());
    const buttons = [...el.querySelectorAll(".sp-title-row button")];
    const menuButton = q("actions");
    expect(buttons.at(-1)).toBe(menuButton);
    expect(menuButton?.getAttribute("aria-haspopup")).toBe("menu");
    act(() => menuButton?.click());
    const items = [...el.querySelectorAll("[role=menu] [role=menuitem]")];
    expect(items.map((item) => item.textContent)).toEqual([
      "Copy endpoint id",
      "Stop endpoint…",
      "Delete endpoint…",
      "Restore from backup…",
    ]);
    // This test renders the header without an rpc: stopping and deleting cannot be offered.
    expect(items[1]?.getAttribute("aria-disabled")).toBe("true");
    expect(items[2]?.getAttribute("aria-disabled")).toBe("true");
  });

  it("opens the delete dialog below the header's own content when given the view's rpc", () => {
    const model = new FakeModel(panelStateFixture());
    const rpc = new Rpc(new ScopedModel<PanelState>(model));
    const snapshot = snapshotFixture();
    render(
      <Header
        name={snapshot.name}
        snapshot={snapshot}
        now={NOW}
        busy={false}
        autoRefresh={true}
        requestError={null}
        onRefresh={vi.fn()}
        onAutoRefresh={vi.fn()}
        rpc={rpc}
      />,
      el,
    );
    act(() => q("actions")?.click());
    const del = el.querySelector<HTMLElement>("[data-testid=action-delete]");
    expect(del?.hasAttribute("aria-disabled")).toBe(false);
    act(() => del?.click());
    const header = el.querySelector("header");
    const dialog = header?.lastElementChild;
    expect(dialog?.getAttribute("role")).toBe("dialog");
    expect(dialog?.getAttribute("aria-modal")).toBe("true");
    expect(el.querySelector(".sp-title-row [role=dialog]")).toBeNull();
    // The title row and its metadata stay together, above the dialog.
    const children = [...(header?.children ?? [])].map((c) => c.className);
    expect(children.indexOf("sp-meta")).toBeLessThan(children.length - 1);
    expect(model.requestCount("delete.summary")).toBe(1);
    act(() => render(null, el));
    expect(rpc.outstanding).toBe(0);
  });

  it("renders server strings as text", () => {
    const payload = '<img src=x onerror="window.__pwned=1">';
    show(
      snapshotFixture({
        name: payload,
        creator: payload,
        description: payload,
        permission_level: payload,
        tags: [{ key: payload, value: payload }],
        error: { message: payload, errorCode: payload, status: 500 },
      }),
    );
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector(".sp-name")?.textContent).toBe(payload);
    expect(el.querySelector(".sp-tag")?.textContent).toBe(`${payload}: ${payload}`);
    expect(el.querySelector(".sp-alert-message")?.textContent).toBe(payload);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });
});
