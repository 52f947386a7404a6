/**
 * The permission editor's wire types: what serving_panel/panel/permissions.py answers to
 * `acl.read`, `acl.preview`, `acl.apply` and `principals.lookup` (that module's docstring is
 * the contract), and one normalizer per reply (normalizeAclRead for acl.read and acl.apply,
 * normalizeAclPreview, normalizeLookup): a raw result in, a typed value out, defaults for what
 * is missing. Every string here comes from the server and reaches the DOM as text only.
 */
import { fields, isObject, list, str, strings } from "../bridge/wire";
import { normalizeSnippets } from "../ui/copy-as";

export type PrincipalKind = "user" | "group" | "service_principal";

export const KINDS: readonly PrincipalKind[] = ["user", "group", "service_principal"];

export const KIND_LABELS: Record<PrincipalKind, string> = {
  user: "user",
  group: "group",
  service_principal: "service principal",
};

/** Levels a grant may have, lowest first (acl.read also sends them). */
export const DEFAULT_LEVELS = ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"] as const;

export interface Principal {
  kind: PrincipalKind;
  name: string;
}

/** One principal's level, direct or inherited, as the ACL lists it. */
export interface AclRow extends Principal {
  display_name: string | null;
  level: string;
  inherited: boolean;
  inherited_from: string[];
}

export interface DirectGrant extends Principal {
  level: string;
}

export interface AclRead {
  rows: AclRow[];
  /** The direct ACL (the highest direct level per principal): what a PUT replaces. */
  direct: DirectGrant[];
  /** Names the direct ACL as shown; writes are refused (STALE_ACL) once it changes. */
  fingerprint: string;
  endpoint_id: string;
  /** Who the panel's client is, when SCIM could say. */
  caller: Principal | null;
  levels: string[];
}

/** A change sent to Python: `level` null removes the principal's direct grant. */
export interface WireChange extends Principal {
  level: string | null;
}

export interface PlannedChange extends Principal {
  before: string | null;
  after: string | null;
  kind_of_change: "grant" | "upgrade" | "downgrade" | "revoke";
}

export interface AclPreview {
  method: "PATCH" | "PUT" | null;
  body: unknown;
  /** The exact API call(s) and the diff, as plain text. */
  describe: string;
  changes: PlannedChange[];
  warnings: string[];
  /** The warnings `acl.apply` wants acknowledged (losing the ability to manage). */
  lockout_warnings: string[];
  /** The ACL changed since it was shown: review the current list first. */
  stale: boolean;
  fingerprint: string;
  /** The write's curl, databricks-sdk and CLI equivalents (no token); empty when none. */
  snippets: Record<string, string>;
}

export interface LookupHit extends Principal {
  display_name: string;
}

export interface LookupResult {
  results: LookupHit[];
  /** False when the workspace's SCIM did not answer: names are typed, kinds picked. */
  available: boolean;
}

/** Reply error codes the editor handles itself. */
export const STALE_ACL = "STALE_ACL";
export const CONFIRM_REQUIRED = "CONFIRM_REQUIRED";

export const isKind = (value: string): value is PrincipalKind =>
  (KINDS as readonly string[]).includes(value);

// Normalizers. A principal of an unknown kind is dropped: the editor cannot address it.

function principal(raw: unknown): Principal | null {
  const p = fields(raw);
  const kind = str(p.kind);
  return isKind(kind) ? { kind, name: str(p.name) } : null;
}

function present<T>(value: T | null): value is T {
  return value !== null;
}

function aclRow(raw: unknown): AclRow | null {
  const p = principal(raw);
  if (p === null) return null;
  const r = fields(raw);
  return {
    ...p,
    display_name: typeof r.display_name === "string" ? r.display_name : null,
    level: str(r.level),
    inherited: r.inherited === true,
    inherited_from: strings(r.inherited_from),
  };
}

function directGrant(raw: unknown): DirectGrant | null {
  const p = principal(raw);
  return p === null ? null : { ...p, level: str(fields(raw).level) };
}

const CHANGE_KINDS: readonly PlannedChange["kind_of_change"][] = [
  "grant",
  "upgrade",
  "downgrade",
  "revoke",
];

function plannedChange(raw: unknown): PlannedChange | null {
  const p = principal(raw);
  if (p === null) return null;
  const c = fields(raw);
  const change = CHANGE_KINDS.find((kind) => kind === c.kind_of_change);
  if (change === undefined) return null;
  return {
    ...p,
    before: typeof c.before === "string" ? c.before : null,
    after: typeof c.after === "string" ? c.after : null,
    kind_of_change: change,
  };
}

/** The typed AclRead from `acl.read`'s (or `acl.apply`'s) raw result. */
export function normalizeAclRead(raw: unknown): AclRead {
  const r = fields(raw);
  return {
    rows: list(r.rows).map(aclRow).filter(present),
    direct: list(r.direct).map(directGrant).filter(present),
    fingerprint: str(r.fingerprint),
    endpoint_id: str(r.endpoint_id),
    caller: isObject(r.caller) ? principal(r.caller) : null,
    levels: strings(r.levels),
  };
}

/** The typed AclPreview from `acl.preview`'s raw result. */
export function normalizeAclPreview(raw: unknown): AclPreview {
  const r = fields(raw);
  return {
    method: r.method === "PATCH" || r.method === "PUT" ? r.method : null,
    body: r.body ?? null,
    describe: str(r.describe),
    changes: list(r.changes).map(plannedChange).filter(present),
    warnings: strings(r.warnings),
    lockout_warnings: strings(r.lockout_warnings),
    stale: r.stale === true,
    fingerprint: str(r.fingerprint),
    snippets: normalizeSnippets(r.snippets),
  };
}

/** The typed LookupResult from `principals.lookup`'s raw result. */
export function normalizeLookup(raw: unknown): LookupResult {
  const r = fields(raw);
  return {
    results: list(r.results)
      .map((hit): LookupHit | null => {
        const p = principal(hit);
        return p === null ? null : { ...p, display_name: str(fields(hit).display_name) };
      })
      .filter(present),
    available: r.available !== false,
  };
}
