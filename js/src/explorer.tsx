/**
 * The anywidget front-end module of ServingExplorer: the Endpoints view, and one endpoint's
 * panel (the same `<Panel>` as EndpointPanel's) when one is opened. One Preact tree per view.
 */
import type { AnyWidget, RenderProps } from "@anywidget/types";
import { render as mount } from "preact";
import { kernelActivity } from "./bridge/kernel";
import { Rpc } from "./bridge/rpc";
import { ScopedModel } from "./bridge/scoped-model";
import { WaitWatch } from "./bridge/waiting";
import { Explorer } from "./explorer/view";
import type { PanelState } from "./model";
import "./ui/base.css";
import "./explorer/explorer.css";

function render({ model, el }: RenderProps<PanelState>): () => void {
  const scoped = new ScopedModel(model);
  const kernel = kernelActivity(model);
  const waits = new WaitWatch(kernel);
  const rpc = new Rpc(scoped, undefined, waits);
  el.classList.add("serving-panel", "serving-explorer");
  mount(<Explorer model={scoped} rpc={rpc} />, el);
  return () => {
    rpc.close();
    mount(null, el);
    waits.dispose();
    kernel.dispose();
    scoped.dispose();
    el.classList.remove("serving-panel", "serving-explorer");
  };
}

const widget: AnyWidget<PanelState> = { render };
export default widget;
