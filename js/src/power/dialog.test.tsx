import { afterEach, describe, expect, it } from "vitest";
import { Harness } from "../../test/delete-harness";
import { snapshotFixture } from "../../test/fake-model";

let harness: Harness | null = null;
afterEach(() => {
  harness?.unmount();
  harness = null;
});

function open(label: string, snapshot = snapshotFixture({ permission_level: "CAN_MANAGE" })) {
  harness = new Harness({ snapshot });
  const h = harness;
  h.click(h.button);
  const item = h.items.find((i) => i.textContent === label);
  if (item === undefined) throw new Error(`no ${label} item: ${h.items.map((i) => i.textContent)}`);
  h.click(item);
  return h;
}

describe("the stop and start items and their dialog", () => {
  it("lists stop between copy and delete, and says what stops", () => {
    const h = open("Stop endpoint…");
    const dialog = h.byTestId("power-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(h.byTestId("power-lead").textContent).toContain(
      "queries are refused until it is started again",
    );
    const entities = h.byTestId("power-entities").textContent ?? "";
    for (const entity of snapshotFixture().config?.entities ?? [])
      expect(entities).toContain(entity.name);
    // Only the preview (its Copy-as equivalents) was asked for: nothing stops before confirm.
    expect(h.model.requests().map((r) => [r.kind, r.payload])).toEqual([
      ["power.preview", { action: "stop" }],
    ]);
  });

  it("offers the stop's curl, SDK and CLI equivalents once Python sends them", async () => {
    const h = open("Stop endpoint…");
    await h.reply("power.preview", {
      snippets: {
        curl: 'curl -X POST "$DATABRICKS_HOST/api/2.0/serving-endpoints/ads/config:stop"',
      },
    });
    expect(h.byTestId("power-copy-as").textContent).toContain("curl");
  });

  it("sends power.stop on confirm and closes once Python answers", async () => {
    const h = open("Stop endpoint…");
    h.click(h.byTestId("power-confirm"));
    expect(h.byTestId("power-confirm").textContent).toBe("Stopping…");
    expect(h.model.requestCount("power.stop")).toBe(1);
    await h.reply("power.stop", { state: "Not ready (stopped)" });
    expect(h.dialog).toBeNull();
    expect(document.activeElement).toBe(h.button);
  });

  it("shows the service's refusal as text and stays open", async () => {
    const h = open("Stop endpoint…");
    h.click(h.byTestId("power-confirm"));
    await h.fail("power.stop", {
      message: "<b>Endpoint ads is being updated</b>",
      error_code: "RESOURCE_CONFLICT",
      status: 409,
    });
    const error = h.byTestId("power-error");
    expect(error.textContent).toContain("<b>Endpoint ads is being updated</b>");
    expect(error.querySelector("b")).toBeNull();
    expect(h.byTestId("power-confirm").hasAttribute("disabled")).toBe(false);
  });

  it("offers start on a stopped endpoint and sends power.start", async () => {
    const h = open(
      "Start endpoint…",
      snapshotFixture({
        state: "Not ready (stopped)",
        ready: "NOT_READY",
        permission_level: "CAN_MANAGE",
      }),
    );
    expect(h.byTestId("power-lead").textContent).toContain("built again as a new config version");
    h.click(h.byTestId("power-confirm"));
    await h.reply("power.start", { state: "Not ready (updating)" });
    expect(h.dialog).toBeNull();
  });

  it("disables the item with the reason without CAN_MANAGE", () => {
    harness = new Harness({ snapshot: snapshotFixture({ permission_level: "CAN_VIEW" }) });
    harness.click(harness.button);
    const item = harness.items.find((i) => i.textContent === "Stop endpoint…");
    expect(item?.getAttribute("aria-disabled")).toBe("true");
    expect(item?.title).toBe("Stopping an endpoint needs CAN_MANAGE; you have CAN_VIEW");
    if (item !== undefined) harness.click(item);
    expect(harness.dialog).toBeNull();
  });
});
