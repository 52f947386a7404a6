import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import { TabHarness } from "../../test/tab-harness";
import type { Snapshot } from "../model";
import { ConfigTab } from "./tab";

afterEach(() => {
  document.body.replaceChildren();
});

const TWO = configFixture({
  entities: [
    entityFixture({ name: "ads1-1", version: "1", traffic: 100 }),
    entityFixture({ name: "ads1-2", version: "2", traffic: 0 }),
  ],
});

const BODY = {
  served_entities: [
    { name: "ads1-1", entity_name: "ads1", entity_version: "1" },
    { name: "ads1-2", entity_name: "ads1", entity_version: "2" },
  ],
  traffic_config: {
    routes: [
      { served_entity_name: "ads1-1", traffic_percentage: 80 },
      { served_entity_name: "ads1-2", traffic_percentage: 20 },
    ],
  },
};

function previewReply(overrides: Record<string, unknown> = {}) {
  return {
    preview_id: "p1",
    kind: "edit",
    base_version: 1,
    body: BODY,
    changes: ["ads1-1 100% → 80%", "ads1-2 0% → 20%"],
    snippets: {
      curl: `curl -sS -X PUT "$DATABRICKS_HOST"/api/2.0/serving-endpoints/ads-endpoint/config`,
      sdk: "w.serving_endpoints.update_config(",
      cli: "databricks serving-endpoints update-config ads-endpoint",
    },
    refusals: [],
    blocked: null,
    ...overrides,
  };
}

class ConfigHarness extends TabHarness {
  constructor(snapshot: Partial<Snapshot> = {}) {
    super(ConfigTab, { config: TWO, ...snapshot });
  }

  byTestId(id: string): HTMLElement {
    const found = this.el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    if (found === null) throw new Error(`no [data-testid="${id}"]`);
    return found;
  }

  maybe(id: string): HTMLElement | null {
    return this.el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  }

  row(name: string): HTMLElement {
    const row = this.el.querySelector<HTMLElement>(`tr[data-entity="${name}"]`);
    if (row === null) throw new Error(`no row ${name}`);
    return row;
  }

