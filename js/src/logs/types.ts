/**
 * The wire shapes of the log viewer's requests (serving_panel/panel/logs.py is the other end),
 * their normalizers (normalizePage, normalizeFollow: a raw reply in, a typed value out) and the
 * level ranks the filter compares.
 */
import { fields, list, num } from "../bridge/wire";

export type LogKind = "build" | "server";

/** `[line_no, ts_ms | null, level | null, message, continuation]`, as `logs.page` sends it. */
export type WireLine = [number, number | null, string | null, string, boolean];

export interface PageResult {
  lines: WireLine[];
  total: number;
  offset: number;
  source_revision: number;
}

export type FollowResult =
  | { reset: true; total: number; source_revision: number }
  | {
      reset: false;
      lines: WireLine[];
      total: number;
      offset: number;
      source_revision: number;
    };

/**
 * One wire line, as sent or repaired: a well-formed line is kept as it is (pages carry up to
 * 20,000 of them, so the check must stay cheap); anything else becomes a plain line.
 */
function wireLine(raw: unknown, fallbackNo: number): WireLine {
  if (Array.isArray(raw) && raw.length === 5) {
    const [no, ts, level, message, continuation] = raw as unknown[];
    if (
      typeof no === "number" &&
      (ts === null || typeof ts === "number") &&
      (level === null || typeof level === "string") &&
      typeof message === "string" &&
      typeof continuation === "boolean"
    ) {
      return raw as WireLine;
    }
  }
  const line = list(raw);
  return [
    num(line[0]) ?? fallbackNo,
    num(line[1]),
    typeof line[2] === "string" ? line[2] : null,
    typeof line[3] === "string" ? line[3] : typeof raw === "string" ? raw : "",
    line[4] === true,
  ];
}

function wireLines(raw: unknown, offset: number): WireLine[] {
  return list(raw).map((line, index) => wireLine(line, offset + index + 1));
}

/** The typed PageResult from `logs.page`'s raw result. */
export function normalizePage(raw: unknown): PageResult {
  const page = fields(raw);
  const offset = num(page.offset) ?? 0;
  const lines = wireLines(page.lines, offset);
  return {
    lines,
    total: num(page.total) ?? offset + lines.length,
    offset,
    source_revision: num(page.source_revision) ?? 0,
  };
}

/** The typed FollowResult from `logs.follow`'s raw result (a reset unless it says otherwise). */
export function normalizeFollow(raw: unknown): FollowResult {
  const follow = fields(raw);
  const total = num(follow.total) ?? 0;
  const source_revision = num(follow.source_revision) ?? 0;
  if (follow.reset !== false) return { reset: true, total, source_revision };
  const offset = num(follow.offset) ?? 0;
  return { reset: false, lines: wireLines(follow.lines, offset), total, offset, source_revision };
}

/** Which log: one served entity's build or server log in one config version. */
export interface LogTarget {
  entity: string;
  kind: LogKind;
  /** null: the service picks the current config. */
  version: number | null;
}

/** 0 is "no level"; the rest follow serving_panel.logs.LEVELS. */
const RANKS: Readonly<Record<string, number>> = {
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARNING: 4,
  ERROR: 5,
  CRITICAL: 6,
};

export const NO_LEVEL = 0;
export const INFO = 3;
export const WARNING = 4;
export const ERROR = 5;

export function levelRank(level: string | null): number {
  return level === null ? NO_LEVEL : (RANKS[level] ?? NO_LEVEL);
}

/** The CSS class of a line's level colour ("" for none). */
export function levelClass(rank: number): string {
  if (rank >= ERROR) return "sp-log-error";
  if (rank === WARNING) return "sp-log-warning";
  if (rank === 1 || rank === 2) return "sp-log-debug";
  return "";
}
