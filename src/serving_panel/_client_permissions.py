"""One endpoint's ACL: read it; grant, revoke, send a reviewed plan or a raw PUT/PATCH.

Apart from the endpoint writes because the permissions API is another API
(`/api/2.0/permissions/serving-endpoints/{id}`, by endpoint id, not name) whose writes go
through `_acl_writes` (one lock per endpoint, a fresh read before each send, a read-back
after); the same rules serve the many-endpoint writes (`_client_bulk`).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from serving_panel import acl
from serving_panel._acl_writes import AclWrites, Planner, grant_planner, revoke_planner
from serving_panel._client_principals import PrincipalMethods
from serving_panel.errors import ApiError, ClientValidationError
from serving_panel.types import PermissionLevel, Permissions

PERMISSIONS = "/api/2.0/permissions/serving-endpoints"


class PermissionMethods(PrincipalMethods):
    """`ServingClient`'s single-endpoint permission reads and writes."""

    _acl: AclWrites

    def permissions(self, endpoint: str) -> Permissions:
        return self._by_id(endpoint, self._read_permissions)

    def _read_permissions(self, endpoint_id: str) -> Permissions:
        return Permissions.from_json(self._json("GET", f"{PERMISSIONS}/{endpoint_id}"))

    def _send_permissions(
        self, endpoint_id: str, method: str, body: Mapping[str, Any]
    ) -> Permissions:
        answer = self._json(method, f"{PERMISSIONS}/{endpoint_id}", dict(body))
        return Permissions.from_json(answer)

    def permission_levels(self, endpoint: str) -> builtins.list[PermissionLevel]:
        def read(endpoint_id: str) -> Any:
            return self._json("GET", f"{PERMISSIONS}/{endpoint_id}/permissionLevels")

        answer = self._by_id(endpoint, read)
        return [PermissionLevel.from_json(level) for level in answer.get("permission_levels") or []]

    def set_permissions(
        self, endpoint: str, access_control_list: Sequence[Mapping[str, Any]]
    ) -> Permissions:
        """PUT: replaces every direct grant with this list. Prefer `grant` and `revoke`."""
        body = {"access_control_list": [dict(entry) for entry in access_control_list]}
        return self._by_id(endpoint, lambda endpoint_id: self._acl.send(endpoint_id, "PUT", body))

    def update_permissions(
        self, endpoint: str, access_control_list: Sequence[Mapping[str, Any]]
    ) -> Permissions:
        """PATCH: adds or changes the listed principals' grants, leaving the others alone."""
        body = {"access_control_list": [dict(entry) for entry in access_control_list]}
        return self._by_id(endpoint, lambda endpoint_id: self._acl.send(endpoint_id, "PATCH", body))

    def apply_plan(
        self,
        endpoint: str,
        plan: acl.AclPlan,
        *,
        expected_fingerprint: str | None = None,
        force: bool = False,
    ) -> Permissions:
        """Sends a plan made from a read of the ACL, PATCH or PUT alike, under one stale-ACL
        rule: the plan must come from the ACL the user reviewed (`expected_fingerprint`, the
        `Permissions.fingerprint` shown, when given), and a re-read just before sending must
        find that ACL unchanged. Otherwise `StaleAclError`, and nothing is sent. Lock-outs
        (`AclPlan.lockouts`, yours included) need `force=True`, else `LockoutError`.
        Returns the ACL read back after the send (`AclWriteLostError` if someone undid it: a
        reviewed plan is never re-planned); a plan without a change sends nothing."""
        return self._by_id(
            endpoint,
            lambda endpoint_id: self._acl.apply(
                endpoint_id,
                plan,
                expected_fingerprint=expected_fingerprint,
                force=force,
                caller=None if force else self._caller(),
            ),
        )

    def grant(
        self,
        endpoint: str,
        level: str,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprint: str | None = None,
        force: bool = False,
    ) -> Permissions:
        """Gives one principal a direct level (a PATCH: nobody else's grant is touched) and
        returns the ACL read back after it. See `revoke` for how concurrent writers are met;
        lowering your own CAN_MANAGE, or the last direct one, needs `force=True`."""
        kind, name = principal_from_keywords(user, group, service_principal)
        plan = grant_planner(kind, name, level, caller=self._caller())
        return self._write(endpoint, plan, expected_fingerprint, force)

    def revoke(
        self,
        endpoint: str,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprint: str | None = None,
        force: bool = False,
    ) -> Permissions:
        """Removes one principal's direct grant: a PUT of the full direct list without it,
        planned from a read made just before it is sent; returns the ACL read back after it.

        Refuses, sending nothing:
        - `NotGrantedError` when the principal has no direct grant (a typo, or revoked already;
          inherited grants can't be revoked here): the message says what it does hold. Catch
          it to make a revoke idempotent.
        - `LockoutError` when it would remove your own CAN_MANAGE or the last direct
          CAN_MANAGE, unless `force=True`.
        - `StaleAclError` when `expected_fingerprint` (the `Permissions.fingerprint` you
          reviewed) no longer matches.

        This client's writes to one endpoint never interleave (threads sharing it lose
        nothing); a write another process undoes is sent again, a few times at most (never when
        reviewed: `AclWriteLostError`). See `_acl_writes` and the README's permissions section.
        """
        kind, name = principal_from_keywords(user, group, service_principal)
        plan = revoke_planner(kind, name, caller=self._caller())
        return self._write(endpoint, plan, expected_fingerprint, force)

    def _write(
        self, endpoint: str, plan: Planner, expected_fingerprint: str | None, force: bool
    ) -> Permissions:
        return self._by_id(
            endpoint,
            lambda endpoint_id: self._acl.write(
                endpoint_id, plan, expected_fingerprint=expected_fingerprint, force=force
            ),
        )

    def _caller(self) -> acl.PrincipalKey | None:
        """Who the lock-out guard protects; None when SCIM can't say (the last-manager rule
        still holds then)."""
        try:
            return self.me().key
        except ApiError:
            return None


def principal_from_keywords(
    user: str | None, group: str | None, service_principal: str | None
) -> tuple[str, str]:
    """(kind, name) of the one principal given as `user=`, `group=` or `service_principal=`."""
    given = [
        (kind, value)
        for kind, value in (
            ("user", user),
            ("group", group),
            ("service_principal", service_principal),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise ClientValidationError(
            "principal: give exactly one of user=, group= or service_principal="
        )
    return given[0]
