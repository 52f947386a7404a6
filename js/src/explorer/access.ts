/**
 * The Access view's data, as serving_panel/panel/access.py sends it (`explorer.access`), read
 * without trusting its shape, and its loader: the endpoints' ACLs in batches, with progress.
 * Every string is server text: render it as text.
 */
import type { Rpc } from "../bridge/rpc";
import { isObject, list, str, strOrNull } from "../bridge/wire";
import { type ErrorView, errorFromWire, toErrorView } from "../ui/errors";

export type AccessEntry = {
  kind: string;
  principal: string;
  display_name: string | null;
  level: string;
  direct_level: string | null;
  /** Only through inheritance (a revoke cannot lower it). */
  inherited: boolean;
  source: string;
};

export type Access = {
  endpoint: string;
  readable: boolean;
  error: ErrorView | null;
  entries: AccessEntry[];
};

export function normalizeAccess(raw: unknown): Access[] {
  return list(isObject(raw) ? raw.endpoints : [])
    .filter(isObject)
    .map((a) => ({
      endpoint: str(a.endpoint),
      readable: a.readable === true,
      error: a.error == null ? null : errorFromWire(a.error),
      entries: list(a.entries)
        .filter(isObject)
        .map((e) => ({
          ...(strings(e, ["kind", "principal", "level", "source"]) as Pick<
            AccessEntry,
            "kind" | "principal" | "level" | "source"
          >),
          display_name: strOrNull(e.display_name),
          direct_level: strOrNull(e.direct_level),
          inherited: e.inherited === true,
        })),
    }));
}

/** `keys` of `raw`, each as a string ("" when missing). */
export function strings(raw: Record<string, unknown>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, str(raw[key])]));
}

/** Principals (rows) by endpoints (columns), narrowed to those whose names hold `who` and
 * `endpoint` (case-insensitive) and to cells at `atLeast` or above ("" for any level). */
export type Grid = {
  principals: Array<{ key: string; kind: string; principal: string }>;
  endpoints: string[];
  cells: Map<string, AccessEntry>;
  unreadable: Access[];
};

export const cellKey = (principal: string, endpoint: string): string =>
  `${principal}\u0000${endpoint}`;

/** Levels in order, for "at least" (an unknown level ranks below them all). */
export const LEVELS = ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"] as const;
const rank = (level: string): number => LEVELS.indexOf(level as (typeof LEVELS)[number]);

export function grid(accesses: Access[], who: string, endpoint: string, atLeast = ""): Grid {
  const needle = who.trim().toLowerCase();
  const floor = atLeast === "" ? -1 : rank(atLeast);
  const where = endpoint.trim().toLowerCase();
  const shown = (a: Access) => a.endpoint.toLowerCase().includes(where);
  const principals = new Map<string, { key: string; kind: string; principal: string }>();
  const cells = new Map<string, AccessEntry>();
  const endpoints: string[] = [];
  for (const access of accesses) {
    if (!access.readable || !shown(access)) continue;
    let any = false;
    for (const e of access.entries) {
      const text = `${e.principal} ${e.display_name ?? ""}`.toLowerCase();
      if (needle !== "" && !text.includes(needle)) continue;
      if (floor >= 0 && rank(e.level) < floor) continue;
      const key = `${e.kind}:${e.principal}`;
      if (!principals.has(key)) principals.set(key, { key, kind: e.kind, principal: e.principal });
      cells.set(cellKey(key, access.endpoint), e);
      any = true;
    }
    if (any || (needle === "" && floor < 0)) endpoints.push(access.endpoint);
  }
  const sorted = [...principals.values()].sort((a, b) => (a.principal < b.principal ? -1 : 1));
  return {
    principals: sorted,
    endpoints,
    cells,
    unreadable: accesses.filter((a) => !a.readable && shown(a)),
  };
}

/** A multiple of the client's default pool (16 workers): each batch takes whole rounds. */
export const ACCESS_BATCH = 48;

export type AccessState = {
  loading: boolean;
  done: number;
  total: number;
  accesses: Access[];
  error: ErrorView | null;
};

/** Reads the ACLs of `names` in batches of ACCESS_BATCH, telling `onChange` after each. */
export class AccessLoader {
  state: AccessState = { loading: false, done: 0, total: 0, accesses: [], error: null };
  private run = 0;

  constructor(
    private readonly rpc: Rpc,
    private readonly onChange: (state: AccessState) => void,
  ) {}

  async load(names: string[]): Promise<void> {
    const run = ++this.run;
    this.set({ loading: true, done: 0, total: names.length, accesses: [], error: null });
    for (let at = 0; at < names.length; at += ACCESS_BATCH) {
      try {
        const batch = names.slice(at, at + ACCESS_BATCH);
        const got = normalizeAccess(await this.rpc.request("explorer.access", { names: batch }));
        if (run !== this.run) return;
        this.set({
          ...this.state,
          done: Math.min(names.length, at + batch.length),
          accesses: [...this.state.accesses, ...got],
        });
      } catch (reason) {
        if (run === this.run)
          this.set({ ...this.state, loading: false, error: toErrorView(reason) });
        return;
      }
    }
    if (run === this.run) this.set({ ...this.state, loading: false });
  }

  close(): void {
    this.run += 1;
  }

  private set(state: AccessState): void {
    this.state = state;
    this.onChange(state);
  }
}
