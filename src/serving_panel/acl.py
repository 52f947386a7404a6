"""Permission plans for a serving endpoint's ACL: what to send, and what it will do.

The permissions API has two writes with very different blast radii: PATCH upserts the listed
principals and leaves everyone else alone, while PUT *replaces* the whole direct ACL (people have
lost grants by sending a PUT with one entry). This module turns "what the user wants" into the
exact request, picks PATCH whenever nothing is removed, re-sends every untouched direct grant
when a PUT is unavoidable, refuses to "remove" inherited entries, warns before anyone loses the
ability to manage the endpoint (as data, `AclPlan.lockouts`, so a caller can ask for a
confirmation), and fingerprints the direct ACL so a write is only sent when the ACL is still the
one the user reviewed. Plans take a `types.Permissions` (whose grants were parsed once, when it
was read), the grants themselves, or the GET's JSON (parsed here).

Pure on purpose: stdlib and `_wire` only, no HTTP, so the client, the panel and the tests
share one planner and a preview is exactly what will be sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

from serving_panel import _wire
from serving_panel.errors import ClientValidationError, ServingError

__all__ = [
    "KINDS",
    "LEVELS",
    "PATH_TEMPLATE",
    "AclError",
    "AclPlan",
    "AclRaceWarning",
    "AclSource",
    "AclWriteLostError",
    "Change",
    "Grant",
    "HasGrants",
    "LockoutError",
    "NotGrantedError",
    "PrincipalKey",
    "StaleAclError",
    "apply_plan",
    "check_unchanged",
    "direct_acl",
    "fingerprint",
    "grants_from_json",
    "grants_of",
    "plan_changes",
    "plan_grant",
    "plan_revoke",
    "simulate",
]

LEVELS = _wire.PERMISSION_LEVELS
"""Permission levels of a serving endpoint, lowest first."""

KINDS = _wire.PRINCIPAL_KINDS
"""Principal kinds; each maps to one request key in `_KEY_OF`."""

PrincipalKey = tuple[str, str]
"""(kind, name): how a principal is addressed in plans."""

PATH_TEMPLATE = "/api/2.0/permissions/serving-endpoints/{endpoint_id}"
"""Where plans are sent; the endpoint is addressed by id, never by name."""

_KEY_OF = _wire.PRINCIPAL_KEYS
_KIND_OF = {key: kind for kind, key in _KEY_OF.items()}
_RANK = {level: rank for rank, level in enumerate(LEVELS)}


class AclError(ClientValidationError):
    """A plan that can't be made: names the principal or field and the rule it breaks."""


class StaleAclError(AclError):
    """The ACL changed after it was shown, so a plan computed from it may clobber someone."""


class NotGrantedError(AclError):
    """A revoke of a principal without a direct grant (a typo, or revoked already): said, so a
    revoke that did nothing never looks like one that worked. Nothing was sent."""


class LockoutError(AclError):
    """A write that would take CAN_MANAGE from the caller, or from the last direct manager,
    without `force=True`. Nothing was sent."""


class AclWriteLostError(ServingError):
    """A write was sent and answered, but a read-back shows a concurrent write (from another
    process: this client serializes its own) undid it, and trying again did not hold, or was
    not allowed (a reviewed change is never re-planned)."""


class AclRaceWarning(UserWarning):
    """While a write was in flight, some principal it did not target lost or changed its
    direct grant: another writer was at work. Named, so nobody's loss goes unseen."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One permission a principal holds, direct or inherited, as the GET response lists it."""

    kind: str
    name: str
    level: str
    inherited: bool
    inherited_from: tuple[str, ...] = ()
    display_name: str | None = None

    @property
    def principal(self) -> PrincipalKey:
        return (self.kind, self.name)


@runtime_checkable
class HasGrants(Protocol):
    """An ACL already read and parsed, such as `types.Permissions`."""

    @property
    def grants(self) -> Sequence[Grant]: ...


AclSource: TypeAlias = HasGrants | Iterable[Grant] | Mapping[str, Any]
"""What a plan or a fingerprint is made from: a parsed ACL, its grants, or the GET's JSON."""


