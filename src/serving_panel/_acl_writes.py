"""Permission writes that hold under concurrency within one process, and say when they can't.

The permissions API has no conditional write: a revoke is a PUT of the whole direct ACL, so
two writers that read the same ACL each send a list holding the other's target, and one change
is silently undone (eight threads revoking eight users used to leave up to seven granted). So
every write of one client to one endpoint goes through here:

1. one lock per endpoint id, shared by all of the client's ACL writes, so its own writes never
   interleave: nothing is lost within the process;
2. the ACL is read under that lock right before the send, and the plan is made from (or checked
   against) that read: `acl.check_unchanged`, the one stale-ACL rule;
3. after the send the ACL is read back. A target whose change was reverted (another process's
   PUT from an older read) is planned and sent again, a few times at most, unless the change was
   reviewed (`expected_fingerprint`): that one is never re-planned (`AclWriteLostError`). A
   principal the write did not target that lost or changed its direct grant meanwhile is named
   in an `AclRaceWarning`: another writer was at work, and someone should know.

What stays possible across processes is in the README (permissions): a PATCH by another process
landing between our read and our PUT is wiped without a trace we could see, and a write landing
after our read-back undoes ours after we reported success.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from serving_panel import acl
from serving_panel.errors import PermissionDenied
from serving_panel.types import Permissions

#: Sends a write makes before `AclWriteLostError`, when other writers keep undoing it.
WRITE_ATTEMPTS = 4

Reader = Callable[[str], Permissions]
Sender = Callable[[str, str, Mapping[str, Any]], Permissions]
Planner = Callable[[Permissions, bool], acl.AclPlan]
"""Makes the plan from the ACL just read; the flag says whether this is the first attempt."""
Observer = Callable[[Permissions, "acl.AclPlan | None"], None]
"""Told each ACL a write read, then the plan made from it."""


class AclWrites:
    """One client's ACL writes: serialized per endpoint id, re-read, sent, read back."""

    def __init__(self, read: Reader, send: Sender) -> None:
        self._read = read
        self._send = send
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def lock(self, endpoint_id: str) -> threading.Lock:
        """The lock every write of this client to this endpoint holds while it runs."""
        with self._locks_guard:
            return self._locks.setdefault(endpoint_id, threading.Lock())

    def send(self, endpoint_id: str, method: str, body: Mapping[str, Any]) -> Permissions:
        """A raw write (set/update_permissions), serialized with the planned ones."""
        with self.lock(endpoint_id):
            return self._send(endpoint_id, method, body)

    def apply(
        self,
        endpoint_id: str,
        plan: acl.AclPlan,
        *,
        expected_fingerprint: str | None,
        force: bool,
        caller: acl.PrincipalKey | None,
        observe: Observer | None = None,
    ) -> Permissions:
        """Sends a plan the caller made, once: refused unless the ACL is still the one it was
        made from (and the reviewed one); then read back (`AclWriteLostError` if undone). Its
        lock-outs are weighed for `caller` too, however the plan was made. `observe` is told
        the ACL read before sending, with the plan."""
        if expected_fingerprint is not None:
            acl.check_unchanged(expected_fingerprint, plan.fingerprint)
        with self.lock(endpoint_id):
            current = self._read(endpoint_id)
            if observe is not None:
                observe(current, plan)
            if plan.method is None:
                return current
            acl.check_unchanged(plan.fingerprint, current.fingerprint)
            if not force:
                refuse_lockouts(_with_callers_lockouts(plan, current, caller))
            back, undone = self._send_and_verify(endpoint_id, current, plan)
        if undone:
            raise _lost(undone, 1, reviewed=True)
        return back

    def write(
        self,
        endpoint_id: str,
        plan_from: Planner,
        *,
        expected_fingerprint: str | None,
        force: bool,
        observe: Observer | None = None,
    ) -> Permissions:
        """Plans from the ACL read right before each send, sends, and reads back; a change
        another writer undid is planned and sent again (`WRITE_ATTEMPTS` sends at most). With
        `expected_fingerprint` (a reviewed ACL) nothing is re-planned: a changed ACL is a
        `StaleAclError` before sending, an undone write an `AclWriteLostError` after.
        `observe` is told each ACL read and the plan made from it (None before planning), so
        a caller reporting on many writes can say what was sent, or what would have been."""
        with self.lock(endpoint_id):
            attempt = 0
            while True:
                attempt += 1
                current = self._read(endpoint_id)
                if observe is not None:
                    observe(current, None)
                if expected_fingerprint is not None:
                    acl.check_unchanged(expected_fingerprint, current.fingerprint)
                plan = plan_from(current, attempt == 1)
                if observe is not None:
                    observe(current, plan)
                if plan.method is None:
                    return current
                if not force:
                    refuse_lockouts(plan)
                back, undone = self._send_and_verify(endpoint_id, current, plan)
                if not undone:
                    return back
                if expected_fingerprint is not None or attempt >= WRITE_ATTEMPTS:
                    raise _lost(undone, attempt, reviewed=expected_fingerprint is not None)

    def _send_and_verify(
        self, endpoint_id: str, current: Permissions, plan: acl.AclPlan
    ) -> tuple[Permissions, list[acl.Change]]:
        """Sends `plan`, reads the ACL back; returns it and the changes found reverted. Warns
        (`AclRaceWarning`) about anyone else whose direct grant went or changed meanwhile."""
        assert plan.method is not None  # callers return early on no change
        answer = self._send(endpoint_id, plan.method, plan.body)
        try:
            back = self._read(endpoint_id)
        except PermissionDenied:
            back = answer  # the write took the caller's own access (forced): its answer is all
        now = acl.direct_acl(back.grants)
        undone: list[acl.Change] = []
        overridden: list[str] = []
        for change in plan.changes:
            held = now.get(change.principal)
            if held == change.after:
                continue
            if held == change.before:
                undone.append(change)
            else:
                overridden.append(
                    f"{_who(change.principal)} (asked {change.after or 'no direct grant'}, "
                    f"now {held or 'no direct grant'})"
                )
        targets = {change.principal for change in plan.changes}
        gone = [
            f"{_who(principal)} (had {level}, now {now.get(principal) or 'no direct grant'})"
            for principal, level in acl.direct_acl(current.grants).items()
            if principal not in targets and now.get(principal) != level
        ]
        if overridden or gone:
            warnings.warn(
                _race_text(endpoint_id, overridden, gone), acl.AclRaceWarning, _callers_level()
            )
        return back, undone


