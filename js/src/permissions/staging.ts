/**
 * Staged changes to an endpoint's direct ACL: what the user wants each principal's direct
 * level to become (null: no direct grant), kept apart from the ACL as read, so the table can
 * mark what is added, changed or removed, and a reload can keep the user's intentions.
 * Pure functions over immutable maps; nothing here talks to Python.
 */
import { visibleText } from "../ui/visible";
import { type AclRead, type AclRow, KIND_LABELS, type Principal, type WireChange } from "./types";

export interface StagedChange extends Principal {
  /** The direct level wanted; null removes the direct grant. */
  level: string | null;
  /** For added principals: the name lookup showed, if any. */
  display_name: string | null;
}

export type Staged = ReadonlyMap<string, StagedChange>;

export const NOTHING_STAGED: Staged = new Map();

/** One string per principal (kind and name can't contain a NUL). */
export const principalKey = (principal: Principal): string =>
  `${principal.kind}\u0000${principal.name}`;

export const isAdmins = (principal: Principal): boolean =>
  principal.kind === "group" && principal.name === "admins";

/** "user ada@example.com", for labels and messages; invisible characters written out. */
export const who = (principal: Principal): string =>
  `${KIND_LABELS[principal.kind] ?? principal.kind} ${visibleText(principal.name)}`;

/** Direct levels by principal key, as the read lists them. */
export function directLevels(read: AclRead | null): Map<string, string> {
  const levels = new Map<string, string>();
  for (const grant of read?.direct ?? []) levels.set(principalKey(grant), grant.level);
  return levels;
}

/** Whether a staged change would change anything against the ACL as read. */
function changesSomething(change: StagedChange, direct: Map<string, string>): boolean {
  const current = direct.get(principalKey(change)) ?? null;
  return change.level !== current;
}

/** `staged` with `change` in it, or without that principal's entry when it is a no-op. */
export function stage(staged: Staged, read: AclRead | null, change: StagedChange): Staged {
  const next = new Map(staged);
  const key = principalKey(change);
  if (changesSomething(change, directLevels(read))) next.set(key, change);
  else next.delete(key);
  return next;
}

export function unstage(staged: Staged, principal: Principal): Staged {
  const next = new Map(staged);
  next.delete(principalKey(principal));
  return next;
}

/** After a reload: the staged changes that still change something. */
export function prune(staged: Staged, read: AclRead): Staged {
  const direct = directLevels(read);
  const next = new Map([...staged].filter(([, change]) => changesSomething(change, direct)));
  return next.size === staged.size ? staged : next;
}

export function wireChanges(staged: Staged): WireChange[] {
  return [...staged.values()].map(({ kind, name, level }) => ({ kind, name, level }));
}

/** Staged grants to principals without a direct grant: the table's "added" rows. */
export function addedRows(staged: Staged, read: AclRead | null): StagedChange[] {
  const direct = directLevels(read);
  return [...staged.values()].filter(
    (change) => change.level !== null && !direct.has(principalKey(change)),
  );
}

export type RowMark = "unchanged" | "changed" | "removed";

/** How a direct row shows: its staged level (or its own) and whether it is changed. */
export function rowMark(row: AclRow, staged: Staged): { mark: RowMark; level: string } {
  const change = row.inherited ? undefined : staged.get(principalKey(row));
  if (change === undefined) return { mark: "unchanged", level: row.level };
  if (change.level === null) return { mark: "removed", level: row.level };
  return { mark: change.level === row.level ? "unchanged" : "changed", level: change.level };
}

/** Why a row can't be edited here, or null when it can. */
export function lockedReason(row: AclRow): string | null {
  if (row.inherited) {
    const from =
      row.inherited_from.length > 0
        ? visibleText(row.inherited_from.join(", "))
        : "a parent object";
    return `Inherited from ${from}: it can't be changed or removed here, only where it is granted.`;
  }
  if (isAdmins(row)) {
    return "Workspace admins hold CAN_MANAGE on every endpoint; the admins group's grant can't be changed.";
  }
  return null;
}

/** Why a principal can't be added as typed, or null when it can. */
export function addProblem(
  principal: Principal,
  level: string,
  read: AclRead | null,
  staged: Staged,
): string | null {
  if (principal.name.trim() === "") return "Type a principal's name first.";
  if (isAdmins(principal)) {
    return "The admins group holds CAN_MANAGE on every endpoint; its grant can't be changed.";
  }
  const current = directLevels(read).get(principalKey(principal));
  const wanted = staged.get(principalKey(principal));
  if (current === level && (wanted === undefined || wanted.level === level)) {
    return `${who(principal)} already holds ${level} directly.`;
  }
  return null;
}

/** Plain-text lines for a staged change, as the bar's tooltip and tests read them. */
export function describeStaged(change: StagedChange, direct: Map<string, string>): string {
  const before = direct.get(principalKey(change)) ?? "(none)";
  return `${who(change)}: ${before} → ${change.level ?? "(none)"}`;
}
