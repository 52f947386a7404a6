/**
 * The permission editor's wire types: what serving_panel/panel_permissions.py answers to
 * `acl.read`, `acl.preview`, `acl.apply` and `principals.lookup` (that module's docstring is
 * the contract). Every string here comes from the server and reaches the DOM as text only.
 */

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
