/**
 * The explorer's Access view (principals by endpoints, batches with progress, filters, the
 * unreadable ACLs said) and grants across endpoints (preview, lock-out confirmation, apply,
 * a result per endpoint), on a fake model; server strings as text.
 */
import type { RenderProps } from "@anywidget/types";
import { render } from "preact";
import { describe, expect, it, vi } from "vitest";
import { explorerRowFixture as rowFixture } from "../../test/explorer-fixtures";
import { FakeModel, panelStateFixture } from "../../test/fake-model";
import widget from "../explorer";
import type { PanelState } from "../model";
import { ACCESS_BATCH, type Access, grid, normalizeAccess } from "./access";
import { type AccessFilters, AccessView, MAX_COLUMNS } from "./access-view";

const WAIT = { timeout: 10_000, interval: 5 };
/** One turn of the event loop: Preact renders what the last event changed. */
const rendered = () => new Promise((resolve) => setTimeout(resolve, 0));

function mount(model: FakeModel<PanelState>): { el: HTMLElement; cleanup: () => void } {
  const el = document.createElement("div");
  document.body.append(el);
  if (typeof widget === "function" || widget.render === undefined) throw new Error("no render");
  const cleanup = widget.render({ model, el } as unknown as RenderProps<PanelState>) as () => void;
  return { el, cleanup };
}

async function listed(names: string[]) {
  const model = new FakeModel({
    ...panelStateFixture(),
    endpoint_name: "",
    snapshot: {} as PanelState["snapshot"],
  });
  const mounted = mount(model);
  await vi.waitFor(() => expect(model.requestCount("explorer.list")).toBe(1), WAIT);
  model.answer("explorer.list", {
    rows: names.map((name) => rowFixture({ name })),
    me: "me@example.com",
    fetched_at: 1,
  });
  await vi.waitFor(
    () =>
      expect(mounted.el.querySelectorAll("[data-testid=explorer-row]").length).toBeGreaterThan(0),
    WAIT,
  );
  return { model, ...mounted };
}

const entry = (principal: string, level: string, inherited = false) => ({
  kind: principal.includes("@") ? "user" : "group",
  principal,
  display_name: null,
  level,
  direct_level: inherited ? null : level,
  inherited,
  source: inherited ? "/serving-endpoints/" : "direct",
});

const access = (endpoint: string, entries: unknown[]) => ({
  endpoint,
  endpoint_id: `id-${endpoint}`,
  readable: true,
  error: null,
  entries,
});

const click = (el: HTMLElement, selector: string) => {
  const found = el.querySelector<HTMLElement>(selector);
  if (found === null) throw new Error(`no ${selector}`);
  found.click();
};

const type = (el: HTMLElement, selector: string, value: string) => {
  const input = el.querySelector<HTMLInputElement>(selector);
  if (input === null) throw new Error(`no ${selector}`);
  input.value = value;
  input.dispatchEvent(new Event("input"));
};

const cell = (el: HTMLElement, principal: string) =>
  [
    ...el.querySelectorAll<HTMLElement>(
      `[data-testid=access-row][data-principal="${principal}"] [data-testid=access-cell]`,
    ),
  ].map((td) => `${td.textContent}${td.dataset.inherited ? "!" : ""}`);

/** The Access view alone, its filters kept here as the explorer keeps them. */
function showAccess(accesses: Access[], initial: AccessFilters) {
  const el = document.createElement("div");
  document.body.append(el);
  let filters = initial;
  const draw = (): void =>
    render(
      <AccessView
        state={{
          loading: false,
          done: accesses.length,
          total: accesses.length,
          accesses,
          error: null,
        }}
        filters={filters}
        setFilters={(next) => {
          filters = next;
          draw();
        }}
        onReload={() => undefined}
      />,
      el,
    );
  draw();
  return {
    el,
    cleanup: () => {
      render(null, el);
      el.remove();
    },
  };
}

