"""Many endpoints' ACLs at once: read them all, preview one principal's change, send it.

Apart from the single-endpoint writes (`_client_permissions`) because these fan out over the
client's bounded pool (`max_workers` threads) and turn each endpoint's refusal or error into its
own row (`serving_panel.bulk`) instead of the call's exception; each endpoint's write is the
single write's, under the same rules.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, TypeVar

from serving_panel import _checks, acl, bulk
from serving_panel._acl_writes import Planner, grant_planner, revoke_planner
from serving_panel._client_permissions import PermissionMethods, principal_from_keywords
from serving_panel.errors import ClientValidationError, ServingError
from serving_panel.types import Permissions

if TYPE_CHECKING:
    import pandas as pd

_T = TypeVar("_T")
_S = TypeVar("_S")


class BulkPermissionMethods(PermissionMethods):
    """`ServingClient.access`, `plan_many`, `apply_many`, `grant_many` and `revoke_many`."""

    def access(
        self,
        endpoints: Iterable[str] | None = None,
        *,
        on_each: Callable[[bulk.EndpointAccess], None] | None = None,
    ) -> builtins.list[bulk.EndpointAccess]:
        """Every endpoint's ACL (those listed, or the names or ids given), read concurrently
        over the client's bounded pool, in the order listed or given. An ACL that can't be
        read (a 403 for a caller who may not read it, an endpoint deleted meanwhile) is that
        endpoint's `error`, not the call's exception. `on_each` is called with each endpoint's
        access as it arrives (in the calling thread), for progress."""
        targets = self._endpoint_targets(endpoints)

        def read(endpoint: str) -> bulk.EndpointAccess:
            try:
                permissions = self.permissions(endpoint)
            except ServingError as error:
                return bulk.EndpointAccess(endpoint, self._known_id(endpoint), None, error)
            return bulk.EndpointAccess(endpoint, permissions.endpoint_id or None, permissions)

        return self._concurrently(targets, read, on_each)

    def plan_many(
        self,
        endpoints: Iterable[str],
        level: str | None,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
    ) -> bulk.BulkPlan:
        """A preview of granting `level` (None: revoking the direct grant) to one principal on
        each endpoint, sending nothing: per endpoint the exact call and the principal's direct
        level before and after, or why nothing would be sent (`BulkPlan.to_frame()`).
        `apply_many(plan)` then sends exactly those calls."""
        kind, name = principal_from_keywords(user, group, service_principal)
        bulk.check_request(kind, name, level)
        targets = self._endpoint_targets(endpoints)
        caller = self._caller()
        principal = (kind, name)

        def plan_one(endpoint: str) -> bulk.PlannedWrite:
            try:
                permissions = self.permissions(endpoint)
            except ServingError as error:
                return bulk.unreadable(endpoint, self._known_id(endpoint), principal, level, error)
            return bulk.plan_write(endpoint, permissions, kind, name, level, caller=caller)

        writes = self._concurrently(targets, plan_one)
        return bulk.BulkPlan(principal, level, tuple(writes))

    def apply_many(
        self,
        plan: bulk.BulkPlan,
        *,
        force: bool = False,
        on_each: Callable[[bulk.WriteResult], None] | None = None,
    ) -> bulk.BulkResult:
        """Sends a `plan_many` preview, concurrently: each endpoint's previewed call, refused
        (stale, nothing sent) where the ACL changed since the preview, by the endpoint id
        previewed. Lock-outs need `force=True`, as for `apply_plan`; an endpoint the preview
        could not plan (or found nothing to revoke on) keeps that outcome and sends nothing.
        Returns one result per endpoint (`BulkResult.to_frame()`)."""
        caller = None if force else self._caller()
        principal, level = plan.principal, plan.level

        def apply_one(write: bulk.PlannedWrite) -> bulk.WriteResult:
            endpoint_id, planned = write.endpoint_id, write.plan
            seen: builtins.list[tuple[Permissions, acl.AclPlan | None]] = []
            if planned is None or endpoint_id is None or write.status == "not_granted":
                refusal = write.message or "nothing could be planned"
                return bulk.WriteResult(
                    write.endpoint,
                    endpoint_id,
                    principal,
                    level,
                    write.status,
                    False,
                    before=write.before,
                    after=write.before,
                    fingerprint=write.fingerprint,
                    error_code=write.error_code,
                    message=f"refused at the preview, nothing was sent: {refusal}",
                )
            try:
                back = self._acl.apply(
                    endpoint_id,
                    planned,
                    expected_fingerprint=planned.fingerprint,
                    force=force,
                    caller=caller,
                    observe=lambda read, _plan: seen.append((read, _plan)),
                )
                if planned.method is None:
                    acl.check_unchanged(planned.fingerprint, back.fingerprint)
            except ServingError as error:
                sent = _sent(planned if seen else None, error)
                read = seen[-1][0] if seen else None
                return bulk.refused(
                    write.endpoint,
                    endpoint_id,
                    principal,
                    level,
                    error,
                    read=read,
                    plan=planned,
                    sent=sent,
                )
            return bulk.written(write.endpoint, endpoint_id, principal, level, planned, back)

        results = self._concurrently(list(plan.writes), apply_one, on_each)
        return bulk.BulkResult(principal, level, tuple(results))

    def grant_many(
        self,
        endpoints: Iterable[str],
        level: str,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprints: Mapping[str, str] | None = None,
        force: bool = False,
    ) -> pd.DataFrame:
        """`grant` on each endpoint, concurrently over the client's bounded pool, under the
        same rules per endpoint (lock-out guard unless `force=True`; with
        `expected_fingerprints`, {endpoint: the fingerprint you reviewed} such as
        `plan_many(...).fingerprints`, an endpoint whose ACL changed since, or that has no
        fingerprint there, is refused as stale). A refusal or error on one endpoint is its row;
        the others go on. Returns one row per endpoint, in the order given: outcome (done,
        unchanged, stale, permission_denied, not_granted, locked_out, failed), sent, the exact
        call (method, path, body), the principal's direct level before and after, the
        fingerprint it was planned from, warnings, error_code and message."""
        if level is None:
            raise ClientValidationError("level: required to grant; use revoke_many to remove")
        kind, name = principal_from_keywords(user, group, service_principal)
        return self._write_many(
            endpoints, kind, name, level, expected_fingerprints, force
        ).to_frame()

    def revoke_many(
        self,
        endpoints: Iterable[str],
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprints: Mapping[str, str] | None = None,
        force: bool = False,
    ) -> pd.DataFrame:
        """`revoke` on each endpoint, as `grant_many` grants: an endpoint where the principal
        has no direct grant is refused as not_granted (nothing sent), the others go on."""
        kind, name = principal_from_keywords(user, group, service_principal)
        return self._write_many(
            endpoints, kind, name, None, expected_fingerprints, force
        ).to_frame()

    def _write_many(
        self,
        endpoints: Iterable[str],
        kind: str,
        name: str,
        level: str | None,
        expected_fingerprints: Mapping[str, str] | None,
        force: bool,
    ) -> bulk.BulkResult:
        bulk.check_request(kind, name, level)
        targets = self._endpoint_targets(endpoints)
        caller = self._caller()
        principal = (kind, name)
        planner = (
            revoke_planner(kind, name, caller=caller)
            if level is None
            else grant_planner(kind, name, level, caller=caller)
        )

        def write_one(endpoint: str) -> bulk.WriteResult:
            seen: builtins.list[tuple[Permissions, acl.AclPlan | None]] = []
            expected = None
            if expected_fingerprints is not None:
                expected = expected_fingerprints.get(endpoint)
                if expected is None:
                    error = acl.StaleAclError(
                        f"{endpoint}: expected_fingerprints has no fingerprint for it (its ACL "
                        "was not reviewed); nothing was sent. Preview it and pass its fingerprint"
                    )
                    return bulk.refused(endpoint, self._known_id(endpoint), principal, level, error)

            def observe(read: Permissions, planned: acl.AclPlan | None) -> None:
                seen.append((read, planned))

            try:
                back = self._by_id(
                    endpoint,
                    lambda endpoint_id: self._acl.write(
                        endpoint_id,
                        planner,
                        expected_fingerprint=expected,
                        force=force,
                        observe=observe,
                    ),
                )
            except ServingError as error:
                read, planned = seen[-1] if seen else (None, None)
                if planned is None and read is not None and isinstance(error, acl.StaleAclError):
                    planned = _plan_or_none(planner, read)  # the call refused, for the row
                endpoint_id = read.endpoint_id if read is not None else self._known_id(endpoint)
                return bulk.refused(
                    endpoint,
                    endpoint_id,
                    principal,
                    level,
                    error,
                    read=read,
                    plan=planned,
                    sent=_sent(planned, error),
                )
            read, planned = seen[-1]
            assert planned is not None  # a write returns only once it planned
            return bulk.written(endpoint, back.endpoint_id, principal, level, planned, back)

        return bulk.BulkResult(principal, level, tuple(self._concurrently(targets, write_one)))

    def _endpoint_targets(self, endpoints: Iterable[str] | None) -> builtins.list[str]:
        """The endpoints a many-endpoint call works on: every one listed, or those given
        (names or ids, each once), checked before anything is sent."""
        if endpoints is None:
            return [endpoint.name for endpoint in self.list()]
        if isinstance(endpoints, str):
            raise ClientValidationError(
                f"endpoints: a list of endpoint names or ids, got the string {endpoints!r}"
            )
        targets = builtins.list(endpoints)
        for index, endpoint in enumerate(targets):
            _checks.endpoint_name(endpoint, f"endpoints[{index}]")
        repeated = sorted({e for e in targets if targets.count(e) > 1})
        if repeated:
            raise ClientValidationError(f"endpoints: {', '.join(repeated)} given more than once")
        return targets

    def _concurrently(
        self,
        items: Sequence[_S],
        call: Callable[[_S], _T],
        on_each: Callable[[_T], None] | None = None,
    ) -> builtins.list[_T]:
        """`call` on each item over the client's bounded pool (`max_workers` threads); the
        results in the items' order. `on_each` sees each result as it comes, in this thread."""
        if not items:
            return []
        found: dict[int, _T] = {}
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            futures = {pool.submit(call, item): index for index, item in enumerate(items)}
            for future in as_completed(futures):
                result = future.result()
                found[futures[future]] = result
                if on_each is not None:
                    on_each(result)
        return [found[index] for index in range(len(items))]


def _plan_or_none(planner: Planner, read: Permissions) -> acl.AclPlan | None:
    try:
        return planner(read, True)
    except acl.AclError:
        return None


def _sent(planned: acl.AclPlan | None, error: ServingError) -> bool:
    """Whether a write that raised `error` had sent its request: it had a plan with a call,
    and the error came from the send or the read-back, not a refusal before sending."""
    return (
        planned is not None and planned.method is not None and not isinstance(error, acl.AclError)
    )