@dataclass(frozen=True, slots=True)
class Change:
    """One principal's direct level before and after a plan (None = no direct grant)."""

    principal: PrincipalKey
    before: str | None
    after: str | None

    def __post_init__(self) -> None:
        if self.before == self.after:
            raise AclError(f"{_who(self.principal)}: a change needs different levels")

    @property
    def kind_of_change(self) -> str:
        """Which way the level moves: grant, upgrade, downgrade or revoke (unknown ranks lowest)."""
        if self.before is None:
            return "grant"
        if self.after is None:
            return "revoke"
        return "upgrade" if _rank(self.after) > _rank(self.before) else "downgrade"


@dataclass(frozen=True, slots=True)
class AclPlan:
    """The one request a change needs, and everything a preview should show about it."""

    method: str | None
    body: dict[str, Any]
    before: dict[PrincipalKey, str]
    after: dict[PrincipalKey, str]
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    """Everything a preview should say, the lock-out warnings included."""
    fingerprint: str
    """Of the direct ACL the plan was made from; a write is sent only while it still holds."""
    lockouts: tuple[str, ...] = ()
    """The warnings about this plan taking away the ability to manage the endpoint: the last
    direct CAN_MANAGE, or the caller's own. A careful caller confirms these before sending."""

    def describe(self, endpoint_id: str | None = None) -> str:
        """The exact API call(s) and the diff, as plain text for a preview."""
        if self.method is None:
            lines = ["No change: the direct ACL already matches."]
        else:
            path = PATH_TEMPLATE.format(endpoint_id=endpoint_id or "{endpoint_id}")
            body = json.dumps(self.body, indent=2)
            if self.method == "PUT":
                lines = [
                    f"1. GET {path}",
                    f"   re-read; stop unless the direct ACL still has fingerprint "
                    f"{self.fingerprint}",
                    f"2. PUT {path}  (replaces the whole direct ACL)",
                    body,
                ]
            else:
                lines = [f"PATCH {path}  (merges; other principals untouched)", body]
            lines.append("Changes:")
            lines.extend(f"  {_describe_change(change)}" for change in self.changes)
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  ! {warning}" for warning in self.warnings)
        return "\n".join(lines)


def grants_from_json(permissions: Mapping[str, Any]) -> list[Grant]:
    """Flatten a GET response's access_control_list[*].all_permissions into grants.

    Unknown levels are kept as they are: dropping one here would drop it from a later PUT.
    An entry naming no principal is an error, because a PUT could never re-send it.
    """
    raw = permissions.get("access_control_list") or []
    if not isinstance(raw, list):
        raise AclError("access_control_list: must be a list")
    grants: list[Grant] = []
    for index, entry in enumerate(raw):
        field = f"access_control_list[{index}]"
        if not isinstance(entry, Mapping):
            raise AclError(f"{field}: must be a JSON object")
        kind, name = _principal_of(entry, field)
        display = entry.get("display_name")
        display_name = display if isinstance(display, str) else None
        for position, item in enumerate(entry.get("all_permissions") or []):
            where = f"{field}.all_permissions[{position}]"
            if not isinstance(item, Mapping):
                raise AclError(f"{where}: must be a JSON object")
            level = item.get("permission_level")
            if not isinstance(level, str) or not level:
                raise AclError(f"{where}.permission_level: must be a non-empty string")
            sources = item.get("inherited_from_object") or []
            grants.append(
                Grant(
                    kind=kind,
                    name=name,
                    level=level,
                    inherited=bool(item.get("inherited", False)),
                    inherited_from=tuple(str(source) for source in sources),
                    display_name=display_name,
                )
            )
    return grants


def direct_acl(grants: Iterable[Grant]) -> dict[PrincipalKey, str]:
    """Direct levels by principal, the part a PUT replaces; the highest wins if several."""
    direct: dict[PrincipalKey, str] = {}
    for grant in grants:
        if grant.inherited:
            continue
        held = direct.get(grant.principal)
        if held is None or _sort_level(grant.level) > _sort_level(held):
            direct[grant.principal] = grant.level
    return dict(sorted(direct.items()))


