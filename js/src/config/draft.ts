/**
 * The config editor's draft: the current config's served entities as editable rows, the live
 * checks (each naming its field and rule in Python's words, serving_panel/_wire.py), the quick
 * actions, and the edit sent to `config.preview` (serving_panel/panel/config_editor.py).
 * Pure: no DOM, no rpc.
 */
import type { ConfigView } from "../model";

export const WORKLOAD_SIZES = ["Small", "Medium", "Large"];

export type Row = {
  /** The served entity's name: a route's target. */
  name: string;
  /** Registered model name (or provider/name of an external model). */
  entity: string;
  version: string;
  workloadSize: string | null;
  scaleToZero: boolean;
  /** The percentage as typed. */
  traffic: string;
  external: boolean;
  added: boolean;
  removed: boolean;
};

export type Draft = { base: ConfigView; rows: Row[] };

export type Problem = { field: string; rule: string };

/** The entity changes and additions of an edit, and the traffic when it moves. */
export type Edit = {
  traffic?: Record<string, number>;
  entities?: Record<
    string,
    { entity_version?: string; workload_size?: string; scale_to_zero_enabled?: boolean }
  >;
  add?: Array<{
    entity_name: string;
    entity_version: string;
    name: string;
    workload_size: string;
    scale_to_zero_enabled: boolean;
  }>;
  remove?: string[];
};

function share(config: ConfigView, name: string): number {
  return config.routes.find((r) => r.entity === name)?.percentage ?? 0;
}

export function draftFrom(config: ConfigView): Draft {
  return {
    base: config,
    rows: config.entities.map((e) => ({
      name: e.name,
      entity: e.entity,
      version: e.version ?? "",
      workloadSize: e.workload_size,
      scaleToZero: e.scale_to_zero === true,
      traffic: String(share(config, e.name)),
      external: e.external,
      added: false,
      removed: false,
    })),
  };
}

export const live = (draft: Draft): Row[] => draft.rows.filter((r) => !r.removed);

/** A typed percentage as a number, or null when it is not an integer from 0 to 100. */
export function percentage(text: string): number | null {
  const trimmed = text.trim();
  return /^\d{1,3}$/.test(trimmed) && Number(trimmed) <= 100 ? Number(trimmed) : null;
}

function percentageRule(text: string): string | null {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return `must be an integer, got ${JSON.stringify(text)}`;
  return percentage(trimmed) === null ? `must be between 0 and 100, got ${trimmed}` : null;
}

export function versionRule(text: string): string | null {
  return /^[1-9]\d{0,8}$/.test(text.trim())
    ? null
    : `must be a model version number (1, 2, ...), got ${JSON.stringify(text)}`;
}

export function modelRule(text: string): string | null {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/.test(text.trim())
    ? null
    : "must be a registered model's name (letters, digits, _ - and the dots of catalog.schema.model)";
}

export function nameRule(name: string, taken: string[]): string | null {
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
    return `served entity name ${JSON.stringify(name)} may only contain letters, digits, dashes and underscores (at most 63)`;
  }
  return taken.includes(name) ? `${JSON.stringify(name)} is already a served entity` : null;
}

/** The sum of the live rows' percentages, or null while one is not a valid percentage. */
export function total(draft: Draft): number | null {
  let sum = 0;
  for (const row of live(draft)) {
    const value = percentage(row.traffic);
    if (value === null) return null;
    sum += value;
  }
  return sum;
}

/** Every problem of the draft, as Python would name it. */
export function problems(draft: Draft): Problem[] {
  const found: Problem[] = [];
  const rows = live(draft);
  if (rows.length === 0) {
    found.push({ field: "remove", rule: "an endpoint serves at least one entity: keep one" });
  }
  for (const row of rows) {
    const rule = percentageRule(row.traffic);
    if (rule !== null) found.push({ field: `traffic['${row.name}']`, rule });
    if (!row.external && !row.added) {
      const version = versionRule(row.version);
      if (version !== null)
        found.push({ field: `entities['${row.name}'].entity_version`, rule: version });
    }
  }
  const sum = total(draft);
  if (sum !== null && sum !== 100 && rows.length > 0) {
    found.push({ field: "traffic", rule: `traffic percentages must add up to 100, got ${sum}` });
  }
  return found;
}

