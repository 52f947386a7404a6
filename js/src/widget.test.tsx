import type { RenderProps } from "@anywidget/types";
import { describe, expect, it } from "vitest";
import { FakeModel, panelStateFixture } from "../test/fake-model";
import type { PanelState } from "./model";
import widget from "./widget";

function initialState(): PanelState {
  return panelStateFixture({ revision: 0 });
}

async function settle(): Promise<void> {
  // Preact commits effects after a microtask and a frame; two macrotasks cover both.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setTimeout(resolve, 0));
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

describe("EndpointPanel skeleton view", () => {
  it("shows the endpoint name and the snapshot revision", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await settle();
    expect(el.querySelector(".sp-name")?.textContent).toBe("ads-endpoint");
    expect(el.querySelector("[data-testid=revision]")?.textContent).toBe("revision 0");
    // A partial snapshot (as a hand-written `panel.snapshot = {...}` gives) must not break it.
    model.fromPython("snapshot", { name: "ads-endpoint", revision: 4 } as PanelState["snapshot"]);
    await settle();
    expect(el.querySelector("[data-testid=revision]")?.textContent).toBe("revision 4");
    cleanup();
  });

  it("asks Python to refresh with a refresh request, one at a time", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await settle();
    el.querySelector<HTMLButtonElement>("button[aria-label=Refresh]")?.click();
    el.querySelector<HTMLButtonElement>("button[aria-label=Refresh]")?.click();
    expect(model.requestCount("refresh")).toBe(1);
    model.answer("refresh", { revision: 1 });
    await settle();
    el.querySelector<HTMLButtonElement>("button[aria-label=Refresh]")?.click();
    expect(model.requestCount("refresh")).toBe(2);
    expect(model.saved).toEqual([]);
    cleanup();
  });

  it("shows the version Python returns to the hello request", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await settle();
    const hello = model.requests().find((request) => request.kind === "hello");
    expect(hello).toBeDefined();
    model.receive({ type: "reply", id: hello?.id, ok: true, result: { version: "9.9.9" } });
    await settle();
    expect(el.querySelector("[data-testid=footer]")?.textContent).toBe("serving-panel 9.9.9");
    cleanup();
  });

  it("renders server strings as text, never as HTML", async () => {
    const model = new FakeModel(initialState());
    const payload = '<img src=x onerror="window.__pwned=1">';
    model.fromPython("endpoint_name", payload);
    const { el, cleanup } = mount(model);
    await settle();
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector(".sp-name")?.textContent).toBe(payload);
    cleanup();
  });

  it("removes every listener it added when the view is cleaned up", async () => {
    const model = new FakeModel(initialState());
    const { el, cleanup } = mount(model);
    await settle();
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});
