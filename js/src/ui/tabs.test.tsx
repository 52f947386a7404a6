import { render } from "preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settled } from "../../test/settle";
import { type TabSpec, Tabs } from "./tabs";

let el: HTMLElement;
const seen: Record<string, boolean> = {};

const TABS: TabSpec[] = ["overview", "logs", "permissions"].map((key) => ({
  key,
  label: key[0]?.toUpperCase() + key.slice(1),
  render: (active: boolean) => {
    seen[key] = active;
    return <p>{key} content</p>;
  },
}));

/** Preact renders a state change from a microtask; settled() waits for it (test/settle.ts). */
const flush = settled;
const tab = (key: string): HTMLElement =>
  el.querySelector(`[data-testid=tab-${key}]`) as HTMLElement;
const selected = (): string[] =>
  [...el.querySelectorAll("[role=tab]")]
    .filter((t) => t.getAttribute("aria-selected") === "true")
    .map((t) => t.textContent ?? "");

function press(key: string): void {
  (document.activeElement as HTMLElement).dispatchEvent(
    new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }),
  );
}

beforeEach(() => {
  el = document.createElement("div");
  document.body.append(el);
  render(<Tabs idPrefix="p1" label="Endpoint views" tabs={TABS} />, el);
});

afterEach(() => {
  render(null, el);
  el.remove();
});

describe("Tabs", () => {
  it("has the tablist / tab / tabpanel roles, wired by ids", () => {
    const list = el.querySelector("[role=tablist]");
    expect(list?.getAttribute("aria-label")).toBe("Endpoint views");
    const tabs = [...el.querySelectorAll("[role=tab]")];
    expect(tabs.map((t) => t.textContent)).toEqual(["Overview", "Logs", "Permissions"]);
    for (const t of tabs) {
      const panel = el.querySelector(`#${t.getAttribute("aria-controls")}`);
      expect(panel?.getAttribute("role")).toBe("tabpanel");
      expect(panel?.getAttribute("aria-labelledby")).toBe(t.id);
    }
  });

  it("selects the first tab, with a roving tabindex, and hides the other panels", () => {
    expect(selected()).toEqual(["Overview"]);
    expect(["overview", "logs", "permissions"].map((k) => tab(k).tabIndex)).toEqual([0, -1, -1]);
    const panels = [...el.querySelectorAll<HTMLElement>("[role=tabpanel]")];
    expect(panels.map((p) => p.hidden)).toEqual([false, true, true]);
    expect(seen).toEqual({ overview: true, logs: false, permissions: false });
  });

  it("selects a tab on click and tells panels whether they are active", async () => {
    tab("logs").click();
    await flush();
    expect(selected()).toEqual(["Logs"]);
    expect(tab("logs").tabIndex).toBe(0);
    expect(tab("overview").tabIndex).toBe(-1);
    expect(seen).toEqual({ overview: false, logs: true, permissions: false });
    const panel = el.querySelector<HTMLElement>(`#${tab("logs").getAttribute("aria-controls")}`);
    expect(panel?.hidden).toBe(false);
    expect(panel?.textContent).toBe("logs content");
  });

  it("moves selection and focus with Right/Left (wrapping), Home and End", async () => {
    tab("overview").focus();
    const steps: Array<[string, string]> = [
      ["ArrowRight", "Logs"],
      ["ArrowRight", "Permissions"],
      ["ArrowRight", "Overview"],
      ["ArrowLeft", "Permissions"],
      ["Home", "Overview"],
      ["End", "Permissions"],
      ["ArrowLeft", "Logs"],
    ];
    for (const [key, expected] of steps) {
      press(key);
      await flush();
      expect(selected()).toEqual([expected]);
      expect(document.activeElement?.textContent).toBe(expected);
      expect((document.activeElement as HTMLElement).tabIndex).toBe(0);
    }
  });

  it("ignores other keys", async () => {
    tab("overview").focus();
    press("ArrowDown");
    press("a");
    await flush();
    expect(selected()).toEqual(["Overview"]);
  });
});
