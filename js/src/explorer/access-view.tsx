/**
 * The Access view: principals by endpoints, each cell the principal's effective level there
 * (⇡: only inherited), narrowed to one principal ("what can alice@ query?") or one endpoint,
 * with progress while the ACLs load and, per endpoint, why an ACL could not be read.
 */
import { useMemo } from "preact/hooks";
import { ErrorLine } from "../ui/errors";
import { Visible, visibleText } from "../ui/visible";
import { type AccessState, cellKey, grid } from "./access";

export const MAX_ROWS = 200;
export const MAX_COLUMNS = 40;

export type AccessFilters = { who: string; endpoint: string };

interface Props {
  state: AccessState;
  filters: AccessFilters;
  setFilters: (filters: AccessFilters) => void;
  onReload: () => void;
}

export function AccessView({ state, filters, setFilters, onReload }: Props) {
  const g = useMemo(
    () => grid(state.accesses, filters.who, filters.endpoint),
    [state.accesses, filters],
  );
  const rows = g.principals.slice(0, MAX_ROWS);
  const columns = g.endpoints.slice(0, MAX_COLUMNS);
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
        <table class="sp-table">
          <thead>
            <tr>
              <th>Principal</th>
              {columns.map((name) => (
                <th key={name}>
                  <Visible text={name} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.key} data-testid="access-row" data-principal={p.principal}>
                <th>
                  <span class="sp-muted">{p.kind.replace("_", " ")} </span>
                  <Visible text={p.principal} />
                </th>
                {columns.map((name) => {
                  const e = g.cells.get(cellKey(p.key, name));
                  return (
                    <td
                      key={name}
                      data-testid="access-cell"
                      data-inherited={e?.inherited ? "true" : undefined}
                      title={
                        e === undefined ? undefined : visibleText(`${e.level} from ${e.source}`)
                      }
                    >
                      {e === undefined ? "" : e.level.replace("CAN_", "")}
                      {e?.inherited && <span title="inherited">⇡</span>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="sp-muted" data-testid="access-shown">
        {g.principals.length} principals × {g.endpoints.length} endpoints
        {(rows.length < g.principals.length || columns.length < g.endpoints.length) &&
          ` (${rows.length} × ${columns.length} shown)`}
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