def grants_of(source: AclSource) -> list[Grant]:
    """The grants of a parsed ACL as they are, or of the GET's JSON, parsed."""
    if isinstance(source, Mapping):
        return grants_from_json(source)
    if isinstance(source, HasGrants):
        return list(source.grants)
    return list(source)


def fingerprint(source: AclSource) -> str:
    """A stable hash of the direct ACL only: what our writes could clobber.

    Inherited entries, display names and entry order don't change it.
    """
    return _fingerprint_of(direct_acl(grants_of(source)))


def check_unchanged(shown_fingerprint: str, current: str | AclSource) -> None:
    """The one stale-ACL rule, for every write: stop when the direct ACL now (`current`, or its
    fingerprint) is not the one the user reviewed or the plan was made from."""
    now = current if isinstance(current, str) else fingerprint(current)
    if now != shown_fingerprint:
        raise StaleAclError(
            "The endpoint's direct permissions changed since they were shown "
            f"(fingerprint {shown_fingerprint}, now {now}); nothing was sent. "
            "Re-read the permissions and review the change again before applying it."
        )


#: Workspace admins: CAN_MANAGE on every endpoint, and a grant nobody can change.
ADMINS: PrincipalKey = ("group", "admins")


def plan_changes(
    source: AclSource,
    desired: Mapping[PrincipalKey, str | None],
    *,
    caller: PrincipalKey | None = None,
) -> AclPlan:
    """Plan the request that gives each principal in `desired` its new direct level.

    None removes a direct grant; principals not in `desired` keep theirs. Additions and level
    changes go out as a PATCH of just those entries; any removal needs a PUT of the full
    resulting direct list, which never contains an inherited-only principal.
    """
    grants = grants_of(source)
    before = direct_acl(grants)
    inherited = _inherited(grants)
    wanted = _validated(desired)
    if ADMINS in wanted:
        raise AclError(
            "group admins: workspace admins hold CAN_MANAGE on every endpoint; the admins "
            "group's grant can't be changed"
        )
    warnings: list[str] = []

    after = dict(before)
    for principal, level in sorted(wanted.items()):
        if level is not None:
            after[principal] = level
            continue
        if principal in after:
            del after[principal]
        elif principal in inherited:
            raise NotGrantedError(
                f"{_who(principal)}: {_inherited_text(inherited[principal])}; "
                "inherited permissions can't be removed here"
            )
        else:
            warnings.append(f"{_who(principal)} has no direct permission; nothing to remove.")
    after = dict(sorted(after.items()))

    changes = tuple(
        Change(principal, before.get(principal), after.get(principal))
        for principal in sorted(before.keys() | after.keys())
        if before.get(principal) != after.get(principal)
    )
    shown = _fingerprint_of(before)
    if not changes:
        return AclPlan(None, {}, before, after, (), tuple(warnings), shown)

    removes = any(change.after is None for change in changes)
    method = "PUT" if removes else "PATCH"
    entries = after if removes else {c.principal: c.after for c in changes if c.after}
    # Never name the admins group: the service doesn't let its grant be set (Terraform leaves
    # it out too), and a PUT leaves it as it is.
    body = {
        "access_control_list": [
            _entry(p, level) for p, level in sorted(entries.items()) if p != ADMINS
        ]
    }

    warnings.extend(_inheritance_notes(changes, inherited))
    if method == "PUT":
        warnings.extend(_put_notes(before, after, changes))
    notes, lockouts = _manage_notes(before, after, inherited, caller)
    warnings.extend(notes)
    return AclPlan(method, body, before, after, changes, tuple(warnings), shown, lockouts)


def plan_grant(
    source: AclSource,
    kind: str,
    name: str,
    level: str,
    *,
    caller: PrincipalKey | None = None,
) -> AclPlan:
    """A PATCH of one entry; no request at all when the principal already has that level."""
    given: object = level  # typed str, but a None here would silently plan a revoke
    if given is None:
        raise AclError(
            f"{_who((kind, name))}: permission_level is required to grant; use plan_revoke "
            "to remove a grant"
        )
    return plan_changes(source, {(kind, name): level}, caller=caller)


