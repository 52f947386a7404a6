/**
 * The Config tab's actions beside the rows: add a served entity (a registered model's name and
 * version, typed; once a name is typed, its Unity Catalog versions are offered as suggestions,
 * versions.ts), the quick actions (shift N% to an entity, promote one to 100%), and roll back
 * to a config this panel has seen.
 */
import { useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { ErrorLine, type ErrorView } from "../ui/errors";
import { exactTime, version } from "../ui/format";
import { addRow, type Draft, isProblem, live, type Problem, promote, shift } from "./draft";
import type { History } from "./types";
import { useVersionList, type VersionList } from "./versions";

interface EditProps {
  draft: Draft;
  edit: (next: Draft) => void;
  onProblem: (problem: Problem) => void;
}

interface AddProps extends EditProps {
  rpc: Rpc;
  /** Unique per view: the version suggestions' datalist id. */
  idPrefix: string;
}

function VersionNote({ list }: { list: VersionList }) {
  if (list.state === "idle") return null;
  const found = list.state === "done" ? list.found : null;
  return (
    <span class="sp-config-versions" role="status" data-testid="config-add-versions">
      {list.state === "failed" ? (
        <ErrorLine error={list.error} style="aside" />
      ) : (
        <span class="sp-muted">
          {found === null
            ? "listing versions…"
            : found.total === 0
              ? "no versions"
              : `${found.total} version${found.total === 1 ? "" : "s"}` +
                (found.versions.length < found.total
                  ? ` (newest ${found.versions.length} offered)`
                  : "")}
        </span>
      )}
    </span>
  );
}

export function AddEntity({ draft, edit, onProblem, rpc, idPrefix }: AddProps) {
  const [add, setAdd] = useState({ model: "", version: "", name: "" });
  const { list, typed } = useVersionList(rpc);
  const listId = `${idPrefix}-versions`;
  const offered = list.state === "done" ? list.found.versions : [];
  const onAdd = (): void => {
    const next = addRow(draft, add.model, add.version, add.name);
    if (isProblem(next)) onProblem(next);
    else {
      edit(next);
      setAdd({ model: "", version: "", name: "" });
      typed("");
    }
  };
  return (
    <fieldset class="sp-config-row">
      <legend class="sp-muted">Add</legend>
      <input
        class="sp-config-input"
        placeholder="registered model"
        aria-label="Model name"
        data-testid="config-add-model"
        value={add.model}
        onInput={(e) => {
          setAdd({ ...add, model: e.currentTarget.value });
          typed(e.currentTarget.value);
        }}
      />
      <input
        class="sp-config-input sp-config-version"
        placeholder="version"
        aria-label="Model version"
        data-testid="config-add-version"
        list={listId}
        value={add.version}
        onInput={(e) => setAdd({ ...add, version: e.currentTarget.value })}
      />
      <datalist id={listId} data-testid="config-add-version-list">
        {offered.map((v) => (
          <option key={v.version} value={v.version}>
            {[v.status, v.created === null ? null : exactTime(v.created)]
              .filter((part) => part !== null)
              .join(" · ")}
          </option>
        ))}
      </datalist>
      <input
        class="sp-config-input"
        placeholder="served name (optional)"
        aria-label="Served entity name"
        data-testid="config-add-name"
        value={add.name}
        onInput={(e) => setAdd({ ...add, name: e.currentTarget.value })}
      />
      <button type="button" class="sp-button" data-testid="config-add" onClick={onAdd}>
        Add served entity
      </button>
      <VersionNote list={list} />
    </fieldset>
  );
}

export function QuickActions({ draft, edit, onProblem }: EditProps) {
  const [shiftBy, setShiftBy] = useState("10");
  const [target, setTarget] = useState("");
  const routed = live(draft).map((r) => r.name);
  const chosen = routed.includes(target) ? target : (routed[routed.length - 1] ?? "");
  const quick = (next: Draft | Problem): void => {
    if (isProblem(next)) onProblem(next);
    else edit(next);
  };
  return (
    <fieldset class="sp-config-row">
      <legend class="sp-muted">Shift</legend>
      <input
        class="sp-config-input sp-config-pct"
        inputMode="numeric"
        aria-label="Percentage to shift"
        data-testid="config-shift-by"
        value={shiftBy}
        onInput={(e) => setShiftBy(e.currentTarget.value)}
      />
      <span class="sp-muted">% to</span>
      <select
        class="sp-config-input"
        aria-label="Entity to shift traffic to"
        data-testid="config-target"
        value={chosen}
        onChange={(e) => setTarget(e.currentTarget.value)}
      >
        {routed.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <button
        type="button"
        class="sp-button"
        data-testid="config-shift"
        onClick={() => quick(shift(draft, chosen, Number(shiftBy.trim() || "NaN")))}
      >
        Shift
      </button>
      <button
        type="button"
        class="sp-button"
        data-testid="config-promote"
        onClick={() => quick(promote(draft, chosen))}
      >
        Promote {chosen} to 100%
      </button>
    </fieldset>
  );
}

interface RollbackProps {
  history: History | null;
  error: ErrorView | null;
  busy: boolean;
  onPreview: (version: number) => void;
}

export function Rollback({ history, error: historyError, busy, onPreview }: RollbackProps) {
  const [rollbackTo, setRollbackTo] = useState("");
  const targets = history?.targets ?? [];
  const rollbackVersion = targets.some((t) => String(t.version) === rollbackTo)
    ? rollbackTo
    : String(targets[0]?.version ?? "");
  return (
    <fieldset class="sp-config-row">
      <legend class="sp-muted">Roll back to</legend>
      <select
        class="sp-config-input"
        aria-label="Config to roll back to"
        data-testid="config-rollback-version"
        value={rollbackVersion}
        disabled={targets.length === 0}
        onChange={(e) => setRollbackTo(e.currentTarget.value)}
      >
        {targets.length === 0 && <option value="">no earlier config seen</option>}
        {targets.map((t) => (
          <option key={t.version} value={String(t.version)}>
            config {version(t.version)}
            {t.current ? " (current, after the failed update)" : ""}:{" "}
            {t.routes.map((r) => `${r.entity} ${r.percentage}%`).join(", ")}
          </option>
        ))}
      </select>
      <button
        type="button"
        class="sp-button"
        data-testid="config-rollback"
        disabled={targets.length === 0 || busy}
        onClick={() => onPreview(Number(rollbackVersion))}
      >
        Preview rollback…
      </button>
      {historyError !== null && (
        <span class="sp-error" data-testid="config-history-error">
          <ErrorLine error={historyError} style="aside" />
        </span>
      )}
    </fieldset>
  );
}
