"""Many endpoints at once: who can reach what, and one grant or revoke across several.

`ServingClient.access` reads every endpoint's ACL over the client's bounded pool and keeps, per
endpoint, either the ACL or the error that stopped its read (a caller without the right level
gets a 403 for that endpoint alone). `EndpointAccess.entries` turns an ACL into one entry per
principal: the effective level (the highest it holds), its direct level, and where the
effective level comes from ("direct", or the objects it is inherited from, such as the
workspace's `/serving-endpoints/` root).

`plan_many` / `apply_many` / `grant_many` / `revoke_many` are the single `grant` and `revoke`
once per endpoint, under the same rules (`_acl_writes`): the lock-out guard, the stale-ACL
refusal against a reviewed fingerprint, `NotGrantedError` for a revoke of someone without a
direct grant. A refusal or an error on one endpoint is that endpoint's row, never the batch's
exception, and every endpoint asked for gets exactly one row: nothing is skipped in silence.
Each row carries the exact call (method, path, body) sent, or the one that would have been, and
the target's direct level before and after.

Pure, except the `to_frame` methods, which ask `frames` for DataFrames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from serving_panel import _acl_writes, acl
from serving_panel.errors import ApiError, PermissionDenied, ServingError
from serving_panel.types import Permissions

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "OUTCOMES",
    "STATUSES",
    "AccessEntry",
    "AccessRow",
    "BulkPlan",
    "BulkResult",
    "EndpointAccess",
    "PlannedWrite",
    "WriteResult",
    "outcome_of",
]

OUTCOMES = (
    "done",
    "unchanged",
    "stale",
    "permission_denied",
    "not_granted",
    "locked_out",
    "failed",
)
"""What happened to one endpoint's write: sent and read back (done); nothing to send
(unchanged); refused, nothing sent, because its ACL changed since the preview (stale), because
the principal had no direct grant to revoke (not_granted), because it would take CAN_MANAGE from
you or the last direct manager without force=True (locked_out); answered 403
(permission_denied); anything else (failed: the message says what)."""

STATUSES = ("send", "unchanged", "permission_denied", "not_granted", "locked_out", "failed")
"""What a preview found for one endpoint: a call to send, nothing to send, or why not."""


def outcome_of(error: ServingError) -> str:
    """The outcome an error gives one endpoint's read or write."""
    if isinstance(error, acl.StaleAclError):
        return "stale"
    if isinstance(error, acl.NotGrantedError):
        return "not_granted"
    if isinstance(error, acl.LockoutError):
        return "locked_out"
    if isinstance(error, PermissionDenied):
        return "permission_denied"
    return "failed"


def error_code_of(error: ServingError) -> str:
    """The service's `error_code` for an API error, else the error's class name."""
    return error.error_code if isinstance(error, ApiError) else type(error).__name__


def _message_of(error: ServingError) -> str:
    return error.message if isinstance(error, ApiError) else str(error)


# The access view -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessEntry:
    """One principal on one endpoint: its effective level and where that level comes from."""

    kind: str
    principal: str
    level: str
    """The effective level: the highest the principal holds here, direct or inherited."""
    direct_level: str | None
    """Its direct grant (what `revoke` removes), None without one."""
    sources: tuple[str, ...]
    """Where `level` comes from: "direct" and/or each object it is inherited from."""
    display_name: str | None = None

    @property
    def inherited(self) -> bool:
        """Whether the effective level comes only through inheritance (a revoke can't lower it)."""
        return "direct" not in self.sources

    @property
    def source(self) -> str:
        return ", ".join(self.sources)

    @property
    def key(self) -> acl.PrincipalKey:
        return (self.kind, self.principal)


def entries_of(permissions: Permissions) -> tuple[AccessEntry, ...]:
    """One entry per principal of an ACL, in the ACL's order."""
    by_principal: dict[acl.PrincipalKey, list[acl.Grant]] = {}
    for grant in permissions.grants:
        by_principal.setdefault(grant.principal, []).append(grant)
    direct = acl.direct_acl(permissions.grants)
    entries = []
    for (kind, name), grants in by_principal.items():
        level = max((g.level for g in grants), key=_sort_level)
        sources: list[str] = []
        for grant in grants:
            if grant.level != level:
                continue
            from_ = (grant.inherited_from or ("a parent object",)) if grant.inherited else ()
            for source in from_ or ("direct",):
                if source not in sources:
                    sources.append(source)
        sources.sort(key=lambda source: source != "direct")
        display = next((g.display_name for g in grants if g.display_name), None)
        entries.append(
            AccessEntry(kind, name, level, direct.get((kind, name)), tuple(sources), display)
        )
    return tuple(entries)