describe("the Access view", () => {
  it("reads the ACLs in batches with progress and shows principals by endpoints", async () => {
    const names = Array.from({ length: ACCESS_BATCH + 2 }, (_, i) => `ep-${i}`);
    const { model, el, cleanup } = await listed(names);
    click(el, "[data-testid=explorer-view-access]");
    await vi.waitFor(() => expect(model.requestCount("explorer.access")).toBe(1), WAIT);
    const first = model.requests().find((r) => r.kind === "explorer.access")?.payload as {
      names: string[];
    };
    expect(first.names).toEqual(names.slice(0, ACCESS_BATCH));
    model.answer("explorer.access", {
      endpoints: first.names.map((name) =>
        access(name, [
          entry("admins", "CAN_MANAGE", true),
          entry("alice@example.com", "CAN_QUERY"),
        ]),
      ),
    });
    await vi.waitFor(
      () =>
        expect(el.querySelector("[data-testid=access-progress]")?.textContent).toContain(
          `ACLs ${ACCESS_BATCH}/${ACCESS_BATCH + 2}`,
        ),
      WAIT,
    );
    await vi.waitFor(() => expect(model.requestCount("explorer.access")).toBe(2), WAIT);
    model.answer("explorer.access", {
      endpoints: [
        access(`ep-${ACCESS_BATCH}`, [entry("bob@example.com", "CAN_VIEW")]),
        {
          endpoint: `ep-${ACCESS_BATCH + 1}`,
          endpoint_id: null,
          readable: false,
          error: { message: "<b>no</b> access", error_code: "PERMISSION_DENIED", status: 403 },
          entries: [],
        },
      ],
    });
    await vi.waitFor(
      () => expect(el.querySelector("[data-testid=access-progress]")).toBeNull(),
      WAIT,
    );
    expect(cell(el, "admins").slice(0, 2)).toEqual(["MANAGE⇡!", "MANAGE⇡!"]);
    expect(cell(el, "alice@example.com")[0]).toBe("QUERY");
    const unreadable = el.querySelector("[data-testid=access-unreadable]");
    expect(unreadable?.textContent).toContain(`ep-${ACCESS_BATCH + 1}`);
    expect(unreadable?.textContent).toContain("<b>no</b> access");
    expect(el.querySelector("[data-testid=access-view] b")).toBeNull();

    // "What can bob@ reach?": his row alone, on the endpoints he has a level on.
    type(el, "[data-testid=access-who]", "bob@");
    await vi.waitFor(
      () => expect(el.querySelectorAll("[data-testid=access-row]")).toHaveLength(1),
      WAIT,
    );
    expect(cell(el, "bob@example.com")).toEqual(["VIEW"]);
    expect(el.querySelector("[data-testid=access-shown]")?.textContent).toContain(
      "1 principals × 1 endpoints",
    );

    // Back to the list and again: the ACLs read are kept.
    click(el, "[data-testid=explorer-view-endpoints]");
    click(el, "[data-testid=explorer-view-access]");
    await vi.waitFor(() => expect(el.querySelector("[data-testid=access-view]")).not.toBeNull());
    expect(model.requestCount("explorer.access")).toBe(2);
    cleanup();
  });

  it("narrows to one endpoint and marks invisible characters in names", () => {
    const accesses = normalizeAccess({
      endpoints: [
        access("prod", [entry("a\u202Eb@example.com", "CAN_QUERY")]),
        access("dev", [entry("c@example.com", "CAN_VIEW")]),
      ],
    });
    const g = grid(accesses, "", "PRO");
    expect(g.endpoints).toEqual(["prod"]);
    expect(g.principals.map((p) => p.principal)).toEqual(["a\u202Eb@example.com"]);
    expect(normalizeAccess({ endpoints: [42, { endpoint: 1 }] })).toHaveLength(1);
  });
});

