/**
 * The Endpoints table, virtualized as the logs list is (logs/layout.ts): a scroller whose sizer
 * is as tall as every row would be, holding only the rows in view plus OVERSCAN on each side.
 * Every server string (names, tags, creators, entity names) is a text node, never HTML.
 *
 * Keys (on the list): ↑/↓ move the focused row, PgUp/PgDn by a page, Home/End to the ends,
 * Space toggles its selection, Enter opens it. A click opens a row; ctrl/⌘-click toggles its
 * selection and shift-click selects the range from the last row clicked, as file lists do.
 */
import type { Ref } from "preact";
import { OVERSCAN, visibleRange } from "../logs/layout";
import { stateTone } from "../model";
import { relativeTime } from "../ui/format";
import { Visible } from "../ui/visible";
import type { Sort, SortKey } from "./filter";
import { entitiesLabel, type Row, tagLabel } from "./model";

/** Pixels per row; the same as `--sp-x-row` in explorer.css. */
export const ROW_HEIGHT = 30;
/** The viewport's height when the DOM cannot tell (hidden, or no layout engine). */
export const LIST_HEIGHT = 420;

export const COLUMNS: Array<{ key: SortKey | null; label: string }> = [
  { key: null, label: "" },
  { key: "name", label: "Name" },
  { key: "state", label: "State" },
  { key: "entities", label: "Served entities" },
  { key: null, label: "Traffic" },
  { key: "pending", label: "Pending" },
  { key: "creator", label: "Creator" },
  { key: "updated", label: "Updated" },
  { key: "level", label: "You" },
  { key: "tags", label: "Tags" },
];

const LEVELS: Record<string, string> = {
  CAN_VIEW: "VIEW",
  CAN_QUERY: "QUERY",
  CAN_MANAGE: "MANAGE",
};

export type RowClick = { name: string; shift: boolean; toggle: boolean };

export interface EndpointListProps {
  rows: readonly Row[];
  sort: Sort;
  selected: ReadonlySet<string>;
  focus: string | null;
  scrollTop: number;
  viewport: number;
  now: number;
  idPrefix: string;
  scrollerRef: Ref<HTMLDivElement>;
  onSort: (key: SortKey) => void;
  onScroll: (scrollTop: number) => void;
  onClick: (click: RowClick) => void;
  onToggle: (name: string) => void;
  onKey: (event: KeyboardEvent) => void;
}

function rowId(prefix: string, position: number): string {
  return `${prefix}-row-${position}`;
}

function TrafficBar({ row }: { row: Row }) {
  if (row.traffic === null) {
    return <span class="sp-muted">{row.detail_error ? "?" : "…"}</span>;
  }
  if (row.traffic.length === 0) return <span class="sp-muted">—</span>;
  const title = row.traffic.map((r) => `${r.entity} ${r.percentage}%`).join(", ");
  return (
    <span class="sp-x-traffic" title={title} data-testid="explorer-traffic">
      {row.traffic.map((route, index) => (
        <span
          key={route.entity}
          class={`sp-x-traffic-seg sp-seg-${index % 6}`}
          style={{ width: `${route.percentage}%` }}
        />
      ))}
    </span>
  );
}

function Pending({ row }: { row: Row }) {
  if (row.pending_version !== null) return <>v{row.pending_version}</>;
  if (row.updating) return <span class="sp-muted">updating…</span>;
  return <span class="sp-muted">—</span>;
}