def _sort_level(level: str) -> tuple[int, str]:
    rank = acl.LEVELS.index(level) if level in acl.LEVELS else -1
    return (rank, level)


@dataclass(frozen=True)
class EndpointAccess:
    """One endpoint's ACL as read, or the error that stopped the read (a 403 when the caller
    may not read it, say)."""

    endpoint: str
    """As asked for: the name from the list, or the name or id given."""
    endpoint_id: str | None
    permissions: Permissions | None = None
    error: ServingError | None = None

    @property
    def readable(self) -> bool:
        return self.permissions is not None

    @property
    def entries(self) -> tuple[AccessEntry, ...]:
        """One per principal (none when the ACL could not be read)."""
        return () if self.permissions is None else entries_of(self.permissions)

    def entry(self, kind: str, name: str) -> AccessEntry | None:
        return next((e for e in self.entries if e.key == (kind, name)), None)

    @property
    def fingerprint(self) -> str | None:
        """Of the direct ACL read: pass it as `expected_fingerprint` to write what you saw."""
        return None if self.permissions is None else self.permissions.fingerprint

    def rows(self) -> list[AccessRow]:
        """Its rows in `access_df`: one per principal, or one saying why the ACL is missing."""
        if self.permissions is None:
            assert self.error is not None
            return [
                AccessRow(
                    endpoint=self.endpoint,
                    endpoint_id=self.endpoint_id,
                    readable=False,
                    error_code=error_code_of(self.error),
                    error=f"the ACL could not be read: {_message_of(self.error)}",
                )
            ]
        return [
            AccessRow(
                endpoint=self.endpoint,
                endpoint_id=self.endpoint_id,
                kind=entry.kind,
                principal=entry.principal,
                display_name=entry.display_name,
                level=entry.level,
                direct_level=entry.direct_level,
                inherited=entry.inherited,
                source=entry.source,
                fingerprint=self.permissions.fingerprint,
            )
            for entry in self.entries
        ]


@dataclass(frozen=True)
class AccessRow:
    """A row of `ServingClient.access_df` (see `frames.access_frame` for the columns)."""

    endpoint: str
    endpoint_id: str | None
    kind: str | None = None
    principal: str | None = None
    display_name: str | None = None
    level: str | None = None
    direct_level: str | None = None
    inherited: bool | None = None
    source: str | None = None
    fingerprint: str | None = None
    readable: bool = True
    error_code: str | None = None
    error: str | None = None


def access_rows(accesses: Sequence[EndpointAccess]) -> list[AccessRow]:
    return [row for access in accesses for row in access.rows()]


# Writes across endpoints -----------------------------------------------------------------------


def check_request(kind: str, name: str, level: str | None) -> None:
    """Refuses, before anything is read or sent, a level, kind or name no endpoint would take
    (the admins group included): the same `AclError` a single grant or revoke raises."""
    acl.plan_changes((), {(kind, name): level})


def _body_text(body: Mapping[str, Any] | None) -> str | None:
    return None if body is None else json.dumps(body, sort_keys=True, separators=(",", ":"))