def plan_revoke(
    source: AclSource,
    kind: str,
    name: str,
    *,
    caller: PrincipalKey | None = None,
) -> AclPlan:
    """A PUT of the full direct list minus this principal (PATCH can't remove anyone)."""
    return plan_changes(source, {(kind, name): None}, caller=caller)


def simulate(direct: Mapping[PrincipalKey, str], plan: AclPlan) -> dict[PrincipalKey, str]:
    """What the server's direct ACL becomes once `plan` is sent: PATCH upserts, PUT replaces
    (all but the admins group's grant, which no request changes), no plan keeps it. The tests'
    oracle for what a plan does."""
    if plan.method is None:
        return dict(sorted(direct.items()))
    if plan.method not in ("PATCH", "PUT"):
        raise AclError(f"method: {plan.method!r} is not one of PATCH, PUT")
    if plan.method == "PATCH":
        result = dict(direct)
    else:
        result = {ADMINS: direct[ADMINS]} if ADMINS in direct else {}
    for index, entry in enumerate(plan.body.get("access_control_list", [])):
        field = f"access_control_list[{index}]"
        principal = _principal_of(entry, field)
        level = entry.get("permission_level")
        if not isinstance(level, str):
            raise AclError(f"{field}.permission_level: must be a string")
        result[principal] = level
    return dict(sorted(result.items()))


apply_plan = simulate
"""The former name of `simulate`, kept for code that imports it."""


# --- helpers ---------------------------------------------------------------------------------


def _rank(level: str) -> int:
    return _RANK.get(level, -1)


def _sort_level(level: str) -> tuple[int, str]:
    """Known levels by rank; unknown ones below CAN_VIEW, by name so the choice is stable."""
    return (_rank(level), level)


def _who(principal: PrincipalKey) -> str:
    kind, name = principal
    return f"{kind.replace('_', ' ')} {name}"


def _principal_of(entry: Mapping[str, Any], field: str) -> PrincipalKey:
    """(kind, name) from exactly one of user_name / group_name / service_principal_name."""
    given = [(key, entry.get(key)) for key in _KIND_OF if entry.get(key) is not None]
    if len(given) != 1:
        raise AclError(
            f"{field}: exactly one of user_name, group_name or service_principal_name is required"
        )
    [(key, name)] = given
    if not isinstance(name, str) or not name:
        raise AclError(f"{field}.{key}: must be a non-empty string")
    return (_KIND_OF[key], name)


def _entry(principal: PrincipalKey, level: str) -> dict[str, str]:
    kind, name = principal
    return {_KEY_OF[kind]: name, "permission_level": level}