  type(input: Element | null, value: string): void {
    if (!(input instanceof HTMLInputElement)) throw new Error("not an input");
    act(() => {
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  choose(select: Element | null, value: string): void {
    if (!(select instanceof HTMLSelectElement)) throw new Error("not a select");
    act(() => {
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  click(element: Element | null): void {
    if (!(element instanceof HTMLElement)) throw new Error("nothing to click");
    act(() => element.click());
  }

  traffic(name: string): HTMLInputElement {
    return this.row(name).querySelector('[data-testid="config-traffic"]') as HTMLInputElement;
  }

  isDisabled(id: string): boolean {
    return this.byTestId(id).hasAttribute("disabled");
  }
}

describe("the Config tab", () => {
  it("checks the split live, naming the rule, and sends nothing while it is wrong", () => {
    const h = new ConfigHarness();
    expect(h.traffic("ads1-1").value).toBe("100");
    expect(h.isDisabled("config-preview")).toBe(true); // nothing changed yet
    h.type(h.traffic("ads1-1"), "70");
    expect(h.byTestId("config-total").textContent).toContain("Total: 70%");
    expect(h.byTestId("config-problems").textContent).toBe(
      "traffic: traffic percentages must add up to 100, got 70",
    );
    expect(h.isDisabled("config-preview")).toBe(true);
    h.type(h.traffic("ads1-2"), "30");
    expect(h.maybe("config-problems")).toBeNull();
    expect(h.isDisabled("config-preview")).toBe(false);
    expect(h.requests("config.preview")).toEqual([]);
  });

  it("shifts 20% with the quick action, previews the exact body and applies that preview", async () => {
    const h = new ConfigHarness();
    h.choose(h.byTestId("config-target"), "ads1-2");
    h.type(h.byTestId("config-shift-by"), "20");
    h.click(h.byTestId("config-shift"));
    expect([h.traffic("ads1-1").value, h.traffic("ads1-2").value]).toEqual(["80", "20"]);

    h.click(h.byTestId("config-preview"));
    expect(h.open("config.preview").payload).toEqual({
      edit: { traffic: { "ads1-1": 80, "ads1-2": 20 } },
    });
    await h.reply("config.preview", previewReply());
    const dialog = h.byTestId("config-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(h.byTestId("config-changes").textContent).toContain("ads1-1 100% → 80%");
    expect(JSON.parse(h.byTestId("config-body").textContent ?? "")).toEqual(BODY);
    expect(h.byTestId("config-snippet").textContent).toContain("curl -sS -X PUT");
    h.click(h.byTestId("config-as-sdk"));
    expect(h.byTestId("config-snippet").textContent).toContain("update_config(");
    h.click(h.byTestId("config-as-cli"));
    expect(h.byTestId("config-snippet").textContent).toContain("update-config");
    expect(h.requests("config.apply")).toEqual([]); // nothing sent before Apply

    h.click(h.byTestId("config-apply"));
    expect(h.byTestId("config-apply").textContent).toBe("Applying…");
    expect(h.open("config.apply").payload).toEqual({ preview_id: "p1" });
    await h.reply("config.apply", { config_version: 2, state: "Not ready (updating)" });
    expect(h.maybe("config-dialog")).toBeNull();
    expect(h.byTestId("config-result").textContent).toContain(
      "Sent: config v2 is being deployed (Not ready (updating))",
    );
  });

  it("shows Python's refusals inline, naming field and rule, and opens no dialog", async () => {
    const h = new ConfigHarness();
    h.type(h.row("ads1-1").querySelector('[data-testid="config-version"]'), "9");
    h.click(h.byTestId("config-preview"));
    expect(h.open("config.preview").payload).toEqual({
      edit: { entities: { "ads1-1": { entity_version: "9" } } },
    });
    await h.reply(
      "config.preview",
      previewReply({
        preview_id: null,
        body: null,
        snippets: null,
        changes: [],
        refusals: [{ field: "traffic", rule: "<b>must add up</b>" }],
      }),
    );
    expect(h.maybe("config-dialog")).toBeNull();
    const refusals = h.byTestId("config-refusals");
    expect(refusals.textContent).toBe("traffic: <b>must add up</b>");
    expect(refusals.querySelector("b")).toBeNull();
  });

  it("explains a refused Apply (an update in progress) as text and stays open", async () => {
    const h = new ConfigHarness();
    h.click(h.byTestId("config-promote")); // promotes the last entity, ads1-2
    expect(h.traffic("ads1-2").value).toBe("100");
    h.click(h.byTestId("config-preview"));
    await h.reply("config.preview", previewReply());
    h.click(h.byTestId("config-apply"));
    await h.fail("config.apply", {
      message: "Another update to config v2 is in progress <i>x</i>",
      error_code: "RESOURCE_CONFLICT",
      status: 409,
    });
    const error = h.byTestId("config-apply-error");
    expect(error.textContent).toContain("Another update to config v2 is in progress <i>x</i>");
    expect(error.textContent).toContain("(RESOURCE_CONFLICT, 409)");
    expect(error.querySelector("i")).toBeNull();
    expect(h.isDisabled("config-apply")).toBe(false);
  });

  it("says CAN_MANAGE is needed, and Apply stays off when Python says it would be refused", async () => {
    const h = new ConfigHarness({ permission_level: "CAN_QUERY" });
    expect(h.byTestId("config-permission").textContent).toContain(
      "needs CAN_MANAGE on this endpoint; you have CAN_QUERY",
    );
    h.click(h.byTestId("config-promote"));
    h.click(h.byTestId("config-preview"));
    await h.reply(
      "config.preview",
      previewReply({
        blocked: "Changing the config needs CAN_MANAGE on this endpoint; you have CAN_QUERY.",
      }),
    );
    expect(h.byTestId("config-blocked").textContent).toContain("CAN_MANAGE");
    expect(h.isDisabled("config-apply")).toBe(true);
  });

  it("offers the configs seen for a rollback, the current one after a failed update", async () => {
    const h = new ConfigHarness({ config_update: "UPDATE_FAILED" });
    await h.reply("config.history", {
      current: 1,
      config_update: "UPDATE_FAILED",
      targets: [
        {
          version: 1,
          current: true,
          entities: [{ name: "ads1-1", entity: "ads1", version: "1" }],
          routes: [{ entity: "ads1-1", percentage: 100 }],
        },
      ],
    });
    const select = h.byTestId("config-rollback-version") as HTMLSelectElement;
    expect(select.textContent).toContain("config v1 (current, after the failed update)");
    h.click(h.byTestId("config-rollback"));
    expect(h.open("config.preview").payload).toEqual({ rollback: 1 });
    await h.reply("config.preview", previewReply({ kind: "rollback" }));
    expect(h.byTestId("config-dialog").textContent).toContain("Roll back: PUT");
  });

  it("adds and removes served entities, showing names as text with invisible characters marked", () => {
    const h = new ConfigHarness({
      config: configFixture({ entities: [entityFixture({ name: "evil\u202Eexe", traffic: 100 })] }),
    });
    expect(h.row("evil\u202Eexe").querySelector('[data-testid="invisible-char"]')).not.toBeNull();
    h.type(h.byTestId("config-add-model"), "ads1");
    h.type(h.byTestId("config-add-version"), "two");
    h.click(h.byTestId("config-add"));
    expect(h.byTestId("config-quick-problem").textContent).toContain("add.entity_version");
    h.type(h.byTestId("config-add-version"), "2");
    h.click(h.byTestId("config-add"));
    expect(h.row("ads1-2").textContent).toContain("added");
    h.click(h.row("evil\u202Eexe").querySelector('[data-testid="config-remove"]'));
    expect(h.byTestId("config-problems").textContent).toContain("must add up to 100, got 0");
    h.type(h.traffic("ads1-2"), "100");
    expect(h.maybe("config-problems")).toBeNull();
  });

  it("says when there is no config to edit", () => {
    const h = new ConfigHarness({ config: null });
    expect(h.byTestId("config-tab").textContent).toContain("no current config to edit");
  });

  it("leaves no listener behind when the view closes", () => {
    const h = new ConfigHarness();
    h.close();
    expect(h.model.listenerCount()).toBe(0);
  });
});
