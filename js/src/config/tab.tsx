/**
 * The Config tab: the current config's served entities as editable rows (version, workload
 * size, scale to zero, traffic), added or removed entities, quick actions (shift N% to an
 * entity, promote one to 100%, roll back to a config this panel has seen), and a live check of
 * the percentages that names the rule. Nothing is sent until the preview dialog's Apply
 * (`config.preview`, then `config.apply`; serving_panel/panel/config_editor.py). After Apply,
 * Python publishes the endpoint, and the header and Overview follow the update.
 *
 * Changing the config needs CAN_MANAGE: without it the tab says so and previews only.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { isUpdating, type Snapshot } from "../model";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { version } from "../ui/format";
import { AddEntity, QuickActions, Rollback } from "./actions";
import { PreviewDialog } from "./dialog";
import { changed, type Draft, draftFrom, type Problem, problems, toEdit, total } from "./draft";
import { RowsTable } from "./table";
import {
  type Applied,
  type History,
  normalizeApplied,
  normalizeHistory,
  normalizePreview,
  type Preview,
} from "./types";
import "./config.css";

/** Apply sends the PUT and re-reads the endpoint. */
export const APPLY_TIMEOUT_MS = 120_000;

export interface ConfigTabProps {
  rpc: Rpc;
  snapshot: Snapshot;
  active: boolean;
}

let tabCounter = 0;

function ProblemList({ list, testId }: { list: Problem[]; testId: string }) {
  if (list.length === 0) return null;
  return (
    <ul class="sp-config-problems" role="alert" data-testid={testId}>
      {list.map((p) => (
        <li key={`${p.field}:${p.rule}`}>
          <code>{p.field}</code>: {p.rule}
        </li>
      ))}
    </ul>
  );
}

