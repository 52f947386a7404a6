/**
 * The Endpoints view's rows, as serving_panel/panel/listing.py sends them (`explorer.list`,
 * `explorer.details`), read without trusting their shape. Rows travel as replies, never as
 * synced state. Every string is server text: render it as text, never as HTML.
 */
import { isObject, list, num, str, strOrNull } from "../bridge/wire";
import type { Tag } from "../model";
import { type ErrorView, errorFromWire } from "../ui/errors";

export type RowEntity = {
  name: string;
  /** Registered model name, or `provider/name` for an external model. */
  entity: string;
  version: string | null;
  /** Deployment state; null until the row's details arrive. */
  state: string | null;
};

export type Row = {
  name: string;
  id: string;
  /** The UI's label (model.ts UI_STATES). */
  state: string | null;
  ready: string | null;
  config_update: string | null;
  updating: boolean;
  creator: string | null;
  created: number | null;
  updated: number | null;
  description: string;
  tags: Tag[];
  entities: RowEntity[];
  /** Routes of the current config; null until the details arrive. */
  traffic: Array<{ entity: string; percentage: number }> | null;
  pending_version: number | null;
  /** The caller's level; null until the details arrive. */
  permission_level: string | null;
  /** Whether a GET answered for this row (else it holds what the list gives). */
  detailed: boolean;
  /** Set when the GET for the details failed for good (not a 429: those are retried). */
  detail_error?: ErrorView;
};

export type ListReply = { rows: Row[]; me: string | null; fetched_at: number | null };

export type DetailsReply = {
  rows: Row[];
  missing: string[];
  errors: Array<{ name: string; error: ErrorView }>;
};

function time(value: unknown): number | null {
  const ms = num(value);
  return ms !== null && Math.abs(ms) <= 8.64e15 ? ms : null;
}

export function normalizeRow(raw: unknown): Row | null {
  if (!isObject(raw) || typeof raw.name !== "string" || raw.name === "") return null;
  const traffic = Array.isArray(raw.traffic)
    ? list(raw.traffic)
        .filter(isObject)
        .map((route) => ({ entity: str(route.entity), percentage: num(route.percentage) ?? 0 }))
    : null;
  return {
    name: raw.name,
    id: str(raw.id),
    state: strOrNull(raw.state),
    ready: strOrNull(raw.ready),
    config_update: strOrNull(raw.config_update),
    updating: raw.updating === true,
    creator: strOrNull(raw.creator),
    created: time(raw.created),
    updated: time(raw.updated),
    description: str(raw.description),
    tags: list(raw.tags)
      .filter(isObject)
      .map((tag) => ({ key: str(tag.key), value: strOrNull(tag.value) })),
    entities: list(raw.entities)
      .filter(isObject)
      .map((e) => ({
        name: str(e.name),
        entity: str(e.entity),
        version: strOrNull(e.version),
        state: strOrNull(e.state),
      })),
    traffic,
    pending_version: num(raw.pending_version),
    permission_level: strOrNull(raw.permission_level),
    detailed: raw.detailed === true,
  };
}

function rows(raw: unknown): Row[] {
  return list(raw)
    .map(normalizeRow)
    .filter((row): row is Row => row !== null);
}

export function normalizeListReply(raw: unknown): ListReply {
  const r = isObject(raw) ? raw : {};
  return { rows: rows(r.rows), me: strOrNull(r.me), fetched_at: time(r.fetched_at) };
}

export function normalizeDetailsReply(raw: unknown): DetailsReply {
  const r = isObject(raw) ? raw : {};
  return {
    rows: rows(r.rows),
    missing: list(r.missing).filter((name): name is string => typeof name === "string"),
    errors: list(r.errors)
      .filter(isObject)
      .filter((e) => typeof e.name === "string")
      .map((e) => ({ name: str(e.name), error: errorFromWire(e.error, "details failed") })),
  };
}

/** A tag as a filter names it: `key=value`, or `key` for a tag without a value. */
export function tagLabel(tag: Tag): string {
  return tag.value === null || tag.value === "" ? tag.key : `${tag.key}=${tag.value}`;
}

/** "ads1 v1, v2 · fraud v3": entity names with their versions, each name once. */
export function entitiesLabel(row: Row): string {
  const byName = new Map<string, string[]>();
  for (const e of row.entities) {
    const name = e.entity || e.name;
    const versions = byName.get(name) ?? [];
    if (e.version !== null && !versions.includes(e.version)) versions.push(e.version);
    byName.set(name, versions);
  }
  return [...byName]
    .map(([name, versions]) =>
      versions.length > 0 ? `${name} ${versions.map((v) => `v${v}`).join(", ")}` : name,
    )
    .join(" · ");
}
