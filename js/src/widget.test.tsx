/**
 * The widget entry on a fake model, with real timers: each step waits for the condition it
 * needs (vi.waitFor), never for a number of ticks, so a busy machine only makes it slower.
 */
import type { RenderProps } from "@anywidget/types";
import { describe, expect, it, vi } from "vitest";
import { FakeModel, panelStateFixture } from "../test/fake-model";
import type { PanelState } from "./model";
import widget from "./widget";

/** Generous: waitFor returns as soon as the condition holds; this only bounds a real failure. */
const WAIT = { timeout: 10_000, interval: 5 };

function initialState(): PanelState {
  return panelStateFixture({ revision: 0 });
}

function mount(model: FakeModel<PanelState>): { el: HTMLElement; cleanup: () => void } {
  const el = document.createElement("div");
  document.body.append(el);
  if (typeof widget === "function" || widget.render === undefined) {
    throw new Error("widget must export an object with render");
  }
  const props = { model, el } as unknown as RenderProps<PanelState>;
  const cleanup = widget.render(props) as () => void;
  return { el, cleanup };
}

/** Effects have run once the view has sent its "hello" request (a useEffect sends it). */
const effectsRan = (model: FakeModel<PanelState>) =>
  vi.waitFor(() => expect(model.requestCount("hello")).toBe(1), WAIT);

const text = (el: HTMLElement, selector: string) => el.querySelector(selector)?.textContent;
const revision = (el: HTMLElement) =>
  el.querySelector("[data-testid=refresh]")?.getAttribute("data-revision");

describe("EndpointPanel skeleton view", () => {
  it("shows the endpoint name and the snapshot revision", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await vi.waitFor(() => expect(revision(el)).toBe("0"), WAIT);
    expect(text(el, ".sp-name")).toBe("ads-endpoint");
    // A partial snapshot (as a hand-written `panel.snapshot = {...}` gives) must not break it.
    model.fromPython("snapshot", { name: "ads-endpoint", revision: 4 } as PanelState["snapshot"]);
    await vi.waitFor(() => expect(revision(el)).toBe("4"), WAIT);
    cleanup();
  });

  it("asks Python to refresh by bumping _refresh_request, one refresh at a time", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await effectsRan(model);
    const button = () => el.querySelector<HTMLButtonElement>("button[aria-label=Refresh]");
    button()?.click();
    button()?.click();
    expect(model.saved).toEqual([{ _refresh_request: 1 }]);
    await vi.waitFor(() => expect(button()?.getAttribute("aria-busy")).toBe("true"), WAIT);
    model.fromPython("snapshot", { ...model.get("snapshot"), revision: 1 });
    await vi.waitFor(() => expect(button()?.getAttribute("aria-busy")).toBe("false"), WAIT);
    button()?.click();
    expect(model.saved).toEqual([{ _refresh_request: 1 }, { _refresh_request: 2 }]);
    expect(model.requestCount("refresh")).toBe(0);
    cleanup();
  });

  it("shows the version Python returns to the hello request", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await effectsRan(model);
    const hello = model.requests().find((request) => request.kind === "hello");
    model.receive({ type: "reply", id: hello?.id, ok: true, result: { version: "9.9.9" } });
    await vi.waitFor(
      () => expect(text(el, "[data-testid=footer]")).toBe("serving-panel 9.9.9"),
      WAIT,
    );
    cleanup();
  });

  it("renders server strings as text, never as HTML", async () => {
    const model = new FakeModel(initialState());
    const payload = '<img src=x onerror="window.__pwned=1">';
    model.fromPython("endpoint_name", payload);
    const { el, cleanup } = mount(model);
    await vi.waitFor(() => expect(text(el, ".sp-name")).toBe(payload), WAIT);
    await effectsRan(model);
    expect(el.querySelector("img")).toBeNull();
    cleanup();
  });

  it("removes every listener it added when the view is cleaned up", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await effectsRan(model);
    await vi.waitFor(() => expect(model.listenerCount("change:snapshot")).toBeGreaterThan(0), WAIT);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});