/** The edit for `config.preview`: only what differs from the draft's base config. */
export function toEdit(draft: Draft): Edit {
  const { base } = draft;
  const edit: Edit = {};
  const rows = live(draft);
  const removed = draft.rows.filter((r) => r.removed && !r.added).map((r) => r.name);
  const added = rows.filter((r) => r.added);
  const moved = rows.some((r) => percentage(r.traffic) !== share(base, r.name));
  if (moved || removed.length > 0 || added.length > 0) {
    edit.traffic = Object.fromEntries(rows.map((r) => [r.name, percentage(r.traffic) ?? 0]));
  }
  for (const row of rows) {
    const was = base.entities.find((e) => e.name === row.name);
    if (row.added || was === undefined || row.external) continue;
    const change: NonNullable<Edit["entities"]>[string] = {};
    if (row.version.trim() !== (was.version ?? "")) change.entity_version = row.version.trim();
    if (row.workloadSize !== was.workload_size && row.workloadSize !== null) {
      change.workload_size = row.workloadSize;
    }
    if (row.scaleToZero !== (was.scale_to_zero === true)) {
      change.scale_to_zero_enabled = row.scaleToZero;
    }
    if (Object.keys(change).length > 0) edit.entities = { ...edit.entities, [row.name]: change };
  }
  if (added.length > 0) {
    edit.add = added.map((r) => ({
      entity_name: r.entity,
      entity_version: r.version,
      name: r.name,
      workload_size: r.workloadSize ?? "Small",
      scale_to_zero_enabled: r.scaleToZero,
    }));
  }
  if (removed.length > 0) edit.remove = removed;
  return edit;
}

export const changed = (draft: Draft): boolean => Object.keys(toEdit(draft)).length > 0;

function withTraffic(draft: Draft, shares: Map<string, number>): Draft {
  return {
    ...draft,
    rows: draft.rows.map((r) =>
      shares.has(r.name) ? { ...r, traffic: String(shares.get(r.name)) } : r,
    ),
  };
}

/**
 * "Shift N% to <target>": N points taken from the other entities in proportion to their
 * shares (largest remainders get the odd points), at most what they have. A Problem when the
 * split does not add up to 100 now or N is not a whole percentage.
 */
export function shift(draft: Draft, target: string, points: number): Draft | Problem {
  const sum = total(draft);
  if (sum !== 100) {
    return {
      field: "traffic",
      rule: "fix the percentages (they must add up to 100) before shifting",
    };
  }
  if (!Number.isInteger(points) || points < 1 || points > 100) {
    return { field: "shift", rule: `must be a whole percentage from 1 to 100, got ${points}` };
  }
  const rows = live(draft);
  const others = rows.filter((r) => r.name !== target);
  const pool = others.reduce((s, r) => s + (percentage(r.traffic) ?? 0), 0);
  const taken = Math.min(points, pool);
  if (taken === 0) return { field: "shift", rule: `${target} already has all the traffic` };
  const shares = new Map<string, number>();
  const cuts = others.map((r) => {
    const has = percentage(r.traffic) ?? 0;
    const exact = (has / pool) * taken;
    return { name: r.name, has, cut: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = taken - cuts.reduce((s, c) => s + c.cut, 0);
  for (const c of [...cuts].sort((a, b) => b.rest - a.rest)) {
    if (left === 0) break;
    if (c.cut < c.has) {
      c.cut += 1;
      left -= 1;
    }
  }
  for (const c of cuts) shares.set(c.name, c.has - c.cut);
  shares.set(
    target,
    (percentage(rows.find((r) => r.name === target)?.traffic ?? "0") ?? 0) + taken,
  );
  return withTraffic(draft, shares);
}

/** "Promote <target> to 100%": every other entity to 0%. */
export function promote(draft: Draft, target: string): Draft {
  return withTraffic(draft, new Map(live(draft).map((r) => [r.name, r.name === target ? 100 : 0])));
}

/** Adds a served entity (0% traffic until given some), or says which field is wrong. */
export function addRow(
  draft: Draft,
  model: string,
  version: string,
  name: string,
  workloadSize = "Small",
): Draft | Problem {
  const modelProblem = modelRule(model);
  if (modelProblem !== null) return { field: "add.entity_name", rule: modelProblem };
  const versionProblem = versionRule(version);
  if (versionProblem !== null) return { field: "add.entity_version", rule: versionProblem };
  const servedName = name.trim() || `${model.trim().split(".").pop()}-${version.trim()}`;
  const nameProblem = nameRule(
    servedName,
    draft.rows.map((r) => r.name),
  );
  if (nameProblem !== null) return { field: "add.name", rule: nameProblem };
  const row: Row = {
    name: servedName,
    entity: model.trim(),
    version: version.trim(),
    workloadSize,
    scaleToZero: false,
    traffic: "0",
    external: false,
    added: true,
    removed: false,
  };
  return { ...draft, rows: [...draft.rows, row] };
}

export function isProblem(value: Draft | Problem): value is Problem {
  return "rule" in value;
}

/** Changes one row (by name); an added row that is removed goes away entirely. */
export function updateRow(draft: Draft, name: string, change: Partial<Row>): Draft {
  const rows = draft.rows
    .map((r) => (r.name === name ? { ...r, ...change } : r))
    .filter((r) => !(r.added && r.removed));
  return { ...draft, rows };
}
