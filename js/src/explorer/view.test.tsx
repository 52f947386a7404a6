/**
 * The explorer entry on a fake model: list then details, 5,000 rows virtualized, search, sort,
 * keyboard, open and back with the list's state kept, and server strings as text.
 */
import type { RenderProps } from "@anywidget/types";
import { describe, expect, it, vi } from "vitest";
import { explorerRowFixture as rowFixture } from "../../test/explorer-fixtures";
import { FakeModel, panelStateFixture } from "../../test/fake-model";
import widget from "../explorer";
import type { PanelState } from "../model";
import { LIST_POLL_MS, UPDATING_POLL_MS } from "./loader";
import type { Row } from "./model";

const WAIT = { timeout: 10_000, interval: 5 };

function emptyState(): PanelState {
  return { ...panelStateFixture(), endpoint_name: "", snapshot: {} as PanelState["snapshot"] };
}

function mount(model: FakeModel<PanelState>): { el: HTMLElement; cleanup: () => void } {
  const el = document.createElement("div");
  document.body.append(el);
  if (typeof widget === "function" || widget.render === undefined) throw new Error("no render");
  const cleanup = widget.render({ model, el } as unknown as RenderProps<PanelState>) as () => void;
  return { el, cleanup };
}

function many(count: number): Row[] {
  return Array.from({ length: count }, (_, i) =>
    rowFixture({
      name: `ep-${String(i).padStart(4, "0")}`,
      creator: i % 2 === 0 ? "alice@example.com" : "bob@example.com",
      tags: [{ key: "shard", value: String(i % 10) }],
    }),
  );
}

const shownRows = (el: HTMLElement) =>
  [...el.querySelectorAll<HTMLElement>("[data-testid=explorer-row]")].map(
    (row) => row.dataset.name,
  );

async function listed(model: FakeModel<PanelState>, rows: Row[], me = "alice@example.com") {
  await vi.waitFor(() => expect(model.requestCount("explorer.list")).toBe(1), WAIT);
  model.answer("explorer.list", { rows, me, fetched_at: 1 });
}

