/**
 * The Access view: principals by endpoints, each cell the principal's effective level there
 * (⇡: only inherited), narrowed to one principal, one endpoint or a level at least ("what can
 * alice@ query?" is alice@ and CAN_QUERY), with progress while the ACLs load and, per
 * endpoint, why an ACL could not be read. "Endpoints as rows" turns the grid, which reads
 * better for one principal across many endpoints.
 *
 * The table draws at most MAX_CELLS cells (at least MAX_COLUMNS columns and MAX_ROWS rows) and
 * says how much it left out; the filters narrow it, and `access_df()` has everything.
 */
import { useMemo } from "preact/hooks";
import { ErrorLine } from "../ui/errors";
import { Visible, visibleText } from "../ui/visible";
import { type AccessEntry, type AccessState, cellKey, grid, LEVELS } from "./access";

export const MAX_ROWS = 500;
export const MAX_COLUMNS = 40;
export const MAX_CELLS = 10_000;

export type AccessFilters = {
  who: string;
  endpoint: string;
  /** A level the cells are at or above, or "" for any. */
  level?: string;
  /** Endpoints as rows, principals as columns. */
  byEndpoint?: boolean;
};

type Principal = { key: string; kind: string; principal: string };

function PrincipalName({ p }: { p: Principal }) {
  return (
    <>
      <span class="sp-muted">{p.kind.replace("_", " ")} </span>
      <Visible text={p.principal} />
    </>
  );
}

function Cell({ e }: { e: AccessEntry | undefined }) {
  return (
    <td
      data-testid="access-cell"
      data-inherited={e?.inherited ? "true" : undefined}
      title={e === undefined ? undefined : visibleText(`${e.level} from ${e.source}`)}
    >
      {e === undefined ? "" : e.level.replace("CAN_", "")}
      {e?.inherited && <span title="inherited">⇡</span>}
    </td>
  );
}

interface Props {
  state: AccessState;
  filters: AccessFilters;
  setFilters: (filters: AccessFilters) => void;
  onReload: () => void;
}

export function AccessView({ state, filters, setFilters, onReload }: Props) {
  const g = useMemo(
    () => grid(state.accesses, filters.who, filters.endpoint, filters.level ?? ""),
    [state.accesses, filters],
  );
  const byEndpoint = filters.byEndpoint === true;
  const across = byEndpoint ? g.principals.length : g.endpoints.length;
  const down = byEndpoint ? g.endpoints.length : g.principals.length;
  const columnCount = Math.min(
    across,
    Math.max(MAX_COLUMNS, Math.floor(MAX_CELLS / Math.max(1, down))),
  );
  const rowCount = Math.min(
    down,
    Math.max(MAX_ROWS, Math.floor(MAX_CELLS / Math.max(1, columnCount))),
  );
  const principals = g.principals.slice(0, byEndpoint ? columnCount : rowCount);
  const endpoints = g.endpoints.slice(0, byEndpoint ? rowCount : columnCount);
  return (
    <div data-testid="access-view">
      <div class="sp-x-toolbar">
        <input
          type="search"
          class="sp-x-search"
          placeholder="Principal"
          aria-label="Filter principals"
          data-testid="access-who"
          value={filters.who}
          onInput={(e) =>
            setFilters({ ...filters, who: (e.currentTarget as HTMLInputElement).value })
          }
        />
        <input
          type="search"
          class="sp-x-search"
          placeholder="Endpoint"
          aria-label="Filter endpoints"
          data-testid="access-endpoint"
          value={filters.endpoint}
          onInput={(e) =>
            setFilters({ ...filters, endpoint: (e.currentTarget as HTMLInputElement).value })
          }
        />
        <select
          aria-label="Level at least"
          data-testid="access-level"
          value={filters.level ?? ""}
          onChange={(e) =>
            setFilters({ ...filters, level: (e.currentTarget as HTMLSelectElement).value })
          }
        >
          <option value="">any level</option>
          {LEVELS.map((level) => (
            <option key={level} value={level}>
              {level === "CAN_MANAGE" ? level : `${level} or more`}
            </option>
          ))}
        </select>
        <label class="sp-x-mine">
          <input
            type="checkbox"
            data-testid="access-by-endpoint"
            checked={byEndpoint}
            onChange={(e) =>
              setFilters({ ...filters, byEndpoint: (e.currentTarget as HTMLInputElement).checked })
            }
          />
          endpoints as rows
        </label>
        {state.loading ? (
          <span class="sp-x-progress" role="status" data-testid="access-progress">
            <progress max={state.total} value={state.done} />
            ACLs {state.done}/{state.total}
          </span>
        ) : (
          <button type="button" class="sp-button" onClick={onReload}>
            Reload
          </button>
        )}
      </div>
      {state.error !== null && (
        <div class="sp-alert sp-error" role="alert" data-testid="access-error">
          <ErrorLine error={state.error} />
        </div>
      )}
      <div class="sp-table-wrap sp-x-access">
        <table class="sp-table" data-by={byEndpoint ? "endpoint" : "principal"}>
          <thead>
            <tr>
              <th>{byEndpoint ? "Endpoint" : "Principal"}</th>
              {byEndpoint
                ? principals.map((p) => (
                    <th key={p.key}>
                      <PrincipalName p={p} />
                    </th>
                  ))
                : endpoints.map((name) => (
                    <th key={name}>
                      <Visible text={name} />
                    </th>
                  ))}
            </tr>
          </thead>
          <tbody>
            {byEndpoint
              ? endpoints.map((name) => (
                  <tr key={name} data-testid="access-row" data-endpoint={name}>
                    <th>
                      <Visible text={name} />
                    </th>
                    {principals.map((p) => (
                      <Cell key={p.key} e={g.cells.get(cellKey(p.key, name))} />
                    ))}
                  </tr>
                ))
              : principals.map((p) => (
                  <tr key={p.key} data-testid="access-row" data-principal={p.principal}>
                    <th>
                      <PrincipalName p={p} />
                    </th>
                    {endpoints.map((name) => (
                      <Cell key={name} e={g.cells.get(cellKey(p.key, name))} />
                    ))}
                  </tr>
                ))}
          </tbody>
        </table>
      </div>
      <p class="sp-muted" data-testid="access-shown">
        {g.principals.length} principals × {g.endpoints.length} endpoints
        {(principals.length < g.principals.length || endpoints.length < g.endpoints.length) &&
          ` (${principals.length} × ${endpoints.length} shown: narrow with the filters)`}
        · ⇡ inherited
      </p>
      {g.unreadable.map((a) => (
        <p key={a.endpoint} class="sp-alert" data-testid="access-unreadable">
          <Visible text={a.endpoint} />: {a.error && <ErrorLine error={a.error} />}
        </p>
      ))}
    </div>
  );
}
