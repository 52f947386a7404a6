import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { flush, Harness } from "../test/delete-harness";
import { NOTICE_MS } from "./actions";

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

describe("the actions menu button", () => {
  it("is a closed menu button until used", () => {
    const { button, menu } = harness();
    expect(button.getAttribute("aria-haspopup")).toBe("menu");
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(button.getAttribute("aria-label")).toBe("Endpoint actions");
    expect(button.textContent).toBe("⋮");
    expect(menu).toBeNull();
  });

  it.each(["Enter", " ", "ArrowDown"])("opens on %j with focus on the first item", (key) => {
    const t = harness();
    t.button.focus();
    const event = t.key(t.button, key);
    expect(event.defaultPrevented).toBe(true); // no click follows the key
    expect(t.button.getAttribute("aria-expanded")).toBe("true");
    expect(t.menu?.id).toBe(t.button.getAttribute("aria-controls"));
    expect(t.menu?.getAttribute("aria-labelledby")).toBe(t.button.id);
    expect(t.items.map((i) => i.textContent)).toEqual([
      "Copy endpoint id",
      "Delete endpoint…",
      "Restore from backup…",
    ]);
    expect(t.items.every((i) => i.getAttribute("tabindex") === "-1")).toBe(true);
    expect(t.active).toBe(t.items[0]);
  });

  it("opens on ArrowUp with focus on the last item", () => {
    const t = harness();
    t.key(t.button, "ArrowUp");
    expect(t.active).toBe(t.items.at(-1));
  });

  it("moves between items with the arrow keys (wrapping), Home and End", () => {
    const t = harness();
    t.key(t.button, "Enter");
    const [copy, del, restore] = t.items;
    t.key(copy as HTMLElement, "ArrowDown");
    expect(t.active).toBe(del);
    t.key(del as HTMLElement, "ArrowDown");
    expect(t.active).toBe(restore);
    t.key(restore as HTMLElement, "ArrowDown");
    expect(t.active).toBe(copy);
    t.key(copy as HTMLElement, "ArrowUp");
    expect(t.active).toBe(restore);
    t.key(restore as HTMLElement, "Home");
    expect(t.active).toBe(copy);
    t.key(copy as HTMLElement, "End");
    expect(t.active).toBe(restore);
  });

  it("closes on Escape and returns focus to the button", () => {
    const t = harness();
    t.key(t.button, "Enter");
    t.key(t.items[1] as HTMLElement, "Escape");
    expect(t.menu).toBeNull();
    expect(t.button.getAttribute("aria-expanded")).toBe("false");
    expect(t.active).toBe(t.button);
  });

  it("closes on Tab without holding focus", () => {
    const t = harness();
    t.key(t.button, "Enter");
    t.key(t.items[0] as HTMLElement, "Tab");
    expect(t.menu).toBeNull();
  });

  it("toggles with the mouse and closes on a click outside", () => {
    const t = harness();
    t.click(t.button);
    expect(t.menu).not.toBeNull();
    t.click(t.button);
    expect(t.menu).toBeNull();
    t.click(t.button);
    act(() => {
      document.body.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    });
    expect(t.menu).toBeNull();
  });

  it("opens the delete dialog from 'Delete endpoint…' (Enter, Space or a click)", () => {
    for (const how of ["Enter", " ", "click"]) {
      const t = new Harness();
      t.key(t.button, "Enter");
      const item = t.items[1] as HTMLElement;
      if (how === "click") t.click(item);
      else t.key(item, how);
      expect(t.menu).toBeNull();
      expect(t.dialog).not.toBeNull();
      expect(t.model.requestCount("delete.summary")).toBe(1);
      t.unmount();
    }
  });

  it("copies the endpoint id, says so, and clears the notice after a while", async () => {
    vi.useFakeTimers();
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const t = harness({ endpointId: "ep-<b>1</b>" });
    t.key(t.button, "Enter");
    t.key(t.items[0] as HTMLElement, " ");
    await act(flush);
    expect(writeText).toHaveBeenCalledWith("ep-<b>1</b>");
    expect(t.menu).toBeNull();
    expect(t.active).toBe(t.button);
    expect(t.byTestId("actions-notice").textContent).toBe("Endpoint id copied");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(NOTICE_MS);
    });
    expect(t.find("[data-testid=actions-notice]")).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("shows the id as text when there is no clipboard", async () => {
    vi.stubGlobal("navigator", {});
    const t = harness({ endpointId: "<img src=x>" });
    t.key(t.button, "Enter");
    t.key(t.items[0] as HTMLElement, "Enter");
    await act(flush);
    expect(t.byTestId("actions-notice").textContent).toBe("Endpoint id: <img src=x>");
    expect(t.find("img")).toBeNull();
  });

  it("disables delete once the endpoint is deleted, and without an rpc", () => {
    for (const options of [{ deleted: true }, { withRpc: false }]) {
      const t = new Harness(options);
      t.key(t.button, "Enter");
      const del = t.items[1] as HTMLElement;
      expect(del.getAttribute("aria-disabled")).toBe("true");
      t.key(del, "Enter");
      t.click(del);
      expect(t.dialog).toBeNull();
      expect(t.menu).not.toBeNull(); // a disabled item does nothing
      expect(t.model.requestCount("delete.summary")).toBe(0);
      t.unmount();
    }
  });

  it("disables copying before the endpoint was read", () => {
    const t = harness({ endpointId: "" });
    t.key(t.button, "Enter");
    expect(t.items[0]?.getAttribute("aria-disabled")).toBe("true");
    expect(t.items[1]?.hasAttribute("aria-disabled")).toBe(false);
  });
});

describe("cleanup", () => {
  it("leaves no document listener, timer, request or model listener behind", async () => {
    vi.useFakeTimers();
    vi.stubGlobal("navigator", { clipboard: { writeText: () => Promise.resolve() } });
    const added = vi.spyOn(document, "addEventListener");
    const removed = vi.spyOn(document, "removeEventListener");
    const t = new Harness();
    const baseListeners = t.model.listenerCount();
    // A notice timer running, the dialog loading, and the menu open again.
    t.key(t.button, "Enter");
    t.key(t.items[0] as HTMLElement, "Enter");
    await act(flush);
    t.openDialog();
    t.key(t.button, "Enter");
    expect(t.menu).not.toBeNull();
    expect(t.rpc.outstanding).toBe(1);
    expect(vi.getTimerCount()).toBeGreaterThan(0);

    t.unmount();

    expect(vi.getTimerCount()).toBe(0);
    expect(t.rpc.outstanding).toBe(0);
    expect(t.model.listenerCount()).toBe(baseListeners);
    const pointer = (spy: typeof added) =>
      spy.mock.calls.filter(([type]) => type === "pointerdown").length;
    expect(pointer(added)).toBeGreaterThan(0);
    expect(pointer(removed)).toBe(pointer(added));
  });
});
