import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TabHarness } from "../../test/tab-harness";
import type { Snapshot } from "../model";
import { LOOKUP_DELAY_MS } from "./add-row";
import { STALE_MESSAGE } from "./controller";
import { PermissionsTab } from "./tab";
import type { AclPreview, AclRead, AclRow, LookupResult } from "./types";

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

const ADMIN = "ada@example.com";
const BOB = "bob@example.com";
const ENDPOINT_ID = "0123456789abcdef0123456789abcdef";
const PATH = `/api/2.0/permissions/serving-endpoints/${ENDPOINT_ID}`;
const XSS = `<img src=x onerror="window.__pwned=1">`;

const direct = (name: string, level: string, display: string | null = null): AclRow => ({
  kind: "user",
  name,
  display_name: display,
  level,
  inherited: false,
  inherited_from: [],
});

const ADMINS_ROW: AclRow = {
  kind: "group",
  name: "admins",
  display_name: "admins",
  level: "CAN_MANAGE",
  inherited: true,
  inherited_from: ["/serving-endpoints/"],
};

function aclRead(overrides: Partial<AclRead> = {}): AclRead {
  const rows = overrides.rows ?? [
    direct(ADMIN, "CAN_MANAGE", "Ada Admin"),
    direct(BOB, "CAN_QUERY", "Bob"),
    ADMINS_ROW,
  ];
  return {
    rows,
    direct: rows
      .filter((r) => !r.inherited)
      .map(({ kind, name, level }) => ({ kind, name, level })),
    fingerprint: "fp-1",
    endpoint_id: ENDPOINT_ID,
    caller: { kind: "user", name: ADMIN },
    levels: ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"],
    ...overrides,
  };
}

function preview(overrides: Partial<AclPreview> = {}): AclPreview {
  return {
    snippets: {},
    method: "PATCH",
    body: { access_control_list: [{ user_name: BOB, permission_level: "CAN_VIEW" }] },
    describe: `PATCH ${PATH}  (merges; other principals untouched)\n{\n  "access_control_list": []\n}`,
    changes: [
      {
        kind: "user",
        name: BOB,
        before: "CAN_QUERY",
        after: "CAN_VIEW",
        kind_of_change: "downgrade",
      },
    ],
    warnings: [],
    lockout_warnings: [],
    stale: false,
    fingerprint: "fp-1",
    ...overrides,
  };
}

