/**
 * What `delete.summary` answers (serving_panel/panel/delete.py), read defensively: the view must
 * not throw on a partial answer, and every string in it came from the server (shown as text).
 */
import { isObject, str } from "../bridge/wire";
import { normalizeSnippets } from "../ui/copy-as";
import { type ErrorView, errorFromWire } from "../ui/errors";

export type QueryPrincipal = {
  kind: string;
  name: string;
  level: string;
  inherited: boolean;
};

export type DeleteSummary = {
  name: string;
  id: string;
  /** Served entity names: the current config's, then any only in the pending one. */
  entities: string[];
  routes: Array<{ entity: string; percentage: number }>;
  /** Principals with CAN_QUERY or CAN_MANAGE; null when the ACL could not be read. */
  who_can_query: QueryPrincipal[] | null;
  /** Whether the caller may delete (holds CAN_MANAGE). */
  can_manage: boolean;
  permission_level: string | null;
  /** Why the ACL could not be read (then who_can_query is null). */
  permissions_error: ErrorView | null;
  /** What "Save config and permissions as JSON" writes, exactly as Python sent it. */
  export: unknown;
  /** The delete's curl, databricks-sdk and CLI equivalents (no token). */
  snippets: Record<string, string>;
};

/** The typed DeleteSummary from `delete.summary`'s raw result, with defaults for what is missing. */
export function normalizeDeleteSummary(raw: unknown): DeleteSummary {
  const s = isObject(raw) ? raw : {};
  const who = Array.isArray(s.who_can_query)
    ? s.who_can_query.filter(isObject).map((p) => ({
        kind: str(p.kind),
        name: str(p.name),
        level: str(p.level),
        inherited: p.inherited === true,
      }))
    : null;
  const error = isObject(s.permissions_error) ? errorFromWire(s.permissions_error, "") : null;
  return {
    name: str(s.name),
    id: str(s.id),
    entities: Array.isArray(s.entities) ? s.entities.filter((e) => typeof e === "string") : [],
    routes: Array.isArray(s.routes)
      ? s.routes.filter(isObject).map((r) => ({
          entity: str(r.entity),
          percentage: typeof r.percentage === "number" ? r.percentage : 0,
        }))
      : [],
    who_can_query: who,
    can_manage: s.can_manage === true,
    permission_level: typeof s.permission_level === "string" ? s.permission_level : null,
    permissions_error: error,
    export: s.export ?? null,
    snippets: normalizeSnippets(s.snippets),
  };
}
