/**
 * Pure functions over a LogBuffer's columns: the level filter, the search and the highlight.
 *
 * A *view* maps positions in the list the user sees to line indices in the buffer: null means
 * every line (position = index), so "All levels" costs nothing. Search results are positions in
 * the view, ascending, one per matching line.
 */
import { NO_LEVEL } from "./types";

export type LineView = Int32Array | null;

/** The level filter's choices: a minimum rank (0 shows everything). */
export const LEVEL_FILTERS: ReadonlyArray<{ rank: number; label: string }> = [
  { rank: NO_LEVEL, label: "All levels" },
  { rank: 3, label: "≥ INFO" },
  { rank: 4, label: "≥ WARNING" },
  { rank: 5, label: "≥ ERROR" },
];

/**
 * The lines whose level rank is at least `min`. Lines with no level show only under "All";
 * continuation lines carry their record's level (Python sets it), so a traceback stays whole.
 */
export function levelView(rank: Uint8Array, count: number, min: number): LineView {
  if (min <= NO_LEVEL) return null;
  let kept = 0;
  for (let i = 0; i < count; i++) if ((rank[i] as number) >= min) kept++;
  const view = new Int32Array(kept);
  let next = 0;
  for (let i = 0; i < count; i++) if ((rank[i] as number) >= min) view[next++] = i;
  return view;
}

export function viewLength(view: LineView, count: number): number {
  return view === null ? count : view.length;
}

/** The buffer index of the line at `position` in the view. */
export function lineAt(view: LineView, position: number): number {
  return view === null ? position : (view[position] as number);
}

/** Positions (in the view) of the lines containing `query`, ignoring case. */
export function findMatches(
  lower: readonly string[],
  view: LineView,
  count: number,
  query: string,
): Int32Array {
  const needle = query.toLowerCase();
  if (needle === "") return new Int32Array(0);
  const length = viewLength(view, count);
  const found: number[] = [];
  if (view === null) {
    for (let position = 0; position < length; position++) {
      if ((lower[position] as string).includes(needle)) found.push(position);
    }
  } else {
    for (let position = 0; position < length; position++) {
      if ((lower[view[position] as number] as string).includes(needle)) found.push(position);
    }
  }
  return Int32Array.from(found);
}

/** The index in `matches` of the first match at or after `position` (wrapping to 0). */
export function matchFrom(matches: Int32Array, position: number): number {
  let low = 0;
  let high = matches.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((matches[middle] as number) < position) low = middle + 1;
    else high = middle;
  }
  return low < matches.length ? low : 0;
}

/** One step through the matches, wrapping at both ends. */
export function stepMatch(current: number, total: number, delta: 1 | -1): number {
  if (total === 0) return -1;
  if (current < 0) return delta > 0 ? 0 : total - 1;
  return (((current + delta) % total) + total) % total;
}

/**
 * Where `query` occurs in a line (every occurrence, ignoring case), as `[start, end)` pairs
 * into its text; the whole line when lower-casing changed its length (e.g. "İ"), since the
 * offsets would not line up.
 */
export function matchRanges(text: string, lower: string, query: string): Array<[number, number]> {
  const needle = query.toLowerCase();
  if (needle === "" || !lower.includes(needle)) return [];
  if (lower.length !== text.length) return [[0, text.length]];
  const ranges: Array<[number, number]> = [];
  let at = lower.indexOf(needle);
  while (at >= 0) {
    ranges.push([at, at + needle.length]);
    at = lower.indexOf(needle, at + needle.length);
  }
  return ranges;
}
