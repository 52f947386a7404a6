/**
 * The panel's header: name, state badge, config version, who and when, the caller's permission,
 * refresh and auto-refresh, the "⋮" actions menu (actions.tsx), and the last refresh's
 * error. Server strings are rendered as text.
 */
import { type ComponentChildren, Fragment } from "preact";
import { useState } from "preact/hooks";
import { ActionDialog, type ActionDialogKind, EndpointActions } from "./actions";
import type { Rpc } from "./bridge/rpc";
import { type Wait, waitText } from "./bridge/waiting";
import { isUpdating, type Snapshot, stateTone } from "./model";
import { ErrorLine, type ErrorView, errorParts } from "./ui/errors";
import { exactTime, relativeTime, version } from "./ui/format";
import { Visible, visibleText } from "./ui/visible";

interface HeaderProps {
  name: string;
  snapshot: Snapshot;
  now: number;
  busy: boolean;
  autoRefresh: boolean;
  /** A refresh Python did not answer in time (or the view closed): not in the snapshot. */
  requestError: ErrorView | null;
  /** Whether a request (a refresh, a log page…) has gone unanswered for a while, and why. */
  wait?: Wait | undefined;
  onRefresh: () => void;
  onAutoRefresh: (enabled: boolean) => void;
  /** For the actions menu's delete dialog; without it, "Delete endpoint…" is disabled. */
  rpc?: Rpc | undefined;
}

function When({ label, ms, now }: { label: string; ms: number; now: number }) {
  const exact = exactTime(ms);
  return (
    <span class="sp-when">
      {label}{" "}
      <time dateTime={new Date(ms).toISOString()} title={exact}>
        {relativeTime(ms, now)}
      </time>
    </span>
  );
}

/** "(PERMISSION_DENIED, 403; showing data read 5 min ago)" */
function errorDetail(error: ErrorView, fetchedAt: number | null, now: number): string {
  const parts = errorParts(error);
  const stale = fetchedAt === null ? "" : `showing data read ${relativeTime(fetchedAt, now)}`;
  const text = [parts.join(", "), stale].filter(Boolean).join("; ");
  return text === "" ? "" : `(${text})`;
}

/** "Refresh (last read 2 min ago)": when the shown data was read; the revision is internal. */
function refreshTitle(snapshot: Snapshot, now: number): string {
  return snapshot.fetched_at === null
    ? "Refresh"
    : `Refresh (last read ${relativeTime(snapshot.fetched_at, now)})`;
}

let headerCounter = 0;

export function Header(props: HeaderProps) {
  const { name, snapshot, now, busy, autoRefresh, requestError } = props;
  const [dialog, setDialog] = useState<ActionDialogKind | null>(null);
  const [idPrefix] = useState(() => {
    headerCounter += 1;
    return `sp-header${headerCounter}`;
  });
  const { config, pending, error } = snapshot;
  const deleted = snapshot.deleted === true;
  const tone = deleted ? "stopped" : stateTone(snapshot.state);
  const stateLabel = deleted ? "Deleted" : (snapshot.state ?? "Not read yet");
  const meta: ComponentChildren[] = [];
  if (config !== null) meta.push(<span key="config">config {version(config.version)}</span>);
  if (snapshot.creator !== null) {
    meta.push(
      <span key="creator" class="sp-creator" title={visibleText(snapshot.creator)}>
        created by <Visible text={snapshot.creator} />
      </span>,
    );
  }
  if (snapshot.updated !== null) {
    meta.push(<When key="updated" label="updated" ms={snapshot.updated} now={now} />);
  }
  if (snapshot.permission_level !== null) {
    meta.push(<span key="you">you: {snapshot.permission_level}</span>);
  }
  const failedUpdate = pending !== null && snapshot.config_update === "UPDATE_FAILED";
  const pendingNote =
    pending === null
      ? null
      : isUpdating(snapshot)
        ? `updating to ${version(pending.version)}`
        : failedUpdate
          ? `update to ${version(pending.version)} failed`
          : `pending ${version(pending.version)}`;

  return (
    <header class="sp-header">
      <div class="sp-title-row">
        <h3 class="sp-name">
          <Visible text={name} />
        </h3>
        <span
          class={`sp-badge sp-tone-${tone}`}
          data-testid="state-badge"
          data-state={deleted ? "Deleted" : (snapshot.state ?? "")}
        >
          <span class="sp-dot" aria-hidden="true" />
          {stateLabel}
        </span>
        {pendingNote !== null && (
          <span
            class={failedUpdate ? "sp-pending-note sp-pending-failed" : "sp-pending-note"}
            data-testid="pending-note"
          >
            {pendingNote}
            {!failedUpdate && pending !== null && pending.start_time !== null && (
              <span class="sp-muted"> · since {relativeTime(pending.start_time, now)}</span>
            )}
          </span>
        )}
        <span class="sp-spacer" />
        <label class="sp-auto" title="Poll for changes (every 2 s while updating, else slower)">
          <input
            type="checkbox"
            checked={autoRefresh}
            onChange={(event) => props.onAutoRefresh(event.currentTarget.checked)}
          />
          auto
        </label>
        <button
          type="button"
          class={busy ? "sp-button sp-refresh sp-busy" : "sp-button sp-refresh"}
          data-testid="refresh"
          data-revision={snapshot.revision}
          onClick={props.onRefresh}
          aria-label="Refresh"
          aria-busy={busy ? "true" : "false"}
          title={busy ? "Refreshing…" : refreshTitle(snapshot, now)}
        >
          <span class="sp-refresh-icon" aria-hidden="true">
            ⟳
          </span>
        </button>
        <EndpointActions
          endpointId={snapshot.id}
          deleted={deleted}
          rpc={props.rpc}
          snapshot={snapshot}
          onOpenDialog={setDialog}
        />
      </div>
      {meta.length > 0 && (
        <div class="sp-meta">
          {meta.map((item, index) => (
            <Fragment key={index}>
              {index > 0 && <span class="sp-sep"> · </span>}
              {item}
            </Fragment>
          ))}
        </div>
      )}
      {(snapshot.description !== "" || snapshot.tags.length > 0) && (
        <div class="sp-meta">
          {snapshot.description !== "" && (
            <span class="sp-description">
              <Visible text={snapshot.description} />
            </span>
          )}
          {snapshot.tags.map((tag) => (
            <span class="sp-tag" key={tag.key}>
              <Visible text={tag.value === null ? tag.key : `${tag.key}: ${tag.value}`} />
            </span>
          ))}
        </div>
      )}
      {error !== null && (
        <div class="sp-alert" role="alert">
          <strong>{error.errorCode === "DELETED" ? "Deleted:" : "Refresh failed:"}</strong>{" "}
          <span class="sp-alert-message">{error.message}</span>
          <span class="sp-muted"> {errorDetail(error, snapshot.fetched_at, now)}</span>
        </div>
      )}
      {props.wait?.phase === "waiting" && (
        <div class="sp-meta sp-kernel-wait" role="status" data-testid="kernel-wait">
          {waitText(props.wait)}
        </div>
      )}
      {requestError !== null && (
        <div class="sp-alert" role="alert">
          <strong>Refresh failed:</strong>{" "}
          <ErrorLine
            error={requestError}
            style="aside"
            messageClass="sp-alert-message"
            codeClass="sp-muted"
          />
        </div>
      )}
      {dialog !== null && props.rpc !== undefined && (
        <ActionDialog
          kind={dialog}
          name={name}
          rpc={props.rpc}
          snapshot={snapshot}
          idPrefix={idPrefix}
          onClose={() => setDialog(null)}
        />
      )}
    </header>
  );
}