export function ConfigTab({ rpc, snapshot, active }: ConfigTabProps) {
  const [idPrefix] = useState(() => {
    tabCounter += 1;
    return `spc${tabCounter}`;
  });
  const config = snapshot.config;
  const [draft, setDraft] = useState<Draft | null>(() => (config ? draftFrom(config) : null));
  const [history, setHistory] = useState<History | null>(null);
  const [historyError, setHistoryError] = useState<ErrorView | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [refusals, setRefusals] = useState<Problem[]>([]);
  const [busy, setBusy] = useState<"preview" | "apply" | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [applyError, setApplyError] = useState<ErrorView | null>(null);
  const [applied, setApplied] = useState<Applied | null>(null);
  const [quickProblem, setQuickProblem] = useState<Problem | null>(null);
  const mounted = useRef(true);
  useLayoutEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  // A new config: a draft with no changes follows it; one with changes stays (Apply would be
  // refused as stale, and the note offers to start over).
  const configVersion = config?.version ?? null;
  useEffect(() => {
    if (config === null) return;
    setDraft((old) => (old === null || !changed(old) ? draftFrom(config) : old));
  }, [config]);

  const updateKey = `${configVersion}:${snapshot.config_update}`;
  useEffect(() => {
    if (!active) return;
    let current = true;
    rpc.request<unknown>("config.history").then(
      (raw) => {
        if (!current) return;
        setHistory(normalizeHistory(raw));
        setHistoryError(null);
      },
      (reason: unknown) => {
        if (current) setHistoryError(toErrorView(reason));
      },
    );
    return () => {
      current = false;
    };
  }, [rpc, active, updateKey]);

  if (config === null || draft === null) {
    return (
      <div class="sp-config" data-testid="config-tab">
        <p class="sp-empty">There is no current config to edit.</p>
      </div>
    );
  }

  const level = snapshot.permission_level;
  const canManage = level === null || level === "CAN_MANAGE";
  const found = problems(draft);
  const sum = total(draft);
  const dirty = changed(draft);
  const stale = draft.base.version !== config.version;

  const edit = (next: Draft): void => {
    setDraft(next);
    setRefusals([]);
    setApplied(null);
    setQuickProblem(null);
  };

  const ask = (payload: object): void => {
    if (busy !== null) return;
    setBusy("preview");
    setError(null);
    setRefusals([]);
    rpc.request<unknown>("config.preview", payload).then(
      (raw) => {
        if (!mounted.current) return;
        setBusy(null);
        const answer = normalizePreview(raw);
        if (answer.refusals.length > 0) setRefusals(answer.refusals);
        else {
          setApplyError(null);
          setPreview(answer);
        }
      },
      (reason: unknown) => {
        if (!mounted.current) return;
        setBusy(null);
        setError(toErrorView(reason));
      },
    );
  };

  const onApply = (): void => {
    if (preview === null || busy !== null) return;
    setBusy("apply");
    setApplyError(null);
    rpc
      .request<unknown>(
        "config.apply",
        { preview_id: preview.previewId },
        { timeoutMs: APPLY_TIMEOUT_MS },
      )
      .then(
        (raw) => {
          if (!mounted.current) return;
          setBusy(null);
          setPreview(null);
          setApplied(normalizeApplied(raw));
          setDraft(draftFrom(config));
        },
        (reason: unknown) => {
          if (!mounted.current) return;
          setBusy(null);
          setApplyError(toErrorView(reason));
        },
      );
  };

  return (
    <div class="sp-config" data-testid="config-tab">
      {!canManage && (
        <p class="sp-note" data-testid="config-permission">
          Changing the config needs CAN_MANAGE on this endpoint; you have {level}. You can preview a
          change and copy it, not apply it.
        </p>
      )}
      {isUpdating(snapshot) && (
        <p class="sp-note" data-testid="config-updating">
          An update{snapshot.pending ? ` to ${version(snapshot.pending.version)}` : ""} is in
          progress: the service refuses a new config until it ends. The header follows it.
        </p>
      )}
      {stale && (
        <p class="sp-note" data-testid="config-stale">
          The endpoint changed: config {version(config.version)} is current now, and this edit was
          made from {version(draft.base.version)}.{" "}
          <button type="button" class="sp-link" onClick={() => edit(draftFrom(config))}>
            Start over from {version(config.version)}
          </button>
        </p>
      )}
      <h4 class="sp-h">
        Served entities and traffic{" "}
        <span class="sp-muted">from config {version(draft.base.version)}</span>
      </h4>
      <RowsTable draft={draft} edit={edit} />
      <p class="sp-config-total" data-testid="config-total">
        Total: {sum === null ? "—" : `${sum}%`}{" "}
        <span class="sp-muted">(traffic percentages must add up to 100)</span>
      </p>
      <ProblemList list={found} testId="config-problems" />
      <AddEntity
        draft={draft}
        edit={edit}
        onProblem={setQuickProblem}
        rpc={rpc}
        idPrefix={idPrefix}
      />
      <QuickActions draft={draft} edit={edit} onProblem={setQuickProblem} />
      <Rollback
        history={history}
        error={historyError}
        busy={busy !== null}
        onPreview={(v) => ask({ rollback: v })}
      />
      {quickProblem !== null && <ProblemList list={[quickProblem]} testId="config-quick-problem" />}
      <ProblemList list={refusals} testId="config-refusals" />
      {error !== null && (
        <div class="sp-alert" role="alert" data-testid="config-error">
          <ErrorLine error={error} style="aside" />
        </div>
      )}
      {applied !== null && (
        <p class="sp-config-done" role="status" data-testid="config-result">
          Sent: config {version(applied.configVersion)} is{" "}
          {applied.state === "Ready" ? "live" : "being deployed"} ({applied.state}). The header and
          the Overview follow the update.
        </p>
      )}
      <div class="sp-config-buttons">
        <button
          type="button"
          class="sp-button"
          data-testid="config-reset"
          disabled={!dirty}
          onClick={() => edit(draftFrom(config))}
        >
          Reset
        </button>
        <button
          type="button"
          class="sp-button sp-config-primary"
          data-testid="config-preview"
          disabled={!dirty || found.length > 0 || busy !== null}
          title={
            found.length > 0
              ? "Fix the problems above first"
              : dirty
                ? undefined
                : "Nothing changed yet"
          }
          onClick={() => ask({ edit: toEdit(draft) })}
        >
          {busy === "preview" ? "Previewing…" : "Preview changes…"}
        </button>
      </div>
      {preview !== null && (
        <div class="sp-config-backdrop">
          <PreviewDialog
            name={snapshot.name}
            preview={preview}
            idPrefix={idPrefix}
            applying={busy === "apply"}
            error={applyError}
            onApply={onApply}
            onClose={() => setPreview(null)}
          />
        </div>
      )}
    </div>
  );
}