class _Write(Protocol):
    """What a planned write and a write's result both say about one endpoint's call."""

    @property
    def endpoint(self) -> str: ...
    @property
    def endpoint_id(self) -> str | None: ...
    @property
    def principal(self) -> acl.PrincipalKey: ...
    @property
    def level(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def body(self) -> Mapping[str, Any] | None: ...
    @property
    def before(self) -> str | None: ...
    @property
    def after(self) -> str | None: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...


def _write_row(write: _Write, outcome: str, *, sent: bool) -> WriteRow:
    """The frame row of a planned write (its status, nothing sent) or of a result."""
    return WriteRow(
        endpoint=write.endpoint,
        endpoint_id=write.endpoint_id,
        kind=write.principal[0],
        principal=write.principal[1],
        action="revoke" if write.level is None else "grant",
        outcome=outcome,
        sent=sent,
        method=write.method,
        path=write.path,
        body=_body_text(write.body),
        before=write.before,
        after=write.after,
        fingerprint=write.fingerprint,
        warnings="\n".join(write.warnings) or None,
        error_code=write.error_code,
        message=write.message,
    )


def _path(endpoint_id: str | None) -> str | None:
    return None if endpoint_id is None else acl.PATH_TEMPLATE.format(endpoint_id=endpoint_id)


@dataclass(frozen=True)
class PlannedWrite:
    """One endpoint's part of a `BulkPlan`: the exact call, or why there is none."""

    endpoint: str
    endpoint_id: str | None
    principal: acl.PrincipalKey
    level: str | None
    """The level asked for; None revokes the direct grant."""
    status: str
    """One of `STATUSES`."""
    plan: acl.AclPlan | None = None
    error_code: str | None = None
    message: str | None = None

    @property
    def method(self) -> str | None:
        return None if self.plan is None else self.plan.method

    @property
    def path(self) -> str | None:
        return None if self.method is None else _path(self.endpoint_id)

    @property
    def body(self) -> dict[str, Any] | None:
        return None if self.plan is None or self.plan.method is None else self.plan.body

    @property
    def before(self) -> str | None:
        return None if self.plan is None else self.plan.before.get(self.principal)

    @property
    def after(self) -> str | None:
        return None if self.plan is None else self.plan.after.get(self.principal)

    @property
    def fingerprint(self) -> str | None:
        return None if self.plan is None else self.plan.fingerprint

    @property
    def warnings(self) -> tuple[str, ...]:
        return () if self.plan is None else self.plan.warnings

    def row(self) -> WriteRow:
        return _write_row(self, self.status, sent=False)


def plan_write(
    endpoint: str,
    permissions: Permissions,
    kind: str,
    name: str,
    level: str | None,
    *,
    caller: acl.PrincipalKey | None,
) -> PlannedWrite:
    """What a grant (or, with `level=None`, a revoke) would send to one endpoint whose ACL is
    `permissions`, and whether it would be refused."""
    principal = (kind, name)

    def planned(
        status: str, plan: acl.AclPlan | None, error: ServingError | None = None
    ) -> PlannedWrite:
        return PlannedWrite(
            endpoint,
            permissions.endpoint_id or None,
            principal,
            level,
            status,
            plan,
            None if error is None else error_code_of(error),
            None if error is None else str(error),
        )

    try:
        plan = acl.plan_changes(permissions, {principal: level}, caller=caller)
    except acl.AclError as error:  # a revoke of an inherited-only principal
        return planned(outcome_of(error), None, error)
    if plan.method is None:
        if level is None:
            text = _acl_writes.not_granted_text(permissions, kind, name)
            return planned("not_granted", plan, acl.NotGrantedError(text))
        return planned("unchanged", plan)
    try:
        _acl_writes.refuse_lockouts(plan)
    except acl.LockoutError as error:
        return planned("locked_out", plan, error)
    return planned("send", plan)


def unreadable(
    endpoint: str,
    endpoint_id: str | None,
    principal: acl.PrincipalKey,
    level: str | None,
    error: ServingError,
) -> PlannedWrite:
    """An endpoint whose ACL could not be read for the preview: nothing can be planned."""
    return PlannedWrite(
        endpoint,
        endpoint_id,
        principal,
        level,
        outcome_of(error),
        None,
        error_code_of(error),
        f"the ACL could not be read: {error}",
    )


@dataclass(frozen=True)
class BulkPlan:
    """A preview of one grant or revoke across endpoints: for each, the exact call and the
    target's direct level before and after, or why nothing would be sent. `apply_many` sends
    exactly these calls, refusing an endpoint whose ACL changed since (stale)."""

    principal: acl.PrincipalKey
    level: str | None
    writes: tuple[PlannedWrite, ...]

    @property
    def fingerprints(self) -> dict[str, str]:
        """Endpoint -> the fingerprint of the ACL each plan was made from: what was previewed,
        as `grant_many(expected_fingerprints=...)` takes it."""
        return {w.endpoint: w.fingerprint for w in self.writes if w.fingerprint is not None}

    def to_frame(self) -> pd.DataFrame:
        """One row per endpoint; the `outcome` column holds the status (one of `STATUSES`)."""
        from serving_panel import frames

        return frames.writes_frame([w.row() for w in self.writes], STATUSES)

    def __str__(self) -> str:
        action = "revoke" if self.level is None else f"grant {self.level}"
        kind, name = self.principal
        lines = [f"{action} for {kind.replace('_', ' ')} {name} on {len(self.writes)} endpoints"]
        for write in self.writes:
            call = f"{write.method} {write.path}" if write.method else "nothing to send"
            why = f": {write.message}" if write.message else ""
            lines.append(
                f"  {write.endpoint}: {write.status}, {call} "
                f"({write.before or '-'} -> {write.after or '-'}){why}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class WriteResult:
    """What a bulk write did to one endpoint."""

    endpoint: str
    endpoint_id: str | None
    principal: acl.PrincipalKey
    level: str | None
    outcome: str
    """One of `OUTCOMES`."""
    sent: bool
    """Whether the write request went out (a refusal sends nothing)."""
    method: str | None = None
    """The call sent or, when refused, the one that would have been; None when none was
    planned (an unreadable ACL, a revoke of someone without a direct grant)."""
    body: Mapping[str, Any] | None = None
    before: str | None = None
    """The target's direct level in the ACL read before the write (None: no direct grant, or
    the ACL could not be read)."""
    after: str | None = None
    """Its direct level after: as read back when done, else as before."""
    fingerprint: str | None = None
    """Of the ACL read before the write."""
    warnings: tuple[str, ...] = ()
    error_code: str | None = None
    message: str | None = None

    @property
    def path(self) -> str | None:
        return None if self.method is None else _path(self.endpoint_id)

    def row(self) -> WriteRow:
        return _write_row(self, self.outcome, sent=self.sent)


def written(
    endpoint: str,
    endpoint_id: str,
    principal: acl.PrincipalKey,
    level: str | None,
    plan: acl.AclPlan,
    back: Permissions,
) -> WriteResult:
    """A write that went through (or had nothing to send): `back` is the ACL read after it."""
    return WriteResult(
        endpoint,
        endpoint_id,
        principal,
        level,
        "done" if plan.method is not None else "unchanged",
        plan.method is not None,
        plan.method,
        plan.body if plan.method is not None else None,
        plan.before.get(principal),
        acl.direct_acl(back.grants).get(principal),
        plan.fingerprint,
        plan.warnings,
    )


def refused(
    endpoint: str,
    endpoint_id: str | None,
    principal: acl.PrincipalKey,
    level: str | None,
    error: ServingError,
    *,
    read: Permissions | None = None,
    plan: acl.AclPlan | None = None,
    sent: bool = False,
) -> WriteResult:
    """A write that was refused or failed. `read` is the last ACL read for it, `plan` the plan
    made from that read, `sent` whether the request went out (it failed after)."""
    before = None
    if plan is not None:
        before = plan.before.get(principal)
    elif read is not None:
        before = acl.direct_acl(read.grants).get(principal)
    return WriteResult(
        endpoint,
        endpoint_id,
        principal,
        level,
        outcome_of(error),
        sent,
        None if plan is None else plan.method,
        None if plan is None or plan.method is None else plan.body,
        before,
        before,
        plan.fingerprint if plan is not None else read.fingerprint if read is not None else None,
        () if plan is None else plan.warnings,
        error_code_of(error),
        str(error),
    )


@dataclass(frozen=True)
class BulkResult:
    """What a bulk write did: one `WriteResult` per endpoint asked for, in the order asked."""

    principal: acl.PrincipalKey
    level: str | None
    results: tuple[WriteResult, ...]

    @property
    def ok(self) -> bool:
        """Whether every endpoint ended done or unchanged."""
        return all(r.outcome in ("done", "unchanged") for r in self.results)

    @property
    def problems(self) -> list[WriteResult]:
        return [r for r in self.results if r.outcome not in ("done", "unchanged")]

    def to_frame(self) -> pd.DataFrame:
        from serving_panel import frames

        return frames.writes_frame([r.row() for r in self.results], OUTCOMES)

    def __str__(self) -> str:
        lines = []
        for r in self.results:
            call = f"{r.method} {r.path}" if r.method else "no call"
            why = f": {r.message}" if r.message else ""
            lines.append(
                f"{r.endpoint}: {r.outcome} ({call}; {r.before or '-'} -> {r.after or '-'}){why}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class WriteRow:
    """A row of a plan's or a result's DataFrame (see `frames.writes_frame`)."""

    endpoint: str
    endpoint_id: str | None
    kind: str
    principal: str
    action: str
    outcome: str
    sent: bool
    method: str | None
    path: str | None
    body: str | None
    before: str | None
    after: str | None
    fingerprint: str | None
    warnings: str | None
    error_code: str | None
    message: str | None
