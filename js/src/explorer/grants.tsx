/**
 * Grants across endpoints: on the endpoints selected, one principal (typed, or found through
 * SCIM with `principals.lookup`: the permissions tab's AddRow) and a level or "remove"; a preview of each endpoint's exact
 * call and its before → after (`explorer.grants.preview`), then Apply of exactly that plan
 * (`explorer.grants.apply`) with a result per endpoint. Locked-out rows stay refused unless
 * the user ticks the confirmation (force). Every string is server text.
 */
import { useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { isObject, list, str, strings, strOrNull } from "../bridge/wire";
import { AddRow } from "../permissions/add-row";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { Visible } from "../ui/visible";

export const LEVELS = ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"];
/** The level choice that removes the principal's direct grant. */
export const REMOVE = "remove";

export type WriteRow = {
  endpoint: string;
  /** The preview's status, or the apply's outcome. */
  outcome: string;
  method: string | null;
  path: string | null;
  body: string | null;
  before: string | null;
  after: string | null;
  message: string | null;
  /** What the preview should say about the write (an inherited level a direct grant does not
   * lower, nothing to remove, a lock-out): the permissions tab's warnings, per endpoint. */
  warnings: string[];
};

export function normalizeWrites(raw: unknown, field: "writes" | "results"): WriteRow[] {
  return list(isObject(raw) ? raw[field] : [])
    .filter(isObject)
    .map((w) => ({
      ...(Object.fromEntries(
        ["method", "path", "body", "before", "after", "message"].map((k) => [k, strOrNull(w[k])]),
      ) as Omit<WriteRow, "endpoint" | "outcome" | "warnings">),
      endpoint: str(w.endpoint),
      outcome: str(field === "writes" ? w.status : w.outcome),
      warnings: strings(w.warnings),
    }));
}

interface Props {
  rpc: Rpc;
  names: string[];
  /** Called once an apply answered: ACLs shown elsewhere (the Access view) are stale. */
  onApplied?: () => void;
}

export function Grants({ rpc, names, onApplied }: Props) {
  const [plan, setPlan] = useState<{ id: string; about: string; rows: WriteRow[] } | null>(null);
  const [results, setResults] = useState<WriteRow[] | null>(null);
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorView | null>(null);

  const ask = (kind: string, payload: object, then: (raw: unknown) => void): void => {
    setBusy(true);
    setError(null);
    rpc
      .request(kind, payload)
      .then(then, (reason: unknown) => setError(toErrorView(reason)))
      .finally(() => setBusy(false));
  };

  const locked = plan?.rows.filter((r) => r.outcome === "locked_out").length ?? 0;
  const sending =
    (plan?.rows.filter((r) => r.outcome === "send").length ?? 0) + (force ? locked : 0);

  return (
    <div class="sp-perms sp-x-grants" data-testid="grants">
      <strong>Grant on {names.length} selected (Add previews)</strong>
      <AddRow
        rpc={rpc}
        levels={[...LEVELS, REMOVE]}
        idPrefix="spx-grants"
        onAdd={({ kind, name, level }) => {
          if (name === "") return "Type a principal first.";
          setResults(null);
          setForce(false);
          ask(
            "explorer.grants.preview",
            { names, kind, name, level: level === REMOVE ? null : level },
            (raw) =>
              setPlan({
                id: str(isObject(raw) ? raw.plan_id : ""),
                about: `${kind.replace("_", " ")} ${name}: ${level}`,
                rows: normalizeWrites(raw, "writes"),
              }),
          );
          return null;
        }}
      />
      {error !== null && (
        <div class="sp-alert sp-error" role="alert" data-testid="grants-error">
          <ErrorLine error={error} />
        </div>
      )}
      {plan !== null && results === null && (
        <>
          <p>
            <Visible text={plan.about} />
          </p>
          <WriteTable rows={plan.rows} testid="grants-plan" />
          {locked > 0 && (
            <label class="sp-alert sp-error">
              <input
                type="checkbox"
                data-testid="grants-force"
                checked={force}
                onChange={(e) => setForce((e.currentTarget as HTMLInputElement).checked)}
              />{" "}
              Also the {locked} locked out (CAN_MANAGE lost)
            </label>
          )}
          <button
            type="button"
            class="sp-button"
            data-testid="grants-apply"
            disabled={busy || sending === 0}
            onClick={() =>
              ask("explorer.grants.apply", { plan_id: plan.id, force }, (raw) => {
                setResults(normalizeWrites(raw, "results"));
                onApplied?.();
              })
            }
          >
            Apply {sending}
          </button>
        </>
      )}
      {results !== null && <WriteTable rows={results} testid="grants-results" />}
    </div>
  );
}

function WriteTable({ rows, testid }: { rows: WriteRow[]; testid: string }) {
  return (
    <div class="sp-table-wrap">
      <table class="sp-table" data-testid={testid}>
        <tbody>
          {rows.map((r) => (
            <tr key={r.endpoint} data-testid="grants-row" data-outcome={r.outcome}>
              <td>
                <Visible text={r.endpoint} />
              </td>
              <td>{r.outcome.replace("_", " ")}</td>
              <td>
                {r.before ?? "none"} → {r.after ?? "none"}
              </td>
              <td>
                {r.method !== null && (
                  <code>
                    {r.method} {r.path} {r.body !== null && <Visible text={r.body} />}
                  </code>
                )}{" "}
                {r.message !== null && <Visible text={r.message} />}
                {r.warnings.length > 0 && (
                  <ul class="sp-x-grants-warnings" data-testid="grants-warnings">
                    {r.warnings.map((warning) => (
                      <li key={warning}>
                        <Visible text={warning} />
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
