/**
 * The panel's root component. For now a skeleton: the endpoint name, a refresh button whose
 * request Python answers through the synced snapshot, and the package version fetched by RPC.
 */
import { useEffect, useState } from "preact/hooks";
import { useModelValue } from "./hooks";
import type { PanelState } from "./model";
import type { Rpc } from "./rpc";
import type { ScopedModel } from "./scoped-model";

interface PanelProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
}

interface HelloResult {
  version: string;
}

export function Panel({ model, rpc }: PanelProps) {
  const name = useModelValue(model, "endpoint_name");
  const snapshot = useModelValue(model, "snapshot");
  const [version, setVersion] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    rpc
      .request<HelloResult>("hello")
      .then((result) => live && setVersion(result.version))
      .catch((reason: Error) => live && setError(reason.message));
    return () => {
      live = false;
    };
  }, [rpc]);

  const requestRefresh = (): void => {
    model.update("_refresh_request", model.get("_refresh_request") + 1);
  };

  return (
    <section
      class="sp-root"
      aria-label={`Serving endpoint ${name}`}
      data-jp-suppress-context-menu=""
    >
      <header class="sp-header">
        <h3 class="sp-name">{name}</h3>
        <span class="sp-revision" data-testid="revision">
          revision {snapshot.revision}
        </span>
        <button
          type="button"
          class="sp-button"
          onClick={requestRefresh}
          aria-label="Refresh"
          title="Refresh"
        >
          ⟳
        </button>
      </header>
      <footer class="sp-footer" data-testid="footer">
        {error !== null ? (
          <span role="alert" class="sp-error">
            {error}
          </span>
        ) : (
          <span>{version === null ? "connecting…" : `serving-panel ${version}`}</span>
        )}
      </footer>
    </section>
  );
}
