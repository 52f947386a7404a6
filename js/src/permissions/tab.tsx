/**
 * The Permissions tab: the endpoint's ACL (direct and inherited grants), edited by staging
 * changes locally, reviewing the exact API call(s) and applying them through Python
 * (`acl.read`, `acl.preview`, `acl.apply`, `principals.lookup`; see
 * serving_panel/panel_permissions.py).
 *
 * Nothing is sent until Apply. Every write carries the fingerprint of the ACL as shown, so if
 * someone changed it meanwhile Python sends nothing (STALE_ACL): the list is read again, the
 * staged changes that still mean something are kept, and the user reviews again. A plan that
 * can take away the ability to manage the endpoint needs a ticked acknowledgement first.
 *
 * Nothing loads until the tab is first shown.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { useModelValue } from "../bridge/hooks";
import type { Rpc } from "../bridge/rpc";
import type { ScopedModel } from "../bridge/scoped-model";
import type { PanelState, Snapshot } from "../model";
import { type ErrorView, toErrorView } from "../ui/errors";
import { AddRow } from "./add-row";
import { ErrorAlert } from "./alert";
import { type DialogState, NEW_DIALOG, ReviewDialog } from "./dialog";
import {
  addedRows,
  addProblem,
  NOTHING_STAGED,
  principalKey,
  prune,
  type Staged,
  stage,
  unstage,
  wireChanges,
} from "./staging";
import { AclTable } from "./table";
import {
  type AclRead,
  CONFIRM_REQUIRED,
  DEFAULT_LEVELS,
  normalizeAclPreview,
  normalizeAclRead,
  STALE_ACL,
} from "./types";
import "./permissions.css";

export interface PermissionsTabProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
  snapshot: Snapshot;
  /** Whether the Permissions tab is the selected one (the panel stays mounted while hidden). */
  active: boolean;
}

export const STALE_MESSAGE =
  "The permissions changed since they were shown; review the current list.";
/** Writes wait for a re-read and the write itself; give them longer than a read. */
export const APPLY_TIMEOUT_MS = 60_000;

let tabCounter = 0;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