def _fingerprint_of(direct: Mapping[PrincipalKey, str]) -> str:
    canonical = json.dumps(sorted([kind, name, level] for (kind, name), level in direct.items()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _validated(desired: Mapping[PrincipalKey, str | None]) -> dict[PrincipalKey, str | None]:
    """The desired map with every key and level checked, or an AclError naming the field."""
    checked: dict[PrincipalKey, str | None] = {}
    for key, level in desired.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise AclError(f"principal {key!r}: must be a (kind, name) pair")
        kind, name = key
        if kind not in KINDS:
            raise AclError(f"principal kind {kind!r}: must be one of {', '.join(KINDS)}")
        if not isinstance(name, str) or not name.strip():
            raise AclError(f"{_KEY_OF[kind]} {name!r}: must be a non-empty string")
        if level is not None and level not in LEVELS:
            raise AclError(
                f"permission_level for {_who(key)}: {level!r} is not one of "
                f"{', '.join(LEVELS)} (or None to remove the direct grant)"
            )
        checked[(kind, name)] = level
    return checked


def _inherited(grants: Iterable[Grant]) -> dict[PrincipalKey, list[Grant]]:
    found: dict[PrincipalKey, list[Grant]] = {}
    for grant in grants:
        if grant.inherited:
            found.setdefault(grant.principal, []).append(grant)
    return found


def _inherited_text(grants: list[Grant]) -> str:
    """E.g. 'CAN_MANAGE is inherited from /serving-endpoints/'."""
    parts = []
    for grant in sorted(grants, key=lambda g: _sort_level(g.level), reverse=True):
        source = ", ".join(grant.inherited_from) or "a parent object"
        parts.append(f"{grant.level} is inherited from {source}")
    return "; ".join(parts)


def _best_inherited(grants: list[Grant]) -> str:
    return max((grant.level for grant in grants), key=_sort_level)


def _describe_change(change: Change) -> str:
    mark = {"grant": "+", "upgrade": "^", "downgrade": "v", "revoke": "-"}[change.kind_of_change]
    before = change.before or "(none)"
    after = change.after or "(none)"
    return f"{mark} {_who(change.principal)}: {before} -> {after} ({change.kind_of_change})"


def _inheritance_notes(
    changes: tuple[Change, ...], inherited: Mapping[PrincipalKey, list[Grant]]
) -> list[str]:
    """Say when an inherited level makes a revoke or a downgrade weaker than it looks."""
    notes = []
    for change in changes:
        grants = inherited.get(change.principal)
        if not grants:
            continue
        best = _best_inherited(grants)
        if change.after is None:
            notes.append(
                f"{_who(change.principal)} keeps access: {_inherited_text(grants)}; "
                "only the direct grant is removed."
            )
        elif _rank(best) > _rank(change.after):
            notes.append(
                f"{_who(change.principal)} still has {best} through inheritance "
                f"({_inherited_text(grants)}); a direct {change.after} doesn't lower it."
            )
    return notes


def _put_notes(
    before: Mapping[PrincipalKey, str],
    after: Mapping[PrincipalKey, str],
    changes: tuple[Change, ...],
) -> list[str]:
    changed = {change.principal for change in changes}
    sent = [principal for principal in after if principal != ADMINS]
    unchanged = [principal for principal in sent if principal not in changed]
    notes = [
        f"PUT replaces every direct grant: {len(sent)} entr{'y' if len(sent) == 1 else 'ies'} "
        f"sent, {len(unchanged)} of them re-sent unchanged so they are kept; anyone missing "
        "from the body loses their direct grant."
    ]
    for principal in unchanged:
        if before[principal] not in _RANK:
            notes.append(
                f"{_who(principal)} holds {before[principal]!r}, a level this client doesn't "
                "know; it is re-sent as is and the server may reject it."
            )
    return notes


def _manage_notes(
    before: Mapping[PrincipalKey, str],
    after: Mapping[PrincipalKey, str],
    inherited: Mapping[PrincipalKey, list[Grant]],
    caller: PrincipalKey | None,
) -> tuple[list[str], tuple[str, ...]]:
    """Lock-out guard: who can still manage the endpoint once the plan has been applied.

    Returns every note for the preview, and the lock-outs among them: the notes about a
    CAN_MANAGE this plan takes away (not about one that was already missing).
    """
    notes: list[str] = []
    lockouts: list[str] = []
    managers = {
        principal: manage
        for principal, grants in sorted(inherited.items())
        if (manage := [grant for grant in grants if grant.level == "CAN_MANAGE"])
    }
    if "CAN_MANAGE" not in after.values():
        if managers:
            through = "; ".join(
                f"{_who(principal)} ({_inherited_text(manage)})"
                for principal, manage in managers.items()
            )
            who = f"only {through} can still manage it"
        else:
            who = "no inherited CAN_MANAGE is listed, so only workspace admins can still manage it"
        notes.append(f"After this change no principal holds CAN_MANAGE directly; {who}.")
        if "CAN_MANAGE" in before.values():
            lockouts.append(notes[-1])
    if (
        caller is not None
        and before.get(caller) == "CAN_MANAGE"
        and after.get(caller) != "CAN_MANAGE"
    ):
        now = after.get(caller)
        what = f"lowers it to {now}" if now else "removes it"
        keeps = (
            f" You keep {_best_inherited(inherited[caller])} through inheritance."
            if caller in inherited
            else " Unless a group you belong to manages it, you won't be able to undo this."
        )
        notes.append(f"You ({_who(caller)}) hold CAN_MANAGE directly and this plan {what}.{keeps}")
        lockouts.append(notes[-1])
    return notes, tuple(lockouts)