describe("the Access view's level filter and turned grid", () => {
  const names = Array.from({ length: 120 }, (_, i) => `ep-${String(i).padStart(3, "0")}`);
  const accesses = normalizeAccess({
    endpoints: names.map((name, i) =>
      access(name, [
        entry("alice@example.com", i % 3 === 0 ? "CAN_VIEW" : "CAN_QUERY"),
        entry("bob@example.com", "CAN_MANAGE"),
        entry("admins", "CAN_MANAGE", true),
      ]),
    ),
  });

  it("keeps only cells at a level or above", () => {
    const managers = grid(accesses, "", "", "CAN_MANAGE");
    expect(managers.principals.map((p) => p.principal)).toEqual(["admins", "bob@example.com"]);
    const alice = grid(accesses, "alice", "", "CAN_QUERY");
    expect(alice.endpoints).toHaveLength(80);
    expect(grid(accesses, "alice", "", "").endpoints).toHaveLength(120);
  });

  it("answers 'what can alice@ query?' across more endpoints than fit as columns", async () => {
    const { el, cleanup } = showAccess(accesses, {
      who: "alice@",
      endpoint: "",
      level: "CAN_QUERY",
    });
    // One principal: all 80 endpoints as columns (the cell budget allows more than
    // MAX_COLUMNS when there are few rows), none left out.
    expect(80).toBeGreaterThan(MAX_COLUMNS);
    expect(el.querySelectorAll("[data-testid=access-row]")).toHaveLength(1);
    expect(el.querySelectorAll("[data-testid=access-cell]")).toHaveLength(80);
    expect(el.querySelector("[data-testid=access-shown]")?.textContent).not.toContain("shown:");

    click(el, "[data-testid=access-by-endpoint]");
    await vi.waitFor(() => expect(el.querySelector("table")?.dataset.by).toBe("endpoint"), WAIT);
    const rows = [...el.querySelectorAll<HTMLElement>("[data-testid=access-row]")];
    expect(rows).toHaveLength(80);
    expect(rows[0]?.dataset.endpoint).toBe("ep-001");
    expect(new Set(rows.map((row) => row.textContent?.replace(/^ep-\d+/, "")))).toEqual(
      new Set(["QUERY"]),
    );
    cleanup();
  });
});

describe("the Access view's sort", () => {
  it("sorts rows by their level in a column, most first, then again the other way", async () => {
    const accesses = normalizeAccess({
      endpoints: [
        access("e1", [
          entry("alice@example.com", "CAN_QUERY"),
          entry("bob@example.com", "CAN_MANAGE"),
          entry("admins", "CAN_MANAGE", true),
        ]),
        access("e2", [
          entry("alice@example.com", "CAN_VIEW"),
          entry("carol@example.com", "CAN_MANAGE"),
          entry("admins", "CAN_MANAGE", true),
        ]),
      ],
    });
    const { el, cleanup } = showAccess(accesses, { who: "", endpoint: "" });
    const order = () =>
      [...el.querySelectorAll<HTMLElement>("[data-testid=access-row]")].map(
        (row) => row.dataset.principal,
      );
    const header = (index: number) => {
      const found = el.querySelectorAll<HTMLElement>("[data-testid=access-sort]")[index];
      if (found === undefined) throw new Error(`no header ${index}`);
      return found;
    };
    expect(order()).toEqual([
      "admins",
      "alice@example.com",
      "bob@example.com",
      "carol@example.com",
    ]);

    header(1).click(); // e1: most access first, no level last
    await vi.waitFor(
      () =>
        expect(order()).toEqual([
          "admins",
          "bob@example.com",
          "alice@example.com",
          "carol@example.com",
        ]),
      WAIT,
    );
    expect(header(1).closest("th")?.getAttribute("aria-sort")).toBe("descending");
    header(1).click(); // least first; still no level last
    await vi.waitFor(
      () =>
        expect(order()).toEqual([
          "alice@example.com",
          "admins",
          "bob@example.com",
          "carol@example.com",
        ]),
      WAIT,
    );
    header(0).click();
    header(0).click(); // by name, Z to A
    await vi.waitFor(
      () =>
        expect(order()).toEqual([
          "carol@example.com",
          "bob@example.com",
          "alice@example.com",
          "admins",
        ]),
      WAIT,
    );
    cleanup();
  });
});

