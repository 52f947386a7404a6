/**
 * The stop and start confirmation: says what stops (every served entity's model server, and
 * queries until a start) or what a start does (the config built again as a new version), then
 * sends `power.stop` or `power.start` (serving_panel/panel/power.py), which re-reads the
 * endpoint so the badge follows. A modal dialog (ui/modal.tsx); server strings are text.
 * Shares the delete dialog's look (delete.css).
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import type { Snapshot } from "../model";
import { CopyAs, normalizeSnippets } from "../ui/copy-as";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { version } from "../ui/format";
import { Modal } from "../ui/modal";
import "../delete/delete.css";

/** How long stopping (model servers draining) or starting may take to answer. */
export const POWER_TIMEOUT_MS = 120_000;

interface PowerDialogProps {
  action: "stop" | "start";
  name: string;
  snapshot: Snapshot;
  rpc: Rpc;
  idPrefix: string;
  onClose: () => void;
}

export function PowerDialog({ action, name, snapshot, rpc, idPrefix, onClose }: PowerDialogProps) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ErrorView | null>(null);
  const request = useRef<AbortController | null>(null);
  const [snippets, setSnippets] = useState<Record<string, string>>({});
  useLayoutEffect(() => () => request.current?.abort(), []);

  // The request's Copy-as equivalents, shown before anything is sent (none if Python fails).
  useLayoutEffect(() => {
    const controller = new AbortController();
    rpc.request("power.preview", { action }, { signal: controller.signal }).then(
      (raw) => {
        if (!controller.signal.aborted && raw !== null && typeof raw === "object") {
          setSnippets(normalizeSnippets((raw as { snippets?: unknown }).snippets));
        }
      },
      () => undefined,
    );
    return () => controller.abort();
  }, [rpc, action]);

  const titleId = `${idPrefix}-power-title`;
  const leadId = `${idPrefix}-power-lead`;
  const entities = snapshot.config?.entities ?? [];
  const label = action === "stop" ? "Stop endpoint" : "Start endpoint";

  const onConfirm = (): void => {
    if (sending) return;
    const controller = new AbortController();
    request.current = controller;
    setSending(true);
    setError(null);
    rpc
      .request(`power.${action}`, {}, { timeoutMs: POWER_TIMEOUT_MS, signal: controller.signal })
      .then(
        () => {
          if (!controller.signal.aborted) onClose();
        },
        (reason: unknown) => {
          if (controller.signal.aborted) return;
          setSending(false);
          setError(toErrorView(reason));
        },
      );
  };

  return (
    <Modal
      class="sp-delete sp-delete-dialog sp-power-dialog"
      labelledBy={titleId}
      describedBy={leadId}
      busy={sending}
      testId="power-dialog"
      onClose={onClose}
    >
      <h4 class="sp-delete-title" id={titleId}>
        {action === "stop" ? "Stop" : "Start"} endpoint <span class="sp-delete-name">{name}</span>?
      </h4>
      {action === "stop" ? (
        <p id={leadId} class="sp-delete-lead" data-testid="power-lead">
          The model servers of its {entities.length === 1 ? "served entity" : "served entities"}{" "}
          stop, and queries are refused until it is started again. Its config, tags and permissions
          stay. Starting it later builds config {version(snapshot.config?.version ?? null)} again as
          a new config version, which takes as long as an update.
        </p>
      ) : (
        <p id={leadId} class="sp-delete-lead" data-testid="power-lead">
          Config {version(snapshot.config?.version ?? null)} is built again as a new config version;
          the endpoint serves queries once that update ends.
        </p>
      )}
      {entities.length > 0 && (
        <ul class="sp-delete-list" data-testid="power-entities">
          {entities.map((entity) => (
            <li key={entity.name}>
              {entity.name}{" "}
              <span class="sp-muted">
                {entity.entity}
                {entity.version !== null ? ` v${entity.version}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
      <CopyAs snippets={snippets} testId="power-copy-as" />
      {error !== null && (
        <div class="sp-delete-alert" role="alert" data-testid="power-error">
          <strong>{action === "stop" ? "Stop" : "Start"} failed:</strong>{" "}
          <ErrorLine
            error={error}
            style="aside"
            messageClass="sp-delete-error-message"
            codeClass="sp-muted"
          />
        </div>
      )}
      <div class="sp-delete-buttons">
        <button type="button" class="sp-button" data-testid="power-cancel" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class={action === "stop" ? "sp-button sp-delete-danger" : "sp-button"}
          data-testid="power-confirm"
          disabled={sending}
          aria-busy={sending ? "true" : "false"}
          onClick={onConfirm}
        >
          {sending ? (action === "stop" ? "Stopping…" : "Starting…") : label}
        </button>
      </div>
    </Modal>
  );
}
