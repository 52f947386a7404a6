/**
 * Search, filters, sort and counts of the Endpoints view: pure functions over rows, so 5,000
 * rows re-filter on each keystroke without touching the DOM (only the visible window renders).
 * Each row's search text (name, tags, creator, entity names) is built once per row object.
 */
import { UI_STATES } from "../model";
import { entitiesLabel, type Row, tagLabel } from "./model";

export type SortKey =
  | "name"
  | "state"
  | "entities"
  | "pending"
  | "creator"
  | "updated"
  | "level"
  | "tags";

export type Sort = { key: SortKey; descending: boolean };

export type Filters = {
  query: string;
  /** A UI state label, or "" for every state. */
  state: string;
  /** Only endpoints whose creator is `me`. */
  mine: boolean;
  /** Only endpoints the caller holds CAN_MANAGE on (rows whose level is not read yet wait). */
  manage: boolean;
  /** A tag as tagLabel gives it, or "" for any. */
  tag: string;
};

export const NO_FILTERS: Filters = { query: "", state: "", mine: false, manage: false, tag: "" };

const haystacks = new WeakMap<Row, string>();

/** The lower-cased text a search looks in: name, tags, creator, entity names. */
export function searchText(row: Row): string {
  let text = haystacks.get(row);
  if (text === undefined) {
    text = [
      row.name,
      row.creator ?? "",
      ...row.tags.map(tagLabel),
      ...row.entities.flatMap((e) => [e.name, e.entity]),
    ]
      .join("\n")
      .toLowerCase();
    haystacks.set(row, text);
  }
  return text;
}

/** The rows `filters` keep, in their order. Search words must all match (AND). */
export function filterRows(rows: readonly Row[], filters: Filters, me: string | null): Row[] {
  const words = filters.query.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((row) => {
    if (filters.state !== "" && row.state !== filters.state) return false;
    if (filters.mine && (me === null || row.creator !== me)) return false;
    if (filters.manage && row.permission_level !== "CAN_MANAGE") return false;
    if (filters.tag !== "" && !row.tags.some((tag) => tagLabel(tag) === filters.tag)) {
      return false;
    }
    if (words.length === 0) return true;
    const text = searchText(row);
    return words.every((word) => text.includes(word));
  });
}

const LEVEL_RANK: Record<string, number> = { CAN_VIEW: 1, CAN_QUERY: 2, CAN_MANAGE: 3 };

function sortValue(row: Row, key: SortKey): string | number | null {
  switch (key) {
    case "name":
      return row.name.toLowerCase();
    case "state":
      return row.state;
    case "entities":
      return entitiesLabel(row).toLowerCase() || null;
    case "pending":
      return row.pending_version ?? (row.updating ? 0 : null);
    case "creator":
      return row.creator?.toLowerCase() ?? null;
    case "updated":
      return row.updated;
    case "level":
      return row.permission_level === null ? null : (LEVEL_RANK[row.permission_level] ?? 0);
    case "tags":
      return row.tags.map(tagLabel).join(",").toLowerCase() || null;
  }
}

/** The rows sorted by `sort` (a stable sort; empty values last either way, then by name). */
export function sortRows(rows: readonly Row[], sort: Sort): Row[] {
  const sign = sort.descending ? -1 : 1;
  const keyed = rows.map((row) => ({ row, value: sortValue(row, sort.key) }));
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value !== b.value) return a.value === null ? 1 : -1;
    } else if (a.value !== b.value) {
      return (a.value < b.value ? -1 : 1) * sign;
    }
    return a.row.name < b.row.name ? -1 : a.row.name > b.row.name ? 1 : 0;
  });
  return keyed.map((item) => item.row);
}

/** How many rows are in each UI state (the counts above the table), states with none left out. */
export function countByState(rows: readonly Row[]): Array<{ state: string; count: number }> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const state = row.state ?? "Unknown";
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const order = (state: string): number => {
    const index = (UI_STATES as readonly string[]).indexOf(state);
    return index < 0 ? UI_STATES.length : index;
  };
  return [...counts]
    .map(([state, count]) => ({ state, count }))
    .sort((a, b) => order(a.state) - order(b.state));
}

/** Every tag the rows carry, as filters name them, sorted. */
export function tagOptions(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const tag of row.tags) seen.add(tagLabel(tag));
  return [...seen].sort();
}
