/**
 * The config editor's replies (serving_panel/panel/config_editor.py), read without trusting
 * their shape (bridge/wire.ts). Every string in them is server text: render it as text.
 */
import { fields, isObject, list, num, str, strings, strOrNull } from "../bridge/wire";
import type { RouteView } from "../model";
import type { Problem } from "./draft";

export type Snippets = { curl: string; sdk: string; cli: string };

export type Preview = {
  /** Null when refused: nothing can be applied. */
  previewId: string | null;
  kind: "edit" | "rollback";
  baseVersion: number | null;
  /** The exact PUT body. */
  body: unknown;
  changes: string[];
  snippets: Snippets | null;
  refusals: Problem[];
  /** Why an Apply would be refused now, if it would. */
  blocked: string | null;
};

export type Target = {
  version: number;
  current: boolean;
  entities: Array<{ name: string; entity: string; version: string | null }>;
  routes: RouteView[];
};

export type History = { current: number | null; configUpdate: string | null; targets: Target[] };

export type Applied = { configVersion: number | null; state: string };

export function normalizePreview(raw: unknown): Preview {
  const r = fields(raw);
  const s = isObject(r.snippets) ? r.snippets : null;
  return {
    previewId: typeof r.preview_id === "string" ? r.preview_id : null,
    kind: r.kind === "rollback" ? "rollback" : "edit",
    baseVersion: num(r.base_version),
    body: r.body ?? null,
    changes: strings(r.changes),
    snippets: s === null ? null : { curl: str(s.curl), sdk: str(s.sdk), cli: str(s.cli) },
    refusals: list(r.refusals).map((p) => ({
      field: str(fields(p).field),
      rule: str(fields(p).rule),
    })),
    blocked: strOrNull(r.blocked),
  };
}

export function normalizeHistory(raw: unknown): History {
  const r = fields(raw);
  const targets: Target[] = [];
  for (const item of list(r.targets)) {
    const t = fields(item);
    const version = num(t.version);
    if (version === null) continue;
    targets.push({
      version,
      current: t.current === true,
      entities: list(t.entities).map((e) => ({
        name: str(fields(e).name),
        entity: str(fields(e).entity),
        version: strOrNull(fields(e).version),
      })),
      routes: list(t.routes).map((x) => ({
        entity: str(fields(x).entity),
        percentage: num(fields(x).percentage) ?? 0,
      })),
    });
  }
  return { current: num(r.current), configUpdate: strOrNull(r.config_update), targets };
}

export function normalizeApplied(raw: unknown): Applied {
  const r = fields(raw);
  return { configVersion: num(r.config_version), state: str(r.state) };
}

/** `config.versions`: a Unity Catalog model's versions, newest first. */
export type ModelVersions = {
  name: string;
  versions: Array<{ version: string; status: string | null; created: number | null }>;
  /** Every version the model has; `versions` may hold only the newest of them. */
  total: number;
};

export function normalizeVersions(raw: unknown): ModelVersions {
  const r = fields(raw);
  const versions: ModelVersions["versions"] = [];
  for (const item of list(r.versions)) {
    const v = fields(item);
    const version = strOrNull(v.version);
    if (version === null || version === "") continue;
    versions.push({ version, status: strOrNull(v.status), created: num(v.created) });
  }
  return { name: str(r.name), versions, total: num(r.total) ?? versions.length };
}