export function PermissionsTab({ model, rpc, snapshot, active }: PermissionsTabProps) {
  const endpoint = useModelValue(model, "endpoint_name") || snapshot.name;
  const [idPrefix] = useState(() => {
    tabCounter += 1;
    return `spp${tabCounter}`;
  });
  const [read, setRead] = useState<AclRead | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<ErrorView | null>(null);
  const [staged, setStaged] = useState<Staged>(NOTHING_STAGED);
  const [alert, setAlert] = useState<ErrorView | null>(null);
  const [notice, setNotice] = useState("");
  const [dialog, setDialog] = useState<DialogState | null>(null);
  const [applying, setApplying] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const live = useRef(true);
  const requested = useRef(false);
  const loadSequence = useRef(0);
  const dialogSequence = useRef(0);
  const reloadButton = useRef<HTMLButtonElement>(null);

  useLayoutEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const load = (): void => {
    loadSequence.current += 1;
    const mine = loadSequence.current;
    setLoading(true);
    rpc.request<unknown>("acl.read").then(
      (raw) => {
        const result = normalizeAclRead(raw);
        if (!live.current || mine !== loadSequence.current) return;
        setRead(result);
        setStaged((current) => prune(current, result));
        setLoadError(null);
        setLoading(false);
      },
      (reason: unknown) => {
        if (!live.current || mine !== loadSequence.current) return;
        setLoadError(toErrorView(reason));
        setLoading(false);
      },
    );
  };

  useEffect(() => {
    if (active && !requested.current) {
      requested.current = true;
      load();
    }
  }, [active]);

  useLayoutEffect(() => {
    if (focusTick > 0) reloadButton.current?.focus();
  }, [focusTick]);

  const levels = read !== null && read.levels.length > 0 ? read.levels : [...DEFAULT_LEVELS];
  const changes = useMemo(() => wireChanges(staged), [staged]);
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

  const stale = (): void => {
    dialogSequence.current += 1;
    setDialog(null);
    setAlert({ message: STALE_MESSAGE, errorCode: undefined, status: undefined });
    load();
  };

  const openDialog = (extra: Partial<DialogState> = {}): void => {
    if (read === null || changes.length === 0) return;
    dialogSequence.current += 1;
    const mine = dialogSequence.current;
    setNotice("");
    setDialog({ ...NEW_DIALOG, ...extra });
    rpc.request<unknown>("acl.preview", { fingerprint: read.fingerprint, changes }).then(
      (raw) => {
        const preview = normalizeAclPreview(raw);
        if (!live.current || mine !== dialogSequence.current) return;
        if (preview.stale) {
          stale();
          return;
        }
        setDialog((d) => d && { ...d, planning: false, preview });
      },
      (reason: unknown) => {
        if (!live.current || mine !== dialogSequence.current) return;
        setDialog((d) => d && { ...d, planning: false, error: toErrorView(reason) });
      },
    );
  };

  const closeDialog = (): void => {
    dialogSequence.current += 1;
    setDialog(null);
  };

  const apply = (fromDialog: boolean): void => {
    if (read === null || changes.length === 0) return;
    const count = changes.length;
    const confirm = fromDialog && dialog?.acknowledged === true;
    if (fromDialog) setDialog((d) => d && { ...d, applying: true, error: null });
    setApplying(true);
    setAlert(null);
    setNotice("");
    rpc
      .request<unknown>(
        "acl.apply",
        { fingerprint: read.fingerprint, changes, confirm_warnings: confirm },
        { timeoutMs: APPLY_TIMEOUT_MS },
      )
      .then(
        (raw) => {
          if (!live.current) return;
          const result = normalizeAclRead(raw);
          loadSequence.current += 1; // a read still on its way is older than this result
          dialogSequence.current += 1;
          setApplying(false);
          setRead(result);
          setLoadError(null);
          setLoading(false);
          setStaged(NOTHING_STAGED);
          setDialog(null);
          setNotice(`Applied ${plural(count, "change")}.`);
          setFocusTick((tick) => tick + 1);
        },
        (reason: unknown) => {
          if (!live.current) return;
          setApplying(false);
          const error = toErrorView(reason);
          if (error.errorCode === STALE_ACL) {
            stale();
          } else if (error.errorCode === CONFIRM_REQUIRED) {
            if (fromDialog) {
              setDialog(
                (d) =>
                  d && {
                    ...d,
                    applying: false,
                    confirmMessage: error.message,
                    acknowledged: false,
                  },
              );
            } else {
              openDialog({ confirmMessage: error.message });
            }
          } else if (fromDialog) {
            setDialog((d) => d && { ...d, applying: false, error });
          } else {
            setAlert(error);
          }
        },
      );
  };

  const principals = new Set((read?.rows ?? []).map(principalKey)).size;
  const count = changes.length;

  return (
    <div class="sp-perms" data-testid="perms">
      <div class="sp-perms-content" inert={dialog !== null}>
        <div class="sp-perms-toolbar">
          <span class="sp-perms-summary" role="status" data-testid="perms-status">
            {loading
              ? "loading…"
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
            onClick={() => {
              setAlert(null);
              setNotice("");
              load();
            }}
          >
            ⟳ reload
          </button>
        </div>
        {loadError !== null ? (
          <ErrorAlert error={loadError} testId="perms-load-error" onRetry={load} />
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
            onLevel={(principal, next) =>
              setStaged((current) =>
                stage(current, read, {
                  kind: principal.kind,
                  name: principal.name,
                  level: next,
                  display_name: principal.display_name,
                }),
              )
            }
            onRemove={(principal) =>
              setStaged((current) =>
                stage(current, read, { ...principal, level: null, display_name: null }),
              )
            }
            onUndo={(principal) => setStaged((current) => unstage(current, principal))}
          />
        ) : null}
        {read !== null && !readOnly ? (
          <AddRow
            rpc={rpc}
            levels={levels}
            idPrefix={idPrefix}
            onAdd={(grant) => {
              const why = addProblem(grant, grant.level, read, staged);
              if (why === null) setStaged((current) => stage(current, read, grant));
              return why;
            }}
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
              onClick={() => openDialog()}
            >
              Preview
            </button>
            <span aria-hidden="true">·</span>
            <button
              type="button"
              class="sp-perms-button sp-perms-primary"
              data-testid="perms-apply"
              disabled={applying}
              onClick={() => apply(false)}
            >
              {applying ? "Applying…" : "Apply"}
            </button>
            <span aria-hidden="true">·</span>
            <button
              type="button"
              class="sp-perms-button"
              data-testid="perms-discard"
              disabled={applying}
              onClick={() => {
                setStaged(NOTHING_STAGED);
                setNotice("Discarded the staged changes.");
                setFocusTick((tick) => tick + 1);
              }}
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
          onAcknowledge={(on) => setDialog((d) => d && { ...d, acknowledged: on })}
          onApply={() => apply(true)}
          onClose={closeDialog}
        />
      ) : null}
    </div>
  );
}