describe("ServingExplorer's Endpoints view", () => {
  it("shows the list's rows, then streams details in batches with progress", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await listed(model, many(100));
    await vi.waitFor(() => expect(shownRows(el).length).toBeGreaterThan(0), WAIT);
    expect(el.querySelector("[data-testid=explorer-progress]")?.textContent).toContain(
      "details 0/100",
    );
    await vi.waitFor(() => expect(model.requestCount("explorer.details")).toBe(1), WAIT);
    const asked = model.requests().find((r) => r.kind === "explorer.details")?.payload as {
      names: string[];
    };
    expect(asked.names).toHaveLength(48);
    model.answer("explorer.details", {
      rows: asked.names.map((name) => ({
        ...rowFixture({ name }),
        detailed: true,
        permission_level: "CAN_MANAGE",
        traffic: [{ entity: "ads1-1", percentage: 100 }],
      })),
      missing: [],
      errors: [],
    });
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-progress]")?.textContent).toContain(
          "details 48/100",
        ),
      WAIT,
    );
    expect(el.querySelector("[data-testid=explorer-traffic]")).not.toBeNull();
    cleanup();
  });

  it("starts with the selection an earlier view left in the synced trait", async () => {
    const model = new FakeModel({ ...emptyState(), selection: ["ep-0002", "ep-0003"] });
    const { el, cleanup } = mount(model);
    await listed(model, many(5));
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-selection]")?.textContent).toContain(
          "2 selected",
        ),
      WAIT,
    );
    expect(el.querySelector('[data-name="ep-0002"]')?.getAttribute("aria-selected")).toBe("true");
    expect(model.saved.filter((change) => "selection" in change)).toEqual([]); // nothing re-sent
    cleanup();
  });

  it("retries names that got a 429, slowed down, and never fails the view", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await listed(model, many(3));
    await vi.waitFor(() => expect(model.requestCount("explorer.details")).toBe(1), WAIT);
    model.answer("explorer.details", {
      rows: [{ ...rowFixture({ name: "ep-0000" }), detailed: true }],
      missing: ["ep-0001"],
      errors: [
        {
          name: "ep-0002",
          error: { message: "slow down", error_code: "REQUEST_LIMIT_EXCEEDED", status: 429 },
        },
      ],
    });
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-slowed]")?.textContent).toContain(
          "slow down",
        ),
      WAIT,
    );
    expect(shownRows(el)).toEqual(["ep-0000", "ep-0002"]); // the deleted one went
    await vi.waitFor(() => expect(model.requestCount("explorer.details")).toBe(2), WAIT);
    const retried = model.requests().filter((r) => r.kind === "explorer.details")[1]?.payload;
    expect(retried).toEqual({ names: ["ep-0002"] });
    model.answer("explorer.details", {
      rows: [{ ...rowFixture({ name: "ep-0002" }), detailed: true }],
      missing: [],
      errors: [],
    });
    await vi.waitFor(
      () => expect(el.querySelector("[data-testid=explorer-progress]")).toBeNull(),
      WAIT,
    );
    expect(el.querySelector("[data-testid=explorer-error]")).toBeNull();
    cleanup();
  });

  it("renders only a window of 5,000 rows, and filters and sorts all of them", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await listed(model, many(5000));
    await vi.waitFor(() => expect(shownRows(el).length).toBeGreaterThan(0), WAIT);
    expect(shownRows(el).length).toBeLessThan(60);
    const sizer = el.querySelector<HTMLElement>(".sp-x-sizer");
    expect(sizer?.style.height).toBe(`${5000 * 30}px`);
    expect(el.querySelector("[data-testid=explorer-shown]")?.textContent).toBe("5000 shown");

    const search = el.querySelector<HTMLInputElement>("[data-testid=explorer-search]");
    if (search === null) throw new Error("no search");
    search.value = "ep-49";
    search.dispatchEvent(new Event("input"));
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-shown]")?.textContent).toBe(
          "100 of 5000 shown",
        ),
      WAIT,
    );
    expect(shownRows(el)[0]).toBe("ep-4900");

    el.querySelector<HTMLButtonElement>("[data-testid=explorer-sort-name]")?.click();
    await vi.waitFor(() => expect(shownRows(el)[0]).toBe("ep-4999"), WAIT);

    const mine = el.querySelector<HTMLInputElement>("[data-testid=explorer-mine]");
    mine?.click();
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-shown]")?.textContent).toBe(
          "50 of 5000 shown",
        ),
      WAIT,
    );
    expect(shownRows(el)[0]).toBe("ep-4998");
    cleanup();
  });

  it("moves the focus with the arrow keys and opens the focused row with Enter", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await listed(model, many(200));
    const list = await vi.waitFor(() => {
      const found = el.querySelector<HTMLElement>("[data-testid=explorer-list]");
      if (found === null) throw new Error("no list");
      return found;
    }, WAIT);
    const key = (name: string) =>
      list.dispatchEvent(new KeyboardEvent("keydown", { key: name, bubbles: true }));
    key("ArrowDown");
    key("ArrowDown");
    key("ArrowUp");
    key("ArrowDown");
    await vi.waitFor(
      () => expect(el.querySelector(".sp-x-focus")?.getAttribute("data-name")).toBe("ep-0001"),
      WAIT,
    );
    expect(list.getAttribute("aria-activedescendant")).toBe(el.querySelector(".sp-x-focus")?.id);
    key(" ");
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-selection]")?.textContent).toContain(
          "1 selected",
        ),
      WAIT,
    );
    // Python hears of it as the synced `selection` trait, once.
    await vi.waitFor(
      () =>
        expect(model.saved.filter((change) => "selection" in change)).toEqual([
          { selection: ["ep-0001"] },
        ]),
      WAIT,
    );
    expect(model.requestCount("explorer.select")).toBe(0);
    key("End");
    await vi.waitFor(
      () => expect(el.querySelector(".sp-x-focus")?.getAttribute("data-name")).toBe("ep-0199"),
      WAIT,
    );
    key("Enter");
    await vi.waitFor(() => expect(model.requestCount("explorer.open")).toBe(1), WAIT);
    expect(model.requests().find((r) => r.kind === "explorer.open")?.payload).toEqual({
      name: "ep-0199",
    });
    cleanup();
  });

  it("selects ranges with shift-click and toggles with ctrl-click", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await listed(model, many(10));
    await vi.waitFor(() => expect(shownRows(el)).toHaveLength(10), WAIT);
    const row = (name: string) =>
      el.querySelector<HTMLElement>(`[data-testid=explorer-row][data-name="${name}"]`);
    row("ep-0002")?.dispatchEvent(new MouseEvent("click", { ctrlKey: true, bubbles: true }));
    row("ep-0005")?.dispatchEvent(new MouseEvent("click", { shiftKey: true, bubbles: true }));
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-selection]")?.textContent).toContain(
          "4 selected",
        ),
      WAIT,
    );
    expect(model.requestCount("explorer.open")).toBe(0);
    cleanup();
  });

  it("opens a row as the panel, tags its requests, and goes back to the list as it was", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await listed(model, many(30));
    const search = await vi.waitFor(() => {
      const found = el.querySelector<HTMLInputElement>("[data-testid=explorer-search]");
      if (found === null) throw new Error("no search");
      return found;
    }, WAIT);
    search.value = "ep-001";
    search.dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(shownRows(el)).toHaveLength(10), WAIT);
    el.querySelector<HTMLElement>('[data-testid=explorer-row][data-name="ep-0012"]')?.click();
    await vi.waitFor(() => expect(model.requestCount("explorer.open")).toBe(1), WAIT);
    // Python hosts it: the traits the panel reads change.
    const state = panelStateFixture({ name: "ep-0012" });
    model.fromPython("snapshot", state.snapshot);
    model.fromPython("endpoint_name", "ep-0012");
    model.answer("explorer.open", { name: "ep-0012", state: "Ready" });
    await vi.waitFor(() => expect(el.querySelector(".sp-name")?.textContent).toBe("ep-0012"), WAIT);
    expect(el.querySelector("[data-testid=state-badge]")).not.toBeNull();
    expect(el.querySelector("[role=tablist]")?.textContent).toContain("Overview");
    await vi.waitFor(() => expect(model.requestCount("hello")).toBe(1), WAIT);
    const hello = model.requests().find((r) => r.kind === "hello") as unknown as {
      endpoint: string;
    };
    expect(hello.endpoint).toBe("ep-0012");

    el.querySelector<HTMLButtonElement>("[data-testid=explorer-back]")?.click();
    await vi.waitFor(() => expect(model.requestCount("explorer.close")).toBe(1), WAIT);
    model.fromPython("endpoint_name", "");
    model.answer("explorer.close", {});
    await vi.waitFor(() => expect(shownRows(el)).toHaveLength(10), WAIT);
    expect(el.querySelector<HTMLInputElement>("[data-testid=explorer-search]")?.value).toBe(
      "ep-001",
    );
    expect(el.querySelector(".sp-x-focus")?.getAttribute("data-name")).toBe("ep-0012");
    expect(model.requestCount("explorer.list")).toBe(1); // the rows were kept, not re-listed
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });

  it("stops following while a row is open as the panel, and follows again once back", async () => {
    vi.useFakeTimers();
    try {
      const model = new FakeModel({ ...emptyState(), auto_refresh: true });
      const { cleanup } = mount(model);
      await vi.advanceTimersByTimeAsync(1);
      expect(model.requestCount("explorer.list")).toBe(1);
      const row = rowFixture({ name: "ep-0000", updating: true });
      const details = { rows: [{ ...row, detailed: true }], missing: [], errors: [] };
      model.answer("explorer.list", { rows: [row], me: "alice@example.com", fetched_at: 1 });
      await vi.advanceTimersByTimeAsync(1);
      model.answer("explorer.details", details);
      await vi.advanceTimersByTimeAsync(UPDATING_POLL_MS);
      expect(model.requestCount("explorer.details")).toBe(2); // the updating row, read again
      model.answer("explorer.details", details);
      await vi.advanceTimersByTimeAsync(1);

      model.fromPython("snapshot", panelStateFixture({ name: "ep-0000" }).snapshot);
      model.fromPython("endpoint_name", "ep-0000");
      await vi.advanceTimersByTimeAsync(LIST_POLL_MS * 2);
      expect(model.requestCount("explorer.details")).toBe(2);
      expect(model.requestCount("explorer.list")).toBe(1);

      model.fromPython("endpoint_name", "");
      await vi.advanceTimersByTimeAsync(500); // Preact runs effects after the next paint
      expect(model.requestCount("explorer.list")).toBe(2); // due for a minute: read at once
      cleanup();
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows names, tags and creators as text, never as HTML", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    const payload = '<img src=x onerror="window.pwned=1">';
    await listed(model, [
      rowFixture({
        name: `${payload}-name`,
        creator: `${payload}@example.com`,
        tags: [{ key: payload, value: "<b>v</b>" }],
        entities: [{ name: "e", entity: payload, version: "1", state: null }],
      }),
    ]);
    await vi.waitFor(() => expect(shownRows(el)).toHaveLength(1), WAIT);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector(".sp-x-root b")).toBeNull();
    expect(el.querySelector(".sp-x-name")?.textContent).toBe(`${payload}-name`);
    expect(el.querySelector("[data-testid=explorer-tag]")?.textContent).toBe(`${payload}=<b>v</b>`);
    expect(el.textContent).toContain(`${payload}@example.com`);
    cleanup();
  });

  it("keeps the rows and says why when the list call fails", async () => {
    const model = new FakeModel(emptyState());
    const { el, cleanup } = mount(model);
    await vi.waitFor(() => expect(model.requestCount("explorer.list")).toBe(1), WAIT);
    model.answer("explorer.list", undefined, {
      message: "no access",
      error_code: "PERMISSION_DENIED",
      status: 403,
    });
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=explorer-error]")?.textContent).toContain(
          "no access",
        ),
      WAIT,
    );
    cleanup();
  });
});
