/** The add-entity form's version suggestions (versions.ts, actions.tsx): asked for after a
 * pause in typing, offered as a <datalist>, errors shown as text, free text always allowed. */
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import { TabHarness } from "../../test/tab-harness";
import { ConfigTab } from "./tab";
import { VERSIONS_DELAY_MS } from "./versions";

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

const MODEL = "main.default.ads";

function pause(ms: number): void {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

class Harness extends TabHarness {
  constructor() {
    super(ConfigTab, {
      config: configFixture({ entities: [entityFixture({ name: "ads1-1", traffic: 100 })] }),
    });
  }

  byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
    const found = this.el.querySelector<T>(`[data-testid="${id}"]`);
    if (found === null) throw new Error(`no [data-testid="${id}"]`);
    return found;
  }

  maybe(id: string): HTMLElement | null {
    return this.el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  }

  type(id: string, value: string): void {
    const input = this.byTestId<HTMLInputElement>(id);
    act(() => {
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  click(id: string): void {
    const button = this.byTestId(id);
    act(() => button.click());
  }

  offered(): Array<{ value: string; label: string }> {
    const list = this.byTestId("config-add-version-list");
    return [...list.querySelectorAll("option")].map((o) => ({
      value: o.value,
      label: o.textContent ?? "",
    }));
  }
}

describe("the add-entity form's versions", () => {
  it("asks once typing pauses and offers the versions on the version field", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    h.type("config-add-model", "main.def");
    pause(VERSIONS_DELAY_MS - 1);
    h.type("config-add-model", MODEL);
    pause(VERSIONS_DELAY_MS - 1);
    expect(h.requests("config.versions")).toEqual([]); // still typing
    pause(1);
    expect(h.requests("config.versions").map((r) => r.payload)).toEqual([{ name: MODEL }]);
    expect(h.byTestId("config-add-versions").textContent).toBe("listing versions…");

    await h.reply("config.versions", {
      name: MODEL,
      versions: [
        { version: "3", status: "READY", created: null },
        { version: "2", status: "PENDING_REGISTRATION", created: null },
        { version: "1", status: "READY", created: null },
      ],
      total: 3,
    });
    const version = h.byTestId<HTMLInputElement>("config-add-version");
    const list = h.byTestId("config-add-version-list");
    expect(list.tagName).toBe("DATALIST");
    expect(version.getAttribute("list")).toBe(list.id);
    expect(h.offered()).toEqual([
      { value: "3", label: "READY" },
      { value: "2", label: "PENDING_REGISTRATION" },
      { value: "1", label: "READY" },
    ]);
    expect(h.byTestId("config-add-versions").textContent).toBe("3 versions");

    h.type("config-add-version", "2");
    h.click("config-add");
    expect(h.el.querySelector('tr[data-entity="ads-2"]')?.textContent).toContain("added");
    // The form is cleared, and so is the list.
    expect(h.offered()).toEqual([]);
    expect(h.maybe("config-add-versions")).toBeNull();
  });

  it("shows a failure as text and still takes a typed version", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    h.type("config-add-model", "ads1");
    pause(VERSIONS_DELAY_MS);
    await h.fail("config.versions", {
      message: "name: must be a <b>Unity Catalog</b> model name; type the version.",
      error_code: "INVALID_PARAMETER_VALUE",
      status: 400,
    });
    const note = h.byTestId("config-add-versions");
    expect(note.textContent).toContain("must be a <b>Unity Catalog</b> model name");
    expect(note.querySelector("b")).toBeNull();
    expect(h.offered()).toEqual([]);
    expect(h.maybe("config-quick-problem")).toBeNull(); // not a problem of the form

    h.type("config-add-version", "7");
    h.click("config-add");
    expect(h.el.querySelector('tr[data-entity="ads1-7"]')?.textContent).toContain("added");
  });

  it("keeps only the answer for the name typed last", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    h.type("config-add-model", "main.default.old");
    pause(VERSIONS_DELAY_MS);
    const first = h.open("config.versions");
    h.type("config-add-model", MODEL);
    expect(h.maybe("config-add-versions")).toBeNull(); // nothing offered for a stale name
    pause(VERSIONS_DELAY_MS);
    const second = h.open("config.versions");
    await h.reply("config.versions", { name: MODEL, versions: [{ version: "5" }], total: 1 });
    await h.reply(
      "config.versions",
      { name: "main.default.old", versions: [{ version: "9" }], total: 1 },
      first,
    );
    expect(second.payload).toEqual({ name: MODEL });
    expect(h.offered().map((o) => o.value)).toEqual(["5"]);
    expect(h.byTestId("config-add-versions").textContent).toBe("1 version");
  });

  it("asks nothing for an empty name and leaves no timer when the view closes", () => {
    vi.useFakeTimers();
    const h = new Harness();
    h.type("config-add-model", "   ");
    pause(VERSIONS_DELAY_MS * 2);
    h.type("config-add-model", MODEL);
    h.close();
    pause(VERSIONS_DELAY_MS * 2);
    expect(h.requests("config.versions")).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
