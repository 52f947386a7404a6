/**
 * The delete dialog. It reads `delete.summary` when it opens and says what goes with the
 * endpoint (served entities, traffic routes, who can query it), offers the config and the ACL
 * as a JSON file, and sends `delete.confirm` only once the endpoint's name is typed exactly;
 * Python checks the name again (serving_panel/panel/delete.py).
 *
 * A modal dialog (ui/modal.tsx): focus moves into it, Tab and Shift+Tab stay inside, Escape
 * and Cancel close it, and focus returns to the control that opened it. Requests still on their way when
 * it closes are abandoned, so a closed dialog leaves no timer behind. Server strings are text.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { useWait } from "../bridge/hooks";
import type { Rpc } from "../bridge/rpc";
import { waitText } from "../bridge/waiting";
import { CopyAs } from "../ui/copy-as";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { Modal } from "../ui/modal";
import { saveBackup } from "./backup";
import { type DeleteSummary, normalizeDeleteSummary } from "./summary";
import "./delete.css";

/** How long reading the summary (two GETs) may take before the dialog says Python did not answer. */
export const SUMMARY_TIMEOUT_MS = 30_000;
/** How long the delete itself may take. */
export const CONFIRM_TIMEOUT_MS = 60_000;

function ErrorText({ error }: { error: ErrorView }) {
  return (
    <ErrorLine
      error={error}
      style="aside"
      messageClass="sp-delete-error-message"
      codeClass="sp-muted"
    />
  );
}

interface DeleteDialogProps {
  /** The panel's endpoint name: what must be typed. */
  name: string;
  rpc: Rpc;
  /** Prefix for element ids, unique per panel view. */
  idPrefix: string;
  onClose: () => void;
}

type Load =
  | { phase: "loading" }
  | { phase: "ready"; summary: DeleteSummary }
  | { phase: "failed"; error: ErrorView };