describe("grants across endpoints", () => {
  it("previews each endpoint's call, needs the lock-out confirmed, and applies that plan", async () => {
    const { model, el, cleanup } = await listed(["a", "b", "c"]);
    // The Access view read once before the grant...
    click(el, "[data-testid=explorer-view-access]");
    await vi.waitFor(() => expect(model.requestCount("explorer.access")).toBe(1), WAIT);
    model.answer("explorer.access", { endpoints: [] });
    click(el, "[data-testid=explorer-view-endpoints]");
    await vi.waitFor(() =>
      expect(el.querySelector("[data-testid=explorer-search]")).not.toBeNull(),
    );
    for (const name of ["a", "c"]) {
      el.querySelector<HTMLElement>(
        `[data-testid=explorer-row][data-name="${name}"]`,
      )?.dispatchEvent(new MouseEvent("click", { ctrlKey: true, bubbles: true }));
    }
    await vi.waitFor(() => click(el, "[data-testid=explorer-grant]"), WAIT);
    await vi.waitFor(() => expect(el.querySelector("[data-testid=grants]")).not.toBeNull(), WAIT);
    type(el, "[data-testid=perms-principal]", "team<i>x</i>");
    await rendered();
    const level = el.querySelector<HTMLSelectElement>("[data-testid=perms-level]");
    if (level === null) throw new Error("no level");
    level.value = "remove";
    level.dispatchEvent(new Event("change"));
    await rendered();
    const kind = el.querySelector<HTMLSelectElement>("[data-testid=perms-kind]");
    if (kind === null) throw new Error("no kind");
    kind.value = "group";
    kind.dispatchEvent(new Event("change"));
    await rendered();
    click(el, "[data-testid=perms-add-button]");
    await vi.waitFor(() => expect(model.requestCount("explorer.grants.preview")).toBe(1), WAIT);
    expect(model.requests().find((r) => r.kind === "explorer.grants.preview")?.payload).toEqual({
      names: ["a", "c"],
      kind: "group",
      name: "team<i>x</i>",
      level: null,
    });
    const write = (endpoint: string, status: string, method: string | null) => ({
      endpoint,
      endpoint_id: `id-${endpoint}`,
      status,
      method,
      path: method && `/api/2.0/permissions/serving-endpoints/id-${endpoint}`,
      body: method && '{"access_control_list":[]}',
      before: "CAN_MANAGE",
      after: status === "send" || status === "locked_out" ? null : "CAN_MANAGE",
      warnings: [],
      error_code: null,
      message: status === "locked_out" ? "<i>last</i> manager" : null,
    });
    model.answer("explorer.grants.preview", {
      plan_id: "plan-1",
      principal: { kind: "group", name: "team<i>x</i>" },
      level: null,
      writes: [
        { ...write("a", "send", "PUT"), warnings: ["team<b>x</b> keeps access: inherited"] },
        write("c", "locked_out", "PUT"),
      ],
    });
    await vi.waitFor(
      () => expect(el.querySelectorAll("[data-testid=grants-plan] tr")).toHaveLength(2),
      WAIT,
    );
    const plan = el.querySelector("[data-testid=grants-plan]")?.textContent ?? "";
    expect(plan).toContain("PUT /api/2.0/permissions/serving-endpoints/id-a");
    expect(plan).toContain("CAN_MANAGE → none");
    expect(plan).toContain("<i>last</i> manager");
    const warned = el.querySelectorAll("[data-testid=grants-warnings] li");
    expect([...warned].map((item) => item.textContent)).toEqual([
      "team<b>x</b> keeps access: inherited",
    ]);
    expect(el.querySelector("[data-testid=grants] i")).toBeNull();
    expect(el.querySelector("[data-testid=grants-apply]")?.textContent).toBe("Apply 1");
    click(el, "[data-testid=grants-force]");
    await vi.waitFor(
      () => expect(el.querySelector("[data-testid=grants-apply]")?.textContent).toBe("Apply 2"),
      WAIT,
    );
    click(el, "[data-testid=grants-apply]");
    await vi.waitFor(() => expect(model.requestCount("explorer.grants.apply")).toBe(1), WAIT);
    expect(model.requests().find((r) => r.kind === "explorer.grants.apply")?.payload).toEqual({
      plan_id: "plan-1",
      force: true,
    });
    model.answer("explorer.grants.apply", {
      ok: false,
      results: [
        { ...write("a", "send", "PUT"), outcome: "done", sent: true },
        { ...write("c", "send", "PUT"), outcome: "stale", sent: false },
      ],
    });
    await vi.waitFor(
      () =>
        expect(
          [...el.querySelectorAll<HTMLElement>("[data-testid=grants-results] tr")].map(
            (row) => row.dataset.outcome,
          ),
        ).toEqual(["done", "stale"]),
      WAIT,
    );
    // ...reads the ACLs again when next shown: what it held is stale now.
    click(el, "[data-testid=explorer-view-access]");
    await vi.waitFor(() => expect(model.requestCount("explorer.access")).toBe(2), WAIT);
    cleanup();
  });
});
