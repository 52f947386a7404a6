import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Harness, SUMMARY } from "../../test/delete-harness";
import { backupFileName, backupText } from "./backup";

let h: Harness | undefined;

afterEach(() => {
  h?.unmount();
  h = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

function harness(options: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  h = new Harness(options);
  return h;
}

const text = (el: Element | null | undefined): string =>
  (el?.textContent ?? "").replace(/\s+/g, " ").trim();

describe("the delete dialog", () => {
  it("is a labelled modal dialog that takes focus and asks for the summary", () => {
    const t = harness();
    t.openDialog();
    const dialog = t.dialog as HTMLElement;
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const title = document.getElementById(dialog.getAttribute("aria-labelledby") ?? "");
    expect(text(title)).toBe("Delete endpoint ads-endpoint?");
    expect(t.active).toBe(dialog);
    expect(t.model.requests().filter((r) => r.kind === "delete.summary")).toEqual([
      expect.objectContaining({ payload: {} }),
    ]);
    expect(text(dialog.querySelector("[role=status]"))).toBe("Reading what would be lost…");
    expect((t.byTestId("delete-confirm") as HTMLButtonElement).disabled).toBe(true);
  });

  it("says what will be lost: entities, routes and who can query", async () => {
    const t = harness();
    await t.openWith();
    const dialog = t.dialog as HTMLElement;
    const lead = document.getElementById(dialog.getAttribute("aria-describedby") ?? "");
    expect(text(lead)).toMatch(/^This cannot be undone\./);
    const items = (id: string) => [...t.byTestId(id).querySelectorAll("li")].map((li) => text(li));
    expect(items("delete-entities")).toEqual(["ads1-1", "ads1-2"]);
    expect(items("delete-routes")).toEqual(["ads1-1 80%", "ads1-2 20%"]);
    expect(items("delete-who")).toEqual([
      "bob@example.com user · CAN_QUERY",
      "admins group · CAN_MANAGE · inherited",
    ]);
  });

  it("says who can query is unknown when the ACL could not be read", async () => {
    const t = harness();
    await t.openWith({
      ...SUMMARY,
      who_can_query: null,
      permissions_error: { message: "busy", error_code: "TEMPORARILY_UNAVAILABLE", status: 503 },
    });
    expect(text(t.byTestId("delete-who-unknown"))).toBe(
      "unknown: the permissions could not be read (busy, TEMPORARILY_UNAVAILABLE)",
    );
  });

  it("traps Tab and Shift+Tab inside", async () => {
    const t = harness();
    await t.openWith();
    const dialog = t.dialog as HTMLElement;
    const focusable = [...dialog.querySelectorAll<HTMLElement>("button:not([disabled]), input")];
    const first = focusable[0] as HTMLElement;
    const last = focusable[focusable.length - 1] as HTMLElement;
    expect(first.textContent).toBe("Save config and permissions as JSON");
    expect(last.textContent).toBe("Cancel"); // Delete is disabled until the name is typed

    // From the dialog itself (where focus starts), Shift+Tab goes to the last control.
    let event = t.key(dialog, "Tab", { shiftKey: true });
    expect(event.defaultPrevented).toBe(true);
    expect(t.active).toBe(last);
    event = t.key(last, "Tab");
    expect(event.defaultPrevented).toBe(true);
    expect(t.active).toBe(first);
    event = t.key(first, "Tab", { shiftKey: true });
    expect(t.active).toBe(last);
    // In the middle, Tab is left to the browser.
    const input = t.byTestId("delete-input");
    input.focus();
    expect(t.key(input, "Tab").defaultPrevented).toBe(false);

    t.type("ads-endpoint");
    const del = t.byTestId("delete-confirm");
    del.focus();
    t.key(del, "Tab");
    expect(t.active).toBe(first); // Delete is now the last control
  });

  it("closes on Escape and on Cancel, returning focus to the menu button", async () => {
    const t = harness();
    await t.openWith();
    t.byTestId("delete-input").focus();
    t.key(t.byTestId("delete-input"), "Escape");
    expect(t.dialog).toBeNull();
    expect(t.active).toBe(t.button);

    await t.openWith();
    t.click(t.byTestId("delete-cancel"));
    expect(t.dialog).toBeNull();
    expect(t.active).toBe(t.button);
    expect(t.model.requestCount("delete.confirm")).toBe(0);
  });

  it("enables Delete only when the name is typed exactly", async () => {
    const t = harness();
    await t.openWith();
    const del = t.byTestId("delete-confirm") as HTMLButtonElement;
    const label = t.get(".sp-delete-confirm");
    expect(text(label)).toBe("Type ads-endpoint to confirm");
    expect(del.disabled).toBe(true);
    for (const wrong of [
      "ads",
      "ADS-ENDPOINT",
      "ads-endpoint ",
      " ads-endpoint",
      "ads-endpoint2",
    ]) {
      t.type(wrong);
      expect(del.disabled).toBe(true);
    }
    t.type("ads-endpoint");
    expect(del.disabled).toBe(false);
    t.type("ads-endpoin");
    expect(del.disabled).toBe(true);
  });

  it("saves config and permissions as <name>-backup.json, pretty-printed", async () => {
    const t = harness();
    await t.openWith();
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return "blob:backup-1";
    });
    const revoke = vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => undefined);
    const links: Array<{ download: string; href: string }> = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      links.push({ download: this.download, href: this.href });
    });
    t.click(t.byTestId("delete-save"));
    expect(links).toEqual([{ download: "ads-endpoint-backup.json", href: "blob:backup-1" }]);
    expect(revoke).toHaveBeenCalledWith("blob:backup-1");
    expect(blobs[0]?.type).toMatch(/^application\/json/);
    const saved = await blobs[0]?.text();
    expect(saved).toBe(`${JSON.stringify(SUMMARY.export, null, 2)}\n`);
    expect(JSON.parse(saved ?? "")).toEqual(SUMMARY.export);
    expect(t.find("a")).toBeNull(); // the temporary link is gone
    expect(text(t.get(".sp-delete-save [role=status]"))).toBe("saved ads-endpoint-backup.json");
  });

  it("sends typed_name on confirm and says the endpoint was deleted", async () => {
    const t = harness();
    await t.openWith();
    t.type("ads-endpoint");
    t.click(t.byTestId("delete-confirm"));
    expect(t.model.requests().filter((r) => r.kind === "delete.confirm")).toEqual([
      expect.objectContaining({ payload: { typed_name: "ads-endpoint" } }),
    ]);
    const del = t.byTestId("delete-confirm") as HTMLButtonElement;
    expect(del.textContent).toBe("Deleting…");
    expect(del.getAttribute("aria-busy")).toBe("true");
    expect(del.disabled).toBe(true);
    expect((t.byTestId("delete-input") as HTMLInputElement).disabled).toBe(true);

    await t.reply("delete.confirm", { deleted: true });
    expect(text(t.byTestId("delete-done"))).toBe("Endpoint ads-endpoint was deleted.");
    expect(t.find("[data-testid=delete-confirm]")).toBeNull();
    expect(t.find("[data-testid=delete-input]")).toBeNull();
    const close = t.byTestId("delete-cancel");
    expect(close.textContent).toBe("Close");
    expect(t.active).toBe(close);
    expect(t.find("[data-testid=delete-save]")).not.toBeNull(); // the backup is still there
    t.click(close);
    expect(t.dialog).toBeNull();
    expect(t.active).toBe(t.button);
  });

  it("submits with Enter in the name field, and only when the name matches", async () => {
    const t = harness();
    await t.openWith();
    const form = t.get(".sp-delete-form") as HTMLFormElement;
    t.type("ads-endpoinT");
    act(() => {
      form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    expect(t.model.requestCount("delete.confirm")).toBe(0);
    t.type("ads-endpoint");
    act(() => {
      form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    expect(t.model.requestCount("delete.confirm")).toBe(1);
  });

  it("shows a failed delete inline as an alert and lets the user try again", async () => {
    const t = harness();
    await t.openWith();
    t.type("ads-endpoint");
    t.click(t.byTestId("delete-confirm"));
    await t.fail("delete.confirm", {
      message:
        "User bob@example.com does not have CAN_MANAGE permission on endpoint ads-endpoint; " +
        "deleting it needs CAN_MANAGE or higher.",
      error_code: "PERMISSION_DENIED",
      status: 403,
    });
    const alert = t.byTestId("delete-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(text(alert)).toBe(
      "Delete failed: User bob@example.com does not have CAN_MANAGE permission on endpoint " +
        "ads-endpoint; deleting it needs CAN_MANAGE or higher. (PERMISSION_DENIED, 403)",
    );
    expect(t.find("[data-testid=delete-done]")).toBeNull();
    const del = t.byTestId("delete-confirm") as HTMLButtonElement;
    expect(del.disabled).toBe(false);
    t.click(del);
    expect(t.model.requestCount("delete.confirm")).toBe(2);
    expect(t.find("[data-testid=delete-error]")).toBeNull();
  });

  it("explains that deleting needs CAN_MANAGE and disables it without", async () => {
    const t = harness();
    await t.openWith({ ...SUMMARY, can_manage: false, permission_level: "CAN_VIEW" });
    expect(text(t.byTestId("delete-needs-manage"))).toBe(
      "Deleting an endpoint needs CAN_MANAGE on it; you have CAN_VIEW. Ask someone who manages it.",
    );
    const input = t.byTestId("delete-input") as HTMLInputElement;
    expect(input.disabled).toBe(true);
    t.type("ads-endpoint");
    const del = t.byTestId("delete-confirm") as HTMLButtonElement;
    expect(del.disabled).toBe(true);
    t.click(del);
    expect(t.model.requestCount("delete.confirm")).toBe(0);
    expect(t.find("[data-testid=delete-save]")).not.toBeNull(); // saving is still allowed
  });

  it("shows a failed summary as an alert with a retry", async () => {
    const t = harness();
    t.openDialog();
    await t.fail("delete.summary", {
      message: "Endpoint ads-endpoint does not exist.",
      error_code: "RESOURCE_DOES_NOT_EXIST",
      status: 404,
    });
    const alert = t.byTestId("delete-load-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(text(alert)).toBe(
      "Could not read the endpoint: Endpoint ads-endpoint does not exist. " +
        "(RESOURCE_DOES_NOT_EXIST, 404) Retry",
    );
    expect((t.byTestId("delete-confirm") as HTMLButtonElement).disabled).toBe(true);
    t.click(t.get("[data-testid=delete-load-error] button"));
    expect(t.model.requestCount("delete.summary")).toBe(2);
    await t.reply("delete.summary", SUMMARY);
    expect(t.find("[data-testid=delete-load-error]")).toBeNull();
    expect(t.find("[data-testid=delete-entities]")).not.toBeNull();
  });

  it("renders XSS payloads in names and messages literally", async () => {
    const payload = '<img src=x onerror="window.__pwned=1">';
    const t = harness({ name: payload });
    await t.openWith({
      ...SUMMARY,
      name: payload,
      entities: [payload],
      routes: [{ entity: payload, percentage: 100 }],
      who_can_query: [{ kind: payload, name: payload, level: payload, inherited: false }],
      can_manage: true,
    });
    expect(t.find("img")).toBeNull();
    expect(text(t.dialog?.querySelector(".sp-delete-title"))).toBe(`Delete endpoint ${payload}?`);
    expect(text(t.byTestId("delete-entities"))).toBe(payload);
    expect(text(t.get("[data-testid=delete-who] .sp-delete-principal"))).toBe(payload);
    expect(text(t.get(".sp-delete-confirm"))).toBe(`Type ${payload} to confirm`);
    t.type(payload);
    t.click(t.byTestId("delete-confirm"));
    await t.fail("delete.confirm", { message: payload, error_code: payload, status: 400 });
    expect(text(t.get("[data-testid=delete-error] .sp-delete-error-message"))).toBe(payload);
    expect(t.find("img")).toBeNull();
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("abandons its requests when closed or unmounted: no timers, nothing outstanding", async () => {
    vi.useFakeTimers();
    const t = harness();
    t.openDialog();
    expect(t.rpc.outstanding).toBe(1);
    t.key(t.dialog as HTMLElement, "Escape");
    expect(t.rpc.outstanding).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await t.reply("delete.summary", SUMMARY); // a late answer to the closed dialog: ignored
    expect(t.dialog).toBeNull();

    await t.openWith();
    t.type("ads-endpoint");
    t.click(t.byTestId("delete-confirm"));
    expect(t.rpc.outstanding).toBe(1);
    t.unmount();
    h = undefined;
    expect(t.rpc.outstanding).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(t.model.listenerCount()).toBe(1); // the Rpc's own, closed with the view
  });
});

describe("backup file", () => {
  it("is named <name>-backup.json, unsafe characters replaced", () => {
    expect(backupFileName("ads-endpoint")).toBe("ads-endpoint-backup.json");
    expect(backupFileName("a/b c")).toBe("a_b_c-backup.json");
    expect(backupFileName("")).toBe("endpoint-backup.json");
  });

  it("holds the export indented by two spaces, with a final newline", () => {
    expect(backupText({ endpoint: { name: "x" }, permissions: null })).toBe(
      '{\n  "endpoint": {\n    "name": "x"\n  },\n  "permissions": null\n}\n',
    );
  });
});
