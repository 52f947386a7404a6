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
import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import { ErrorLine } from "../ui/errors";
import { Visible, visibleText } from "../ui/visible";
import { type AccessEntry, type AccessState, cellKey, grid, LEVELS } from "./access";

export const MAX_ROWS = 500;
export const MAX_COLUMNS = 40;
export const MAX_CELLS = 10_000;

/** Rows by their name (`column` null) or by their level in one column (a principal's key or
 * an endpoint's name, as the grid is turned). */
export type AccessSort = { column: string | null; descending: boolean };

export type AccessFilters = {
  who: string;
  endpoint: string;
  sort?: AccessSort;
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

/** `rows` in `sort`'s order: by level in its column (most first when descending; no level
 * last), then by name; the order is stable. */
export function sortAccessRows<T>(
  rows: readonly T[],
  sort: AccessSort,
  name: (row: T) => string,
  level: (row: T, column: string) => AccessEntry | undefined,
): T[] {
  const sign = sort.descending ? -1 : 1;
  const byName = (a: T, b: T): number => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
  const column = sort.column;
  if (column === null) return [...rows].sort((a, b) => sign * byName(a, b));
  const rank = (row: T): number => {
    const entry = level(row, column);
    return entry === undefined ? -1 : LEVELS.indexOf(entry.level as (typeof LEVELS)[number]);
  };
  return [...rows].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra < 0 ? 1 : rb < 0 ? -1 : sign * (ra - rb);
    return byName(a, b);
  });
}

function SortHeader({
  column,
  sort,
  onSort,
  children,
}: {
  column: string | null;
  sort: AccessSort;
  onSort: (column: string | null) => void;
  children: ComponentChildren;
}) {
  const active = sort.column === column;
  return (
    <th aria-sort={active ? (sort.descending ? "descending" : "ascending") : undefined}>
      <button
        type="button"
        class="sp-x-sort"
        data-testid="access-sort"
        onClick={() => onSort(column)}
      >
        {children}
        {active && <span aria-hidden="true">{sort.descending ? " ▾" : " ▴"}</span>}
      </button>
    </th>
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
  const sort = filters.sort ?? { column: null, descending: false };
  const onSort = (column: string | null): void =>
    setFilters({
      ...filters,
      // A level column starts with the most access first; the name column A to Z.
      sort: {
        column,
        descending: sort.column === column ? !sort.descending : column !== null,
      },
    });
  const cellOf = (principalKey: string, endpoint: string) =>
    g.cells.get(cellKey(principalKey, endpoint));
  const principals = byEndpoint
    ? g.principals.slice(0, columnCount)
    : sortAccessRows(
        g.principals,
        sort,
        (p) => p.principal,
        (p, name) => cellOf(p.key, name),
      ).slice(0, rowCount);
  const endpoints = byEndpoint
    ? sortAccessRows(
        g.endpoints,
        sort,
        (name) => name,
        (name, key) => cellOf(key, name),
      ).slice(0, rowCount)
    : g.endpoints.slice(0, columnCount);
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
              setFilters({
                ...filters,
                byEndpoint: (e.currentTarget as HTMLInputElement).checked,
                sort: { column: null, descending: false },
              })
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
              <SortHeader column={null} sort={sort} onSort={onSort}>
                {byEndpoint ? "Endpoint" : "Principal"}
              </SortHeader>
              {byEndpoint
                ? principals.map((p) => (
                    <SortHeader key={p.key} column={p.key} sort={sort} onSort={onSort}>
                      <PrincipalName p={p} />
                    </SortHeader>
                  ))
                : endpoints.map((name) => (
                    <SortHeader key={name} column={name} sort={sort} onSort={onSort}>
                      <Visible text={name} />
                    </SortHeader>
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
