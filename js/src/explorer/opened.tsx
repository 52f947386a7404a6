/**
 * One endpoint opened inside the explorer: the panel's own `<Panel>` (header, tabs, actions),
 * on the explorer's model, under a "back to all endpoints" bar. The panel gets a model of its
 * own that tags each request with the endpoint's name, so Python refuses a request meant for an
 * endpoint no longer open (serving_panel/panel/host.py) instead of answering it for another,
 * and an Rpc of its own, closed (and its listeners removed) when the panel goes.
 */
import type { AnyModel } from "@anywidget/types";
import { useLayoutEffect, useMemo } from "preact/hooks";
import { Rpc } from "../bridge/rpc";
import { ScopedModel } from "../bridge/scoped-model";
import type { WaitWatch } from "../bridge/waiting";
import { isObject } from "../bridge/wire";
import type { PanelState } from "../model";
import { Panel } from "../panel";
import { ErrorLine, type ErrorView } from "../ui/errors";

/** A scoped model whose requests name the endpoint the view shows. */
export class EndpointModel extends ScopedModel<PanelState> {
  constructor(
    model: AnyModel<PanelState>,
    readonly endpoint: string,
  ) {
    super(model);
  }

  override send(content: unknown): void {
    super.send(
      isObject(content) && content.type === "request"
        ? { ...content, endpoint: this.endpoint }
        : content,
    );
  }
}

export interface OpenedProps {
  name: string;
  model: AnyModel<PanelState>;
  waits: WaitWatch;
  busy: boolean;
  error: ErrorView | null;
  onBack: () => void;
}

export function Opened({ name, model, waits, busy, error, onBack }: OpenedProps) {
  const scoped = useMemo(() => new EndpointModel(model, name), [model, name]);
  const rpc = useMemo(() => new Rpc(scoped, undefined, waits), [scoped, waits]);
  useLayoutEffect(
    () => () => {
      rpc.close();
      scoped.dispose();
    },
    [rpc, scoped],
  );
  return (
    <div class="sp-x-opened" data-testid="explorer-opened" data-name={name}>
      <div class="sp-x-backbar">
        <button
          type="button"
          class="sp-button"
          data-testid="explorer-back"
          aria-busy={busy ? "true" : "false"}
          onClick={onBack}
        >
          ← All endpoints
        </button>
        {error !== null && (
          <span class="sp-error" role="alert">
            <ErrorLine error={error} style="aside" codeClass="sp-muted" />
          </span>
        )}
      </div>
      <Panel key={name} model={scoped} rpc={rpc} />
    </div>
  );
}