/** Lets fake time pass (the lookup's debounce), committing what it renders. */
function pause(ms: number): void {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

class Harness extends TabHarness {
  constructor(snapshot: Partial<Snapshot> = {}, active = true) {
    super(PermissionsTab, snapshot, active);
  }

  q<T extends HTMLElement = HTMLElement>(testId: string): T | null {
    return this.el.querySelector<T>(`[data-testid="${testId}"]`);
  }

  get<T extends HTMLElement = HTMLElement>(testId: string): T {
    const found = this.q<T>(testId);
    if (found === null) throw new Error(`no [data-testid=${testId}]`);
    return found;
  }

  text(testId: string): string {
    return this.q(testId)?.textContent ?? "";
  }

  rows(): HTMLTableRowElement[] {
    return [...this.el.querySelectorAll<HTMLTableRowElement>("[data-testid=perms-row]")];
  }

  row(name: string): HTMLTableRowElement {
    const found = this.rows().find((r) => r.querySelector("th")?.textContent?.includes(name));
    if (found === undefined) throw new Error(`no row for ${name}`);
    return found;
  }

  click(element: Element | null): void {
    if (!(element instanceof HTMLElement)) throw new Error("nothing to click");
    act(() => element.click());
  }

  choose(select: HTMLSelectElement | null, value: string): void {
    if (select === null) throw new Error("no select");
    act(() => {
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  type(value: string): HTMLInputElement {
    const input = this.get<HTMLInputElement>("perms-principal");
    act(() => {
      input.focus();
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    return input;
  }

  key(target: Element | null, key: string, shiftKey = false): KeyboardEvent {
    if (target === null) throw new Error("no key target");
    const event = new KeyboardEvent("keydown", { key, shiftKey, bubbles: true, cancelable: true });
    act(() => {
      target.dispatchEvent(event);
    });
    return event;
  }

  /** Stages an addition through the add row, typed in full. */
  add(name: string, kind: string, level: string): void {
    this.type(name);
    this.choose(this.get<HTMLSelectElement>("perms-kind"), kind);
    this.choose(this.get<HTMLSelectElement>("perms-level"), level);
    this.click(this.get("perms-add-button"));
  }

  async loaded(read: AclRead = aclRead()): Promise<void> {
    await this.reply("acl.read", read);
  }
}

describe("PermissionsTab loading", () => {
  it("reads the ACL when first shown, not before, and once", async () => {
    const h = new Harness({}, false);
    expect(h.requests("acl.read")).toHaveLength(0);
    h.setActive(true);
    expect(h.requests("acl.read")).toHaveLength(1);
    expect(h.text("perms-status")).toBe("loading…");
    await h.loaded();
    h.setActive(false);
    h.setActive(true);
    expect(h.requests("acl.read")).toHaveLength(1);
    expect(h.text("perms-status")).toBe("3 principals · 2 direct grants");
    h.click(h.get("perms-reload"));
    expect(h.requests("acl.read")).toHaveLength(2);
    h.close();
  });

  it("renders direct rows with a level select and a remove button, inherited rows without", async () => {
    const h = new Harness();
    await h.loaded();
    expect(h.rows()).toHaveLength(3);
    const ada = h.row("Ada Admin");
    expect(ada.querySelector("th")?.textContent).toBe(`Ada Adminyou${ADMIN}`);
    expect(ada.querySelector("select")?.value).toBe("CAN_MANAGE");
    expect(ada.querySelector("[data-testid=perms-remove]")?.getAttribute("aria-label")).toBe(
      `Remove user ${ADMIN}'s direct grant`,
    );
    const admins = h.row("admins");
    expect(admins.querySelector("select")).toBeNull();
    expect(admins.querySelector("button")).toBeNull();
    expect(admins.textContent).toContain("CAN_MANAGE");
    expect(admins.textContent).toContain("/serving-endpoints/");
    const locked = admins.querySelector("[data-testid=perms-locked]");
    expect(locked?.getAttribute("title")).toContain("Inherited from /serving-endpoints/");
    expect(locked?.textContent).toContain("can't be changed or removed here");
    const table = h.get("perms-table");
    expect(table.tagName).toBe("TABLE");
    expect(table.getAttribute("aria-label")).toBe("Permissions of ads-endpoint");
    expect([...table.querySelectorAll("thead th")].map((th) => th.textContent)).toEqual([
      "Principal",
      "Kind",
      "Level",
      "Inherited from",
      "Actions",
    ]);
    expect(h.q("perms-bar")).toBeNull();
    h.close();
  });

  it("shows a failed read inline, with the service's message and code, and retries", async () => {
    const h = new Harness();
    const message =
      "User eve@example.com does not have CAN_VIEW permission on endpoint ads-endpoint " +
      "(needed for reading its permissions)";
    await h.fail("acl.read", { message, error_code: "PERMISSION_DENIED", status: 403 });
    const alert = h.get("perms-load-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toContain(message);
    expect(alert.textContent).toContain("PERMISSION_DENIED · 403");
    expect(h.q("perms-table")).toBeNull();
    h.click(alert.querySelector("button"));
    await h.loaded();
    expect(h.q("perms-load-error")).toBeNull();
    expect(h.rows()).toHaveLength(3);
    h.close();
  });

  it("is read-only for a caller below CAN_MANAGE", async () => {
    const h = new Harness({ permission_level: "CAN_VIEW" });
    await h.loaded();
    expect(h.text("perms-read-only")).toBe(
      "You hold CAN_VIEW: changing permissions needs CAN_MANAGE.",
    );
    expect(h.q("perms-add")).toBeNull();
    expect(h.q("perms-remove")).toBeNull();
    // Levels the caller can't change read as text, not as disabled selects.
    expect(h.el.querySelector("[data-testid=perms-table] select")).toBeNull();
    const bob = h.row("Bob").querySelector("[data-testid=perms-level-text]");
    expect(bob?.textContent).toBe(`Level of user ${BOB}: CAN_QUERY`);
    expect(bob?.querySelector(".sp-perms-sr")?.textContent).toBe(`Level of user ${BOB}: `);
    h.close();
  });
});

describe("PermissionsTab staging", () => {
  it("stages a level change, a removal and an addition, marks them and counts them", async () => {
    const h = new Harness();
    await h.loaded();
    h.choose(h.row("Bob").querySelector("select"), "CAN_VIEW");
    expect(h.row("Bob").dataset.mark).toBe("changed");
    expect(h.row("Bob").textContent).toContain("was CAN_QUERY");
    expect(h.text("perms-count")).toBe("1 change");

    h.click(h.row("Ada Admin").querySelector("[data-testid=perms-remove]"));
    const ada = h.row("Ada Admin");
    expect(ada.dataset.mark).toBe("removed");
    expect(ada.textContent).toContain("removed");
    expect(ada.querySelector("select")).toBeNull();
    expect(ada.querySelector("[data-testid=perms-level-text]")?.textContent).toContain(
      "CAN_MANAGE",
    );
    expect(h.text("perms-count")).toBe("2 changes");

    h.add("carol@example.com", "user", "CAN_QUERY");
    const carol = h.row("carol@example.com");
    expect(carol.dataset.mark).toBe("added");
    expect(carol.textContent).toContain("new");
    expect(h.get<HTMLInputElement>("perms-principal").value).toBe("");
    const bar = h.get("perms-bar");
    expect(bar.textContent).toBe("Staged changes3 changes·Preview·Apply·Discard");

    // Back to where it was: no longer a change.
    h.choose(h.row("Bob").querySelector("select"), "CAN_QUERY");
    expect(h.row("Bob").dataset.mark).toBe("unchanged");
    h.click(h.row("Ada Admin").querySelector("[data-testid=perms-undo]"));
    expect(h.row("Ada Admin").dataset.mark).toBe("unchanged");
    expect(h.text("perms-count")).toBe("1 change");
    h.click(carol.querySelector("[data-testid=perms-unstage]"));
    expect(h.q("perms-bar")).toBeNull();
    expect(h.rows()).toHaveLength(3);
    h.close();
  });

  it("discards every staged change", async () => {
    const h = new Harness();
    await h.loaded();
    h.choose(h.row("Bob").querySelector("select"), "CAN_MANAGE");
    h.add("team-x", "group", "CAN_VIEW");
    expect(h.text("perms-count")).toBe("2 changes");
    h.click(h.get("perms-discard"));
    expect(h.q("perms-bar")).toBeNull();
    expect(h.rows().map((r) => r.dataset.mark ?? "locked")).toEqual([
      "unchanged",
      "unchanged",
      "locked",
    ]);
    expect(document.activeElement).toBe(h.get("perms-reload"));
    expect(h.model.requestCount("acl.apply")).toBe(0);
    h.close();
  });

  it("refuses to add the admins group or a grant the principal already holds", async () => {
    const h = new Harness();
    await h.loaded();
    h.add("admins", "group", "CAN_VIEW");
    expect(h.get("perms-add-problem").textContent).toContain("admins group");
    h.add(BOB, "user", "CAN_QUERY");
    expect(h.text("perms-add-problem")).toBe(`user ${BOB} already holds CAN_QUERY directly.`);
    expect(h.q("perms-bar")).toBeNull();
    // Adding a principal that has a direct grant at another level changes that level.
    h.add(BOB, "user", "CAN_MANAGE");
    expect(h.row("Bob").dataset.mark).toBe("changed");
    h.close();
  });
});

describe("PermissionsTab preview and apply", () => {
  async function staged(): Promise<Harness> {
    const h = new Harness();
    await h.loaded();
    h.choose(h.row("Bob").querySelector("select"), "CAN_VIEW");
    return h;
  }

  it("says each change once: the diff list, then only the API calls in the <pre>", async () => {
    const h = await staged();
    h.click(h.get("perms-preview"));
    const calls = [
      `1. GET ${PATH}`,
      "   re-read; stop unless the direct ACL still has fingerprint fp-1",
      `2. PUT ${PATH}  (replaces the whole direct ACL)`,
      '{\n  "access_control_list": [\n    {"user_name": "bob@example.com"}\n  ]\n}',
    ].join("\n");
    const warning = "PUT replaces every direct grant";
    await h.reply(
      "acl.preview",
      preview({
        method: "PUT",
        describe: `${calls}\nChanges:\n  user ${BOB}: CAN_QUERY -> CAN_VIEW\nWarnings:\n  ! ${warning}`,
        warnings: [warning],
      }),
    );
    expect(h.get("perms-describe").textContent).toBe(calls);
    const dialog = h.get("perms-dialog").textContent ?? "";
    expect(dialog.match(/CAN_QUERY/g)).toHaveLength(1);
    expect(dialog.split(warning)).toHaveLength(2);
    expect(h.text("perms-diff")).toContain("CAN_QUERY → CAN_VIEW");
    h.close();
  });

  it("previews the exact diff and API call in a modal dialog", async () => {
    const h = await staged();
    const opener = h.get("perms-preview");
    opener.focus();
    h.click(opener);
    expect(h.open("acl.preview").payload).toEqual({
      fingerprint: "fp-1",
      changes: [{ kind: "user", name: BOB, level: "CAN_VIEW" }],
    });
    const dialog = h.get("perms-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.getElementById(dialog.getAttribute("aria-labelledby") ?? "")?.textContent).toBe(
      "Review 1 permission change",
    );
    expect(document.activeElement).toBe(dialog);
    expect(h.get("perms-dialog-apply").hasAttribute("disabled")).toBe(true);
    expect(h.el.querySelector(".sp-perms-content")?.hasAttribute("inert")).toBe(true);

    const warning = "PUT replaces every direct grant: 1 entry sent, 1 of them re-sent unchanged";
    await h.reply("acl.preview", preview({ warnings: [warning] }));
    expect(h.text("perms-diff")).toBe(`↓user ${BOB} (Bob): CAN_QUERY → CAN_VIEW (downgrade)`);
    const pre = h.get("perms-describe");
    expect(pre.tagName).toBe("PRE");
    expect(pre.textContent).toBe(preview().describe);
    expect(h.text("perms-warnings")).toContain(warning);
    expect(h.el.querySelectorAll("[data-testid=perms-diff] li")).toHaveLength(1);
    expect(h.q("perms-ack")).toBeNull();
    expect(h.get("perms-dialog-apply").hasAttribute("disabled")).toBe(false);

    // Tab and Shift+Tab stay inside; Escape closes and gives the focus back.
    const cancel = h.get("perms-dialog-cancel");
    const apply = h.get("perms-dialog-apply");
    apply.focus();
    expect(h.key(apply, "Tab").defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(cancel);
    h.key(cancel, "Tab", true);
    expect(document.activeElement).toBe(apply);
    h.key(apply, "Escape");
    expect(h.q("perms-dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
    expect(h.el.querySelector(".sp-perms-content")?.hasAttribute("inert")).toBe(false);
    expect(h.text("perms-count")).toBe("1 change"); // still staged
    expect(h.model.requestCount("acl.apply")).toBe(0);
    h.close();
  });

  it("applies from the dialog and shows the answer as the new list", async () => {
    const h = await staged();
    h.click(h.get("perms-preview"));
    await h.reply("acl.preview", preview());
    h.click(h.get("perms-dialog-apply"));
    expect(h.open("acl.apply").payload).toEqual({
      fingerprint: "fp-1",
      changes: [{ kind: "user", name: BOB, level: "CAN_VIEW" }],
      confirm_warnings: false,
    });
    expect(h.text("perms-dialog-apply")).toBe("Applying…");
    await h.reply(
      "acl.apply",
      aclRead({
        rows: [
          direct(ADMIN, "CAN_MANAGE", "Ada Admin"),
          direct(BOB, "CAN_VIEW", "Bob"),
          ADMINS_ROW,
        ],
        fingerprint: "fp-2",
      }),
    );
    expect(h.q("perms-dialog")).toBeNull();
    expect(h.q("perms-bar")).toBeNull();
    expect(h.row("Bob").querySelector("select")?.value).toBe("CAN_VIEW");
    expect(h.row("Bob").dataset.mark).toBe("unchanged");
    expect(h.text("perms-status")).toContain("Applied 1 change.");
    expect(document.activeElement).toBe(h.get("perms-reload"));
    // The next change is planned against the new fingerprint.
    h.click(h.row("Bob").querySelector("[data-testid=perms-remove]"));
    h.click(h.get("perms-apply"));
    expect(h.open("acl.apply").payload.fingerprint).toBe("fp-2");
    h.close();
  });

  it("stops on a stale ACL: says so, reads the list again and keeps what still applies", async () => {
    const h = await staged();
    h.add("carol@example.com", "user", "CAN_QUERY");
    h.click(h.get("perms-preview"));
    await h.reply("acl.preview", preview());
    h.click(h.get("perms-dialog-apply"));
    await h.fail("acl.apply", {
      message: "The endpoint's permissions changed since they were shown; nothing was sent.",
      error_code: "STALE_ACL",
      status: 409,
    });
    expect(h.q("perms-dialog")).toBeNull();
    const alert = h.get("perms-alert");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toBe(STALE_MESSAGE);
    expect(h.requests("acl.read")).toHaveLength(2);
    // Someone else already gave carol CAN_QUERY: that staged addition is moot now.
    await h.loaded(
      aclRead({
        rows: [
          direct(ADMIN, "CAN_MANAGE"),
          direct(BOB, "CAN_QUERY", "Bob"),
          direct("carol@example.com", "CAN_QUERY"),
          ADMINS_ROW,
        ],
        fingerprint: "fp-3",
      }),
    );
    expect(h.text("perms-count")).toBe("1 change");
    expect(h.row("Bob").dataset.mark).toBe("changed");
    h.click(h.get("perms-apply"));
    expect(h.open("acl.apply").payload.fingerprint).toBe("fp-3");
    h.close();
  });

  it("treats a stale preview the same way", async () => {
    const h = await staged();
    h.click(h.get("perms-preview"));
    await h.reply("acl.preview", preview({ stale: true, fingerprint: "fp-9" }));
    expect(h.q("perms-dialog")).toBeNull();
    expect(h.text("perms-alert")).toBe(STALE_MESSAGE);
    expect(h.openCount("acl.read")).toBe(1);
    h.close();
  });

  it("needs the acknowledgement before applying a plan with lock-out warnings", async () => {
    const h = new Harness();
    await h.loaded();
    h.click(h.row("Ada Admin").querySelector("[data-testid=perms-remove]"));
    h.click(h.get("perms-preview"));
    const lockout = `You (user ${ADMIN}) hold CAN_MANAGE directly and this plan removes it.`;
    await h.reply(
      "acl.preview",
      preview({ method: "PUT", warnings: ["PUT replaces…", lockout], lockout_warnings: [lockout] }),
    );
    const apply = h.get<HTMLButtonElement>("perms-dialog-apply");
    expect(apply.disabled).toBe(true);
    expect(h.el.querySelector(".sp-perms-lockout")?.textContent).toBe(lockout);
    const box = h.get<HTMLInputElement>("perms-ack");
    act(() => box.click());
    expect(apply.disabled).toBe(false);
    h.click(apply);
    expect(h.open("acl.apply").payload.confirm_warnings).toBe(true);
    h.close();
  });

  it("asks for confirmation when Python does (CONFIRM_REQUIRED from the bar's Apply)", async () => {
    const h = new Harness();
    await h.loaded();
    h.click(h.row("Ada Admin").querySelector("[data-testid=perms-remove]"));
    h.click(h.get("perms-apply"));
    expect(h.open("acl.apply").payload.confirm_warnings).toBe(false);
    const message = `This change needs confirmation; nothing was sent:\n- You (user ${ADMIN}) hold CAN_MANAGE directly and this plan removes it.`;
    await h.fail("acl.apply", { message, error_code: "CONFIRM_REQUIRED", status: 409 });
    expect(h.get("perms-confirm-message").textContent).toBe(message);
    expect(h.get<HTMLInputElement>("perms-ack").checked).toBe(false);
    await h.reply("acl.preview", preview({ method: "PUT" }));
    const apply = h.get<HTMLButtonElement>("perms-dialog-apply");
    expect(apply.disabled).toBe(true);
    act(() => h.get<HTMLInputElement>("perms-ack").click());
    h.click(apply);
    expect(h.open("acl.apply").payload.confirm_warnings).toBe(true);
    await h.reply("acl.apply", aclRead({ rows: [direct(BOB, "CAN_QUERY"), ADMINS_ROW] }));
    expect(h.q("perms-dialog")).toBeNull();
    expect(h.rows()).toHaveLength(2);
    h.close();
  });

  it("shows other apply errors inline in the dialog and keeps it open", async () => {
    const h = await staged();
    h.click(h.get("perms-preview"));
    await h.reply("acl.preview", preview());
    h.click(h.get("perms-dialog-apply"));
    await h.fail("acl.apply", {
      message: "access_control_list[0].user_name: principal 'x' does not exist",
      error_code: "INVALID_PARAMETER_VALUE",
      status: 400,
    });
    const error = h.get("perms-dialog-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("does not exist");
    expect(error.textContent).toContain("INVALID_PARAMETER_VALUE · 400");
    expect(h.get<HTMLButtonElement>("perms-dialog-apply").disabled).toBe(false);
    h.close();
  });
});

describe("PermissionsTab principal lookup", () => {
  const HITS: LookupResult = {
    available: true,
    results: [
      { kind: "user", name: "frances@example.com", display_name: "Frances F" },
      { kind: "group", name: "fraud-team", display_name: "fraud-team" },
      { kind: "service_principal", name: "6f0c-app", display_name: "fraud scorer" },
    ],
  };

  it("looks up after a pause, and picks a suggestion with the keyboard", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    await h.loaded();
    const input = h.type("f");
    pause(LOOKUP_DELAY_MS * 2);
    expect(h.requests("principals.lookup")).toHaveLength(0); // one character: no lookup
    h.type("fr");
    pause(LOOKUP_DELAY_MS - 1);
    h.type("fra");
    pause(LOOKUP_DELAY_MS);
    expect(h.requests("principals.lookup").map((r) => r.payload)).toEqual([{ query: "fra" }]);
    await h.reply("principals.lookup", HITS);

    const list = h.get("perms-suggestions");
    expect(list.hidden).toBe(false);
    expect(list.getAttribute("role")).toBe("listbox");
    expect(input.getAttribute("aria-expanded")).toBe("true");
    expect(input.getAttribute("aria-controls")).toBe(list.id);
    const options = [...list.querySelectorAll("[role=option]")];
    expect(options.map((o) => o.textContent)).toEqual([
      "Frances Ffrances@example.comuser",
      "fraud-teamgroup",
      "fraud scorer6f0c-appservice principal",
    ]);
    expect(h.text("perms-lookup-status")).toBe("3 suggestions");

    h.key(input, "ArrowDown");
    h.key(input, "ArrowDown");
    h.key(input, "ArrowDown");
    h.key(input, "ArrowDown"); // wraps to the first
    h.key(input, "ArrowUp"); // and back to the last
    expect(input.getAttribute("aria-activedescendant")).toBe(options[2]?.id);
    expect(options[2]?.getAttribute("aria-selected")).toBe("true");
    h.key(input, "Enter");
    expect(input.value).toBe("6f0c-app");
    expect(h.get<HTMLSelectElement>("perms-kind").value).toBe("service_principal");
    expect(list.hidden).toBe(true);
    expect(input.getAttribute("aria-expanded")).toBe("false");
    h.key(input, "Enter"); // Enter with the list closed adds
    const added = h.row("fraud scorer");
    expect(added.textContent).toContain("service principal");
    expect(added.textContent).toContain("6f0c-app");
    expect(h.text("perms-count")).toBe("1 change");
    h.close();
  });

  it("closes the suggestions on Escape and drops answers to older queries", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    await h.loaded();
    h.type("fra");
    pause(LOOKUP_DELAY_MS);
    const first = h.open("principals.lookup");
    const input = h.type("frau");
    pause(LOOKUP_DELAY_MS);
    await h.reply("principals.lookup", { available: true, results: [HITS.results[1]] });
    await h.reply("principals.lookup", HITS, first); // the older query answers last
    const list = h.get("perms-suggestions");
    expect(list.querySelectorAll("[role=option]")).toHaveLength(1);
    const escaped = h.key(input, "Escape");
    expect(escaped.defaultPrevented).toBe(true);
    expect(list.hidden).toBe(true);
    h.key(input, "ArrowDown"); // reopens on the first suggestion
    expect(list.hidden).toBe(false);
    act(() => {
      list
        .querySelector("[role=option]")
        ?.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true }));
    });
    expect(input.value).toBe("fraud-team");
    expect(h.get<HTMLSelectElement>("perms-kind").value).toBe("group");
    h.close();
  });

  it("falls back to free text and a kind when the workspace has no lookup", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    await h.loaded();
    h.type("svc");
    pause(LOOKUP_DELAY_MS);
    await h.reply("principals.lookup", { results: [], available: false });
    expect(h.text("perms-lookup-status")).toBe(
      "Lookup isn't available in this workspace: type the exact name and pick its kind.",
    );
    expect(h.get("perms-suggestions").hidden).toBe(true);
    h.type("svc-deployer-app-id");
    h.choose(h.get<HTMLSelectElement>("perms-kind"), "service_principal");
    h.choose(h.get<HTMLSelectElement>("perms-level"), "CAN_QUERY");
    h.click(h.get("perms-add-button"));
    h.click(h.get("perms-apply"));
    expect(h.open("acl.apply").payload.changes).toEqual([
      { kind: "service_principal", name: "svc-deployer-app-id", level: "CAN_QUERY" },
    ]);
    h.close();
  });
});

describe("PermissionsTab safety", () => {
  it("renders principal names, display names and server text literally", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    const evil = direct(`${XSS}@example.com`, "CAN_QUERY", `<b>${XSS}</b>`);
    await h.loaded(
      aclRead({
        rows: [
          direct(ADMIN, "CAN_MANAGE"),
          evil,
          { ...ADMINS_ROW, inherited_from: [`/serving-endpoints/${XSS}`] },
        ],
      }),
    );
    h.type("<im");
    pause(LOOKUP_DELAY_MS);
    await h.reply("principals.lookup", {
      available: true,
      results: [{ kind: "group", name: XSS, display_name: `<script>alert(1)</script>` }],
    });
    h.key(h.get("perms-principal"), "ArrowDown");
    h.key(h.get("perms-principal"), "Enter");
    h.click(h.get("perms-add-button"));
    h.click(h.get("perms-preview"));
    await h.reply(
      "acl.preview",
      preview({
        describe: `PATCH ${PATH}\n${XSS}`,
        warnings: [`${XSS} warning`],
        lockout_warnings: [`${XSS} warning`],
        changes: [
          { kind: "group", name: XSS, before: null, after: "CAN_VIEW", kind_of_change: "grant" },
        ],
      }),
    );
    expect(h.el.querySelector("img, script, b")).toBeNull();
    expect(h.el.textContent).toContain(`<b>${XSS}</b>`);
    expect(h.el.textContent).toContain(`/serving-endpoints/${XSS}`);
    expect(h.el.textContent).toContain("<script>alert(1)</script>");
    expect(h.get("perms-describe").textContent).toBe(`PATCH ${PATH}\n${XSS}`);
    expect(h.text("perms-warnings")).toContain(`${XSS} warning`);
    act(() => h.get<HTMLInputElement>("perms-ack").click());
    h.click(h.get("perms-dialog-apply"));
    await h.fail("acl.apply", { message: XSS, error_code: "<i>X</i>", status: 400 });
    expect(h.el.querySelector("img, script, b, i")).toBeNull();
    expect(h.text("perms-dialog-error")).toContain(XSS);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    h.close();
  });

  it("shows markup, escape codes and invisible characters in names as text, marked", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    const ESC = "\u001b";
    const name = `<img src=x onerror=alert(1)>${ESC}[31mevil\u202Eexe.txt@example.com`;
    const shown = `<img src=x onerror=alert(1)>${ESC}[31mevil⟦U+202E⟧exe.txt@example.com`;
    await h.loaded(aclRead({ rows: [direct(ADMIN, "CAN_MANAGE"), direct(name, "CAN_QUERY")] }));
    const row = h.row("evil");
    expect(h.el.querySelector("img")).toBeNull();
    expect(row.querySelector(".sp-perms-display")?.textContent).toBe(shown);
    expect(row.querySelector("[data-testid=invisible-char]")?.getAttribute("title")).toBe(
      "U+202E RIGHT-TO-LEFT OVERRIDE: an invisible character",
    );
    expect(row.querySelector("select")?.getAttribute("aria-label")).toBe(`Level of user ${shown}`);
    h.click(row.querySelector("[data-testid=perms-remove]"));
    h.click(h.get("perms-preview"));
    await h.reply(
      "acl.preview",
      preview({
        changes: [
          { kind: "user", name, before: "CAN_QUERY", after: null, kind_of_change: "revoke" },
        ],
      }),
    );
    expect(h.text("perms-diff")).toBe(`−user ${shown}: CAN_QUERY → (none) (revoke)`);
    expect(h.el.querySelector("img, script")).toBeNull();
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    h.close();
  });

  it("leaves no listener and no timer behind when closed mid-lookup", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    const baseline = h.model.listenerCount();
    await h.loaded();
    h.type("fra");
    pause(LOOKUP_DELAY_MS);
    h.type("fran"); // a lookup in flight and another one waiting for its pause
    h.click(h.row("Bob").querySelector("[data-testid=perms-remove]"));
    h.click(h.get("perms-preview")); // and a preview in flight
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    expect(baseline).toBeGreaterThan(0);
    h.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(h.model.listenerCount()).toBe(0);
    expect(h.el.childElementCount).toBe(0);
    // Late answers to a closed view change nothing and throw nothing.
    h.model.receive({ type: "reply", id: "whatever", ok: true, result: {} });
    pause(60_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
