/**
 * The wire shapes of the log viewer's requests (serving_panel/panel_logs.py is the other end)
 * and the level ranks the filter compares.
 */

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