export function EndpointList(props: EndpointListProps) {
  const { rows, sort, selected, focus, viewport, now, idPrefix } = props;
  const total = rows.length * ROW_HEIGHT;
  const top = Math.min(props.scrollTop, Math.max(0, total - viewport));
  const layout = {
    count: rows.length,
    total,
    top: (position: number) => position * ROW_HEIGHT,
    height: () => ROW_HEIGHT,
    indexAt: (y: number) => Math.max(0, Math.min(rows.length - 1, Math.floor(y / ROW_HEIGHT))),
  };
  const { start, end } = visibleRange(layout, top, viewport, OVERSCAN);
  const focusPosition = focus === null ? -1 : rows.findIndex((row) => row.name === focus);
  const shown = [];
  for (let position = start; position < end; position++) {
    const row = rows[position] as Row;
    const isSelected = selected.has(row.name);
    const classes = ["sp-x-row"];
    if (position === focusPosition) classes.push("sp-x-focus");
    if (isSelected) classes.push("sp-x-selected");
    const tone = stateTone(row.state);
    shown.push(
      // biome-ignore lint/a11y/useKeyWithClickEvents: the listbox takes the keys (aria-activedescendant).
      <div
        key={row.name}
        id={rowId(idPrefix, position)}
        class={classes.join(" ")}
        role="option"
        tabIndex={-1}
        aria-posinset={position + 1}
        aria-setsize={rows.length}
        aria-selected={isSelected ? "true" : "false"}
        data-testid="explorer-row"
        data-name={row.name}
        onClick={(event) =>
          props.onClick({
            name: row.name,
            shift: event.shiftKey,
            toggle: event.ctrlKey || event.metaKey,
          })
        }
      >
        <span class="sp-x-cell sp-x-check">
          <input
            type="checkbox"
            tabIndex={-1}
            checked={isSelected}
            aria-label={`Select ${row.name}`}
            onClick={(event) => {
              event.stopPropagation();
              props.onToggle(row.name);
            }}
          />
        </span>
        <span class="sp-x-cell sp-x-name" title={row.name}>
          <Visible text={row.name} />
        </span>
        <span class="sp-x-cell">
          <span
            class={`sp-badge sp-tone-${tone}`}
            data-testid="explorer-state"
            title={row.state ?? "Unknown"}
          >
            <span class="sp-dot" aria-hidden="true" />
            {row.state ?? "Unknown"}
          </span>
        </span>
        <span class="sp-x-cell" title={entitiesLabel(row)}>
          {entitiesLabel(row) || <span class="sp-muted">—</span>}
        </span>
        <span class="sp-x-cell">
          <TrafficBar row={row} />
        </span>
        <span class="sp-x-cell">
          <Pending row={row} />
        </span>
        <span class="sp-x-cell" title={row.creator ?? ""}>
          {row.creator ?? ""}
        </span>
        <span class="sp-x-cell">{row.updated === null ? "" : relativeTime(row.updated, now)}</span>
        <span class="sp-x-cell" title={row.detail_error?.message ?? row.permission_level ?? ""}>
          {row.detail_error ? (
            <span class="sp-error">!</span>
          ) : row.permission_level === null ? (
            <span class="sp-muted">…</span>
          ) : (
            (LEVELS[row.permission_level] ?? row.permission_level)
          )}
        </span>
        <span class="sp-x-cell sp-x-tags">
          {row.tags.map((tag) => (
            <span key={tag.key} class="sp-tag" data-testid="explorer-tag">
              <Visible text={tagLabel(tag)} />
            </span>
          ))}
        </span>
      </div>,
    );
  }
  return (
    <div class="sp-x-grid" data-testid="explorer-grid">
      <div class="sp-x-row sp-x-head">
        {COLUMNS.map((column, index) => (
          <span
            key={column.label || index}
            class="sp-x-cell"
            data-sort={
              column.key !== null && column.key === sort.key
                ? sort.descending
                  ? "descending"
                  : "ascending"
                : undefined
            }
          >
            {column.key === null ? (
              column.label
            ) : (
              <button
                type="button"
                class="sp-x-sort"
                data-testid={`explorer-sort-${column.key}`}
                onClick={() => props.onSort(column.key as SortKey)}
              >
                {column.label}
                {column.key === sort.key ? (sort.descending ? " ▾" : " ▴") : ""}
              </button>
            )}
          </span>
        ))}
      </div>
      <div
        class="sp-x-scroller"
        ref={props.scrollerRef}
        role="listbox"
        aria-label="Serving endpoints"
        aria-multiselectable="true"
        aria-activedescendant={focusPosition >= 0 ? rowId(idPrefix, focusPosition) : undefined}
        tabIndex={0}
        data-testid="explorer-list"
        onKeyDown={props.onKey}
        onScroll={(event) => props.onScroll((event.currentTarget as HTMLDivElement).scrollTop)}
      >
        <div class="sp-x-sizer" style={{ height: `${total}px` }}>
          <div class="sp-x-window" style={{ transform: `translateY(${start * ROW_HEIGHT}px)` }}>
            {shown}
          </div>
        </div>
      </div>
    </div>
  );
}
