/**
 * The Permissions tab: the endpoint's ACL (direct and inherited grants), edited by staging
 * changes locally, reviewing the exact API call(s) and applying them through Python
 * (`acl.read`, `acl.preview`, `acl.apply`, `principals.lookup`; see
 * serving_panel/panel/permissions.py).
 *
 * Nothing is sent until Apply. The state and the order of requests (stale ACLs, confirmations,
 * answers that come too late) live in controller.ts; this component renders that state and
 * passes the user's actions to it. Nothing loads until the tab is first shown.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { useModelValue, useWait } from "../bridge/hooks";
import type { Rpc } from "../bridge/rpc";
import type { ScopedModel } from "../bridge/scoped-model";
import { waitText } from "../bridge/waiting";
import type { PanelState, Snapshot } from "../model";
import { AddRow } from "./add-row";
import { ErrorAlert } from "./alert";
import { PermissionsController, plural } from "./controller";
import { ReviewDialog } from "./dialog";
import { addedRows, principalKey } from "./staging";
import { AclTable } from "./table";
import { DEFAULT_LEVELS } from "./types";
import "./permissions.css";

export interface PermissionsTabProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
  snapshot: Snapshot;
  /** Whether the Permissions tab is the selected one (the panel stays mounted while hidden). */
  active: boolean;
}

let tabCounter = 0;

export function PermissionsTab({ model, rpc, snapshot, active }: PermissionsTabProps) {
  const endpoint = useModelValue(model, "endpoint_name") || snapshot.name;
  const [idPrefix] = useState(() => {
    tabCounter += 1;
    return `spp${tabCounter}`;
  });
  const [, setVersion] = useState(0);
  const controller = useMemo(
    () => new PermissionsController(rpc, () => setVersion((version) => version + 1)),
    [rpc],
  );
  const reloadButton = useRef<HTMLButtonElement>(null);

  // A layout effect: its cleanup runs as the view unmounts, so no late answer updates it.
  useLayoutEffect(() => () => controller.dispose(), [controller]);

  useEffect(() => {
    if (active) controller.show();
  }, [active, controller]);

  const wait = useWait(rpc.waits);
  const { read, loading, loadError, staged, alert, notice, dialog, applying, focusTick } =
    controller.state;

  useLayoutEffect(() => {
    if (focusTick > 0) reloadButton.current?.focus();
  }, [focusTick]);

  const levels = read !== null && read.levels.length > 0 ? read.levels : [...DEFAULT_LEVELS];
  const changes = controller.changes;
  const added = useMemo(() => addedRows(staged, read), [staged, read]);
  const displayNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const row of read?.rows ?? []) {
      if (row.display_name) names.set(principalKey(row), row.display_name);
    }
    for (const change of staged.values()) {
      if (change.display_name) names.set(principalKey(change), change.display_name);
    }
    return names;
  }, [read, staged]);
  const level = snapshot.permission_level;
  const readOnly = level !== null && level !== "CAN_MANAGE";

  const principals = new Set((read?.rows ?? []).map(principalKey)).size;
  const count = changes.length;

  return (
    <div class="sp-perms" data-testid="perms">
      <div class="sp-perms-content" inert={dialog !== null}>
        <div class="sp-perms-toolbar">
          <span class="sp-perms-summary" role="status" data-testid="perms-status">
            {loading
              ? waitText(wait)
              : read !== null
                ? `${plural(principals, "principal")} · ${plural(read.direct.length, "direct grant")}`
                : ""}
            {notice !== "" ? <span class="sp-perms-notice">{notice}</span> : null}
          </span>
          <button
            ref={reloadButton}
            type="button"
            class="sp-perms-button"
            aria-label="Reload the permissions"
            data-testid="perms-reload"
            disabled={loading}
            onClick={() => controller.reload()}
          >
            ⟳ reload
          </button>
        </div>
        {loadError !== null ? (
          <ErrorAlert
            error={loadError}
            testId="perms-load-error"
            onRetry={() => controller.load()}
          />
        ) : null}
        {alert !== null ? <ErrorAlert error={alert} testId="perms-alert" /> : null}
        {readOnly && read !== null ? (
          <p class="sp-perms-note" data-testid="perms-read-only">
            You hold {level}: changing permissions needs CAN_MANAGE.
          </p>
        ) : null}
        {read !== null ? (
          <AclTable
            label={`Permissions of ${endpoint}`}
            rows={read.rows}
            added={added}
            staged={staged}
            levels={levels}
            caller={read.caller}
            readOnly={readOnly}
            onLevel={(principal, next) => controller.setLevel(principal, next)}
            onRemove={(principal) => controller.remove(principal)}
            onUndo={(principal) => controller.undo(principal)}
          />
        ) : null}
        {read !== null && !readOnly ? (
          <AddRow
            rpc={rpc}
            levels={levels}
            idPrefix={idPrefix}
            onAdd={(grant) => controller.add(grant)}
          />
        ) : null}
        {count > 0 ? (
          <fieldset class="sp-perms-bar" data-testid="perms-bar">
            <legend class="sp-perms-sr">Staged changes</legend>
            <span class="sp-perms-count" data-testid="perms-count">
              {plural(count, "change")}
            </span>
            <span aria-hidden="true">·</span>
            <button
              type="button"
              class="sp-perms-button"
              data-testid="perms-preview"
              disabled={applying}
              onClick={() => controller.openDialog()}
            >
              Preview
            </button>
            <span aria-hidden="true">·</span>
            <button
              type="button"
              class="sp-perms-button sp-perms-primary"
              data-testid="perms-apply"
              disabled={applying}
              onClick={() => controller.apply(false)}
            >
              {applying ? "Applying…" : "Apply"}
            </button>
            <span aria-hidden="true">·</span>
            <button
              type="button"
              class="sp-perms-button"
              data-testid="perms-discard"
              disabled={applying}
              onClick={() => controller.discard()}
            >
              Discard
            </button>
          </fieldset>
        ) : null}
      </div>
      {dialog !== null ? (
        <ReviewDialog
          idPrefix={idPrefix}
          state={dialog}
          count={count}
          displayNames={displayNames}
          onAcknowledge={(on) => controller.acknowledge(on)}
          onApply={() => controller.apply(true)}
          onClose={() => controller.closeDialog()}
        />
      ) : null}
    </div>
  );
}