export function DeleteDialog({ name, rpc, idPrefix, onClose }: DeleteDialogProps) {
  const [attempt, setAttempt] = useState(0);
  const [load, setLoad] = useState<Load>({ phase: "loading" });
  const wait = useWait(rpc.waits);
  const [typed, setTyped] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [confirmError, setConfirmError] = useState<ErrorView | null>(null);
  const [deleted, setDeleted] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const dialogRef = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const confirmRequest = useRef<AbortController | null>(null);

  const titleId = `${idPrefix}-delete-title`;
  const leadId = `${idPrefix}-delete-lead`;
  const inputId = `${idPrefix}-delete-input`;

  useLayoutEffect(() => {
    const controller = new AbortController();
    setLoad({ phase: "loading" });
    rpc
      .request("delete.summary", {}, { timeoutMs: SUMMARY_TIMEOUT_MS, signal: controller.signal })
      .then(
        (result) => {
          if (!controller.signal.aborted)
            setLoad({ phase: "ready", summary: normalizeDeleteSummary(result) });
        },
        (reason: unknown) => {
          if (!controller.signal.aborted) setLoad({ phase: "failed", error: toErrorView(reason) });
        },
      );
    return () => controller.abort();
  }, [rpc, attempt]);

  // A delete still on its way when the dialog closes is no longer waited for.
  useLayoutEffect(() => () => confirmRequest.current?.abort(), []);

  useLayoutEffect(() => {
    if (deleted) closeRef.current?.focus();
  }, [deleted]);

  const summary = load.phase === "ready" ? load.summary : null;
  const canManage = summary?.can_manage === true;
  const canDelete = summary !== null && canManage && typed === name && !confirming && !deleted;

  const onConfirm = (): void => {
    if (!canDelete) return;
    const controller = new AbortController();
    confirmRequest.current = controller;
    setConfirming(true);
    setConfirmError(null);
    rpc
      .request(
        "delete.confirm",
        { typed_name: typed },
        { timeoutMs: CONFIRM_TIMEOUT_MS, signal: controller.signal },
      )
      .then(
        () => {
          if (controller.signal.aborted) return;
          setConfirming(false);
          setDeleted(true);
        },
        (reason: unknown) => {
          if (controller.signal.aborted) return;
          setConfirming(false);
          setConfirmError(toErrorView(reason));
        },
      );
  };

  const onSave = (): void => {
    const dialog = dialogRef.current;
    if (summary === null || dialog === null) return;
    setSaved(saveBackup(dialog, name, summary.export));
  };

  return (
    <Modal
      boxRef={dialogRef}
      class="sp-delete sp-delete-dialog"
      labelledBy={titleId}
      describedBy={summary !== null && !deleted ? leadId : undefined}
      testId="delete-dialog"
      onClose={onClose}
    >
      <h4 class="sp-delete-title" id={titleId}>
        Delete endpoint <span class="sp-delete-name">{name}</span>?
      </h4>

      {load.phase === "loading" && (
        <p class="sp-muted" role="status">
          {waitText(wait, "Reading what would be lost…")}
        </p>
      )}

      {load.phase === "failed" && (
        <div class="sp-delete-alert" role="alert" data-testid="delete-load-error">
          <strong>Could not read the endpoint:</strong> <ErrorText error={load.error} />{" "}
          <button type="button" class="sp-button" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}

      {deleted && (
        <p class="sp-delete-done" role="status" data-testid="delete-done">
          Endpoint <span class="sp-delete-name">{name}</span> was deleted.
        </p>
      )}

      {summary !== null && !deleted && <Lost summary={summary} leadId={leadId} />}

      {summary !== null && (
        <p class="sp-delete-save">
          <button type="button" class="sp-button" data-testid="delete-save" onClick={onSave}>
            Save config and permissions as JSON
          </button>
          {saved !== null && (
            <span class="sp-muted" role="status">
              {" "}
              saved {saved}
            </span>
          )}
          <span class="sp-muted sp-delete-restore-note" data-testid="delete-restore-note">
            {" "}
            The file can bring the endpoint back: "Restore from backup…" in this menu, or{" "}
            <code>client.restore(backup)</code>.
          </span>
        </p>
      )}

      {summary !== null && !deleted && (
        <CopyAs snippets={summary.snippets} testId="delete-copy-as" />
      )}

      {summary !== null && !deleted && !canManage && (
        <p class="sp-delete-note" data-testid="delete-needs-manage">
          Deleting an endpoint needs CAN_MANAGE on it; you have{" "}
          {summary.permission_level ?? "no permission"}. Ask someone who manages it.
        </p>
      )}

      <form
        class="sp-delete-form"
        onSubmit={(event) => {
          event.preventDefault();
          onConfirm();
        }}
      >
        {summary !== null && !deleted && (
          <label class="sp-delete-confirm" for={inputId}>
            <span>
              Type <strong class="sp-delete-name">{name}</strong> to confirm
            </span>
            <input
              id={inputId}
              type="text"
              autocomplete="off"
              autocapitalize="off"
              spellcheck={false}
              value={typed}
              disabled={!canManage || confirming}
              data-testid="delete-input"
              onInput={(event) => setTyped(event.currentTarget.value)}
            />
          </label>
        )}
        {confirmError !== null && (
          <div class="sp-delete-alert" role="alert" data-testid="delete-error">
            <strong>Delete failed:</strong> <ErrorText error={confirmError} />
          </div>
        )}
        <div class="sp-delete-buttons">
          <button
            ref={closeRef}
            type="button"
            class="sp-button"
            data-testid="delete-cancel"
            onClick={onClose}
          >
            {deleted ? "Close" : "Cancel"}
          </button>
          {!deleted && (
            <button
              type="submit"
              class="sp-button sp-delete-danger"
              data-testid="delete-confirm"
              disabled={!canDelete}
              aria-busy={confirming ? "true" : "false"}
            >
              {confirming ? "Deleting…" : "Delete endpoint"}
            </button>
          )}
        </div>
      </form>
    </Modal>
  );
}

/** What goes with the endpoint. */
function Lost({ summary, leadId }: { summary: DeleteSummary; leadId: string }) {
  const who = summary.who_can_query;
  return (
    <div class="sp-delete-lost">
      <p id={leadId} class="sp-delete-lead">
        This cannot be undone. Queries to it will fail, and its configuration and permissions are
        removed with it:
      </p>
      <div class="sp-delete-section">
        <span class="sp-delete-label">Served entities</span>
        {summary.entities.length === 0 ? (
          <span class="sp-muted"> none</span>
        ) : (
          <ul class="sp-delete-list" data-testid="delete-entities">
            {summary.entities.map((entity) => (
              <li key={entity}>{entity}</li>
            ))}
          </ul>
        )}
      </div>
      <div class="sp-delete-section">
        <span class="sp-delete-label">Traffic routes</span>
        {summary.routes.length === 0 ? (
          <span class="sp-muted"> none</span>
        ) : (
          <ul class="sp-delete-list" data-testid="delete-routes">
            {summary.routes.map((route) => (
              <li key={route.entity}>
                {route.entity} <span class="sp-muted">{route.percentage}%</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div class="sp-delete-section">
        <span class="sp-delete-label">Who can query it</span>
        {who === null ? (
          <span class="sp-muted" data-testid="delete-who-unknown">
            {" "}
            unknown: the permissions could not be read
            {summary.permissions_error !== null && (
              <>
                {" "}
                ({summary.permissions_error.message}
                {summary.permissions_error.errorCode !== undefined &&
                  `, ${summary.permissions_error.errorCode}`}
                )
              </>
            )}
          </span>
        ) : who.length === 0 ? (
          <span class="sp-muted"> no one holds CAN_QUERY or CAN_MANAGE</span>
        ) : (
          <ul class="sp-delete-list" data-testid="delete-who">
            {who.map((principal) => (
              <li key={`${principal.kind}:${principal.name}`}>
                <span class="sp-delete-principal">{principal.name}</span>{" "}
                <span class="sp-muted">
                  {principal.kind.replace(/_/g, " ")} · {principal.level}
                  {principal.inherited ? " · inherited" : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
