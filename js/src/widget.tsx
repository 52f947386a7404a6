/** The anywidget front-end module of EndpointPanel: one Preact tree per view. */
import type { AnyWidget, RenderProps } from "@anywidget/types";
import { render as mount } from "preact";
import { Rpc } from "./bridge/rpc";
import { ScopedModel } from "./bridge/scoped-model";
import type { PanelState } from "./model";
import { Panel } from "./panel";
import "./ui/base.css";

function render({ model, el }: RenderProps<PanelState>): () => void {
  const scoped = new ScopedModel(model);
  const rpc = new Rpc(scoped);
  el.classList.add("serving-panel");
  mount(<Panel model={scoped} rpc={rpc} />, el);
  return () => {
    rpc.close();
    mount(null, el);
    scoped.dispose();
    el.classList.remove("serving-panel");
  };
}

const widget: AnyWidget<PanelState> = { render };
export default widget;
