/** The anywidget front-end module of EndpointPanel: one Preact tree per view. */
import type { AnyWidget, RenderProps } from "@anywidget/types";
import { render as mount } from "preact";
import { kernelActivity } from "./bridge/kernel";
import { Rpc } from "./bridge/rpc";
import { ScopedModel } from "./bridge/scoped-model";
import { WaitWatch } from "./bridge/waiting";
import type { PanelState } from "./model";
import { Panel } from "./panel";
import "./ui/base.css";

function render({ model, el }: RenderProps<PanelState>): () => void {
  const scoped = new ScopedModel(model);
  const kernel = kernelActivity(model);
  const waits = new WaitWatch(kernel);
  const rpc = new Rpc(scoped, undefined, waits);
  el.classList.add("serving-panel");
  mount(<Panel model={scoped} rpc={rpc} />, el);
  return () => {
    rpc.close();
    mount(null, el);
    waits.dispose();
    kernel.dispose();
    scoped.dispose();
    el.classList.remove("serving-panel");
  };
}

const widget: AnyWidget<PanelState> = { render };
export default widget;