def grant_planner(kind: str, name: str, level: str, *, caller: acl.PrincipalKey | None) -> Planner:
    """What `ServingClient.grant` plans from each fresh read."""

    def plan(current: Permissions, first: bool) -> acl.AclPlan:
        return acl.plan_grant(current, kind, name, level, caller=caller)

    return plan


def revoke_planner(kind: str, name: str, *, caller: acl.PrincipalKey | None) -> Planner:
    """What `ServingClient.revoke` plans from each fresh read. Says so (`NotGrantedError`) when
    the principal has no direct grant at the first read; on a later attempt, someone else
    having revoked it already just means it is done."""

    def plan(current: Permissions, first: bool) -> acl.AclPlan:
        planned = acl.plan_revoke(current, kind, name, caller=caller)
        if planned.method is None and first:
            raise acl.NotGrantedError(not_granted_text(current, kind, name))
        return planned

    return plan


def not_granted_text(current: Permissions, kind: str, name: str) -> str:
    """What a principal without a direct grant holds (nothing), and who the name may mean."""
    who = _who((kind, name))
    direct = sorted({g.name for g in current.grants if g.kind == kind and not g.inherited})
    text = f"{who} has no direct permission on this endpoint, and inherits none; nothing was sent."
    close = difflib.get_close_matches(name, direct, n=3)
    if close:
        text += f" Did you mean {' or '.join(close)}?"
    return text


def _callers_level() -> int:
    """The `stacklevel` of the first frame outside serving-panel: the user's call."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "serving_panel."
    ):
        frame = frame.f_back
        level += 1
    return level


def _with_callers_lockouts(
    plan: acl.AclPlan, current: Permissions, caller: acl.PrincipalKey | None
) -> acl.AclPlan:
    """`plan`, carrying the caller's own lock-out as well when it was made without `caller=`
    (planned again from the same direct ACL, which the fingerprint check just confirmed)."""
    if caller is None:
        return plan
    desired = {change.principal: change.after for change in plan.changes}
    again = acl.plan_changes(current, desired, caller=caller)
    lockouts = tuple(dict.fromkeys(plan.lockouts + again.lockouts))
    return dataclasses.replace(plan, lockouts=lockouts)


def refuse_lockouts(plan: acl.AclPlan) -> None:
    """`LockoutError` naming the principals changed and each lock-out the plan carries."""
    if plan.lockouts:
        changed = ", ".join(_who(change.principal) for change in plan.changes)
        raise acl.LockoutError(
            f"Refused to change {changed}: it would lock managers out of the endpoint; "
            "nothing was sent:\n"
            + "\n".join(f"- {warning}" for warning in plan.lockouts)
            + "\nPass force=True to make it anyway."
        )


def _lost(undone: list[acl.Change], attempts: int, *, reviewed: bool) -> acl.AclWriteLostError:
    what = "; ".join(
        f"{_who(c.principal)} is back to {c.before or 'no direct grant'} "
        f"(asked {c.after or 'no direct grant'})"
        for c in undone
    )
    why = (
        "a reviewed change is not planned again: re-read the permissions and review it anew"
        if reviewed
        else f"after {attempts} attempt{'s' if attempts > 1 else ''}"
    )
    return acl.AclWriteLostError(
        f"The write was answered, but another writer undid it: {what}. Not retried further "
        f"({why}); the API has no conditional write, so writers in other processes can race."
    )


def _race_text(endpoint_id: str, overridden: list[str], gone: list[str]) -> str:
    parts = [f"Another writer changed endpoint {endpoint_id}'s permissions during this write."]
    if overridden:
        parts.append("Set differently since: " + "; ".join(overridden) + ".")
    if gone:
        parts.append("Not targeted, yet changed: " + "; ".join(gone) + ".")
    return " ".join(parts)


def _who(principal: acl.PrincipalKey) -> str:
    kind, name = principal
    return f"{kind.replace('_', ' ')} {name}"
