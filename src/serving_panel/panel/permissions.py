"""The permission editor's data source: the endpoint's ACL, change plans, and principal lookup.

Every write is planned by `serving_panel.acl` from a fresh read of the ACL, so a preview is
exactly what will be sent, and nothing is sent when the ACL changed after the user saw it.

Requests (the envelope is `protocol`'s):

``acl.read``  ``{}`` → ``{rows, direct, fingerprint, endpoint_id, caller, levels}``
    ``rows``: one per principal, level and origin (direct or inherited), as
    ``{kind, name, display_name, level, inherited, inherited_from: [...]}`` in the order the
    service lists them; ``direct``: the direct ACL as ``[{kind, name, level}]`` (what a PUT
    replaces); ``fingerprint``: `acl.fingerprint` of the direct ACL; ``caller``: who the panel's
    client is (``{kind, name}`` from SCIM ``Me``, or null when SCIM can't say); ``levels``: the
    levels a grant may have. A 403 comes back as a reply error with the service's message.

``acl.preview``  ``{fingerprint, changes: [{kind, name, level|null}]}`` →
``{method, body, describe, changes: [{kind, name, before, after, kind_of_change}], warnings,
lockout_warnings, stale, fingerprint, snippets}``
    The plan against a fresh read (null removes a direct grant). ``stale`` says the fresh
    fingerprint (returned) differs from the one shown; ``lockout_warnings`` are the plan's
    `AclPlan.lockouts`, which `acl.apply` wants confirmed. A plan `acl` refuses is a 400 with
    its message. ``snippets`` are the write's curl, databricks-sdk and CLI equivalents
    (snippets.py; no token), empty for a plan that sends nothing.

``acl.apply``  ``{fingerprint, changes, confirm_warnings}`` → the new ``acl.read`` result
    Plans against a fresh read and sends through `ServingClient.apply_plan` with the shown
    fingerprint, the client's one stale-ACL rule: an ACL changed since it was shown is a
    ``STALE_ACL`` (409) reply error and nothing is sent. A plan that removes the last direct
    CAN_MANAGE or the caller's own direct CAN_MANAGE (its `AclPlan.lockouts`) needs
    ``confirm_warnings: true`` (``CONFIRM_REQUIRED``, 409, otherwise), which is passed on as
    the client's ``force``. Then the change goes on the panel's timeline
    (`PanelHost.record_event`, kind ``permissions``) and the panel refreshes, so the header
    shows the caller's new level.

``principals.lookup``  ``{query}`` (at least 2 characters) → ``{results: [{kind, name,
display_name}], available}``
    SCIM users (userName or displayName contains the query), groups (displayName) and service
    principals (displayName or applicationId), 10 of each at most, through
    `ServingClient.find_principals`. ``available`` is false when SCIM answered none of the
    three (a workspace without SCIM access): type names instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import acl, snippets
from serving_panel._checks import MAX_PRINCIPAL_QUERY
from serving_panel.errors import ServingError
from serving_panel.panel.protocol import RequestError, invalid, request_error

if TYPE_CHECKING:
    from serving_panel.client import ServingClient
    from serving_panel.panel.protocol import PanelHost
    from serving_panel.types import Permissions

__all__ = ["LOOKUP_COUNT", "MIN_QUERY", "PanelPermissions", "install", "lookup_principals"]

#: Most results of each principal kind a lookup returns.
LOOKUP_COUNT = 10
#: Shortest query a lookup accepts; shorter ones would list half the workspace.
MIN_QUERY = 2
#: Most changes one plan may carry.
MAX_CHANGES = 500


class PanelPermissions:
    """The ``acl.*`` and ``principals.lookup`` handlers of one panel."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel

    # Handlers ------------------------------------------------------------------------------

    def read(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return self._view(self._read())

    def preview(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        shown = _fingerprint(payload)
        desired = _changes(payload)
        current = self._read()
        plan = self._plan(current, desired)
        endpoint_id = self._endpoint_id(current)
        copies = (
            snippets.permissions_write(endpoint_id, plan.method, plan.body)
            if plan.method is not None
            else {}
        )
        return {
            "method": plan.method,
            "body": plan.body,
            "describe": plan.describe(endpoint_id),
            "changes": [
                {
                    "kind": change.principal[0],
                    "name": change.principal[1],
                    "before": change.before,
                    "after": change.after,
                    "kind_of_change": change.kind_of_change,
                }
                for change in plan.changes
            ],
            "warnings": list(plan.warnings),
            "lockout_warnings": list(plan.lockouts),
            "stale": current.fingerprint != shown,
            "fingerprint": current.fingerprint,
            "snippets": copies,
        }

    def apply(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        shown = _fingerprint(payload)
        desired = _changes(payload)
        confirmed = payload.get("confirm_warnings", False)
        if not isinstance(confirmed, bool):
            raise invalid("confirm_warnings", f"must be true or false, got {confirmed!r}")
        current = self._read()
        try:  # stale first: a confirmation asked for a plan nobody reviewed would mislead
            acl.check_unchanged(shown, current.fingerprint)
        except acl.StaleAclError:
            raise _stale() from None
        plan = self._plan(current, desired)
        if plan.lockouts and not confirmed:
            raise RequestError(
                "This change needs confirmation; nothing was sent:\n"
                + "\n".join(f"- {warning}" for warning in plan.lockouts),
                error_code="CONFIRM_REQUIRED",
                status=409,
            )
        try:
            result = self._panel.client.apply_plan(
                self._panel.endpoint_name, plan, expected_fingerprint=shown, force=confirmed
            )
        except acl.StaleAclError:
            raise _stale() from None
        except ServingError as error:
            raise request_error(error) from None
        if plan.changes:
            self._panel.record_event("permissions", _summary(plan), link={"tab": "permissions"})
        # The header shows the caller's level; the ACL changed either way, so a failed
        # refresh must not turn this reply into an error.
        with contextlib.suppress(Exception):
            self._panel.refresh()
        return self._view(result)

    def lookup(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return lookup_principals(self._panel.client, payload)

    # Helpers -------------------------------------------------------------------------------

    def _read(self) -> Permissions:
        try:
            return self._panel.client.permissions(self._panel.endpoint_name)
        except ServingError as error:
            raise request_error(error) from None

    def _endpoint_id(self, permissions: Permissions) -> str:
        return permissions.endpoint_id or self._panel.client.endpoint_id(self._panel.endpoint_name)

    def _plan(
        self, current: Permissions, desired: dict[acl.PrincipalKey, str | None]
    ) -> acl.AclPlan:
        try:
            return acl.plan_changes(current.grants, desired, caller=self.caller())
        except acl.AclError as error:
            raise RequestError(
                str(error), error_code="INVALID_PARAMETER_VALUE", status=400
            ) from None

    def caller(self) -> acl.PrincipalKey | None:
        """Who the panel's client is, from SCIM ``Me`` (None when SCIM can't say)."""
        try:
            return self._panel.client.me().key
        except ServingError:
            return None

    def _view(self, permissions: Permissions) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        index: dict[tuple[str, str, str, bool], dict[str, Any]] = {}
        for grant in permissions.grants:
            key = (grant.kind, grant.name, grant.level, grant.inherited)
            row = index.get(key)
            if row is None:
                row = {
                    "kind": grant.kind,
                    "name": grant.name,
                    "display_name": grant.display_name,
                    "level": grant.level,
                    "inherited": grant.inherited,
                    "inherited_from": [],
                }
                index[key] = row
                rows.append(row)
            for source in grant.inherited_from:
                if source not in row["inherited_from"]:
                    row["inherited_from"].append(source)
        direct = acl.direct_acl(permissions.grants)
        caller = self.caller()
        return {
            "rows": rows,
            "direct": [
                {"kind": kind, "name": name, "level": level}
                for (kind, name), level in direct.items()
            ],
            "fingerprint": permissions.fingerprint,
            "endpoint_id": self._endpoint_id(permissions),
            "caller": None if caller is None else {"kind": caller[0], "name": caller[1]},
            "levels": list(acl.LEVELS),
        }


def install(panel: PanelHost) -> PanelPermissions:
    """Registers the permission editor's request kinds on `panel`."""
    permissions = PanelPermissions(panel)
    panel.register_request("acl.read", permissions.read)
    panel.register_request("acl.preview", permissions.preview)
    panel.register_request("acl.apply", permissions.apply)
    panel.register_request("principals.lookup", permissions.lookup)
    return permissions


def lookup_principals(client: ServingClient, payload: Mapping[str, Any]) -> dict[str, Any]:
    """``principals.lookup`` over `client` (the explorer answers it too, with no endpoint
    open)."""
    query = payload.get("query")
    if not isinstance(query, str):
        raise invalid("query", f"must be a string, got {query!r}")
    query = query.strip()
    if len(query) < MIN_QUERY:
        raise invalid("query", f"must have at least {MIN_QUERY} characters, got {query!r}")
    if len(query) > MAX_PRINCIPAL_QUERY:
        raise invalid("query", f"must have at most {MAX_PRINCIPAL_QUERY} characters")
    try:
        found = client.find_principals(query, limit=LOOKUP_COUNT)
    except ServingError:
        return {"results": [], "available": False}
    results = [{"kind": p.kind, "name": p.name, "display_name": p.display_name} for p in found]
    return {"results": results, "available": True}


# Payloads ------------------------------------------------------------------------------------


def _fingerprint(payload: Mapping[str, Any]) -> str:
    value = payload.get("fingerprint")
    if not isinstance(value, str) or not value:
        raise invalid("fingerprint", f"must be the fingerprint acl.read returned, got {value!r}")
    return value


def _changes(payload: Mapping[str, Any]) -> dict[acl.PrincipalKey, str | None]:
    """``changes`` as the planner's desired map; each entry checked, duplicates refused."""
    raw = payload.get("changes")
    if not isinstance(raw, list) or not raw:
        raise invalid("changes", "must be a non-empty list of {kind, name, level}")
    if len(raw) > MAX_CHANGES:
        raise invalid("changes", f"must hold at most {MAX_CHANGES} changes, got {len(raw)}")
    desired: dict[acl.PrincipalKey, str | None] = {}
    for position, item in enumerate(raw):
        field = f"changes[{position}]"
        if not isinstance(item, Mapping):
            raise invalid(field, "must be an object {kind, name, level}")
        kind = item.get("kind")
        if kind not in acl.KINDS:
            raise invalid(f"{field}.kind", f"must be one of {', '.join(acl.KINDS)}, got {kind!r}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid(f"{field}.name", f"must be a non-empty string, got {name!r}")
        if "level" not in item:
            raise invalid(f"{field}.level", "is required (null removes the direct grant)")
        level = item["level"]
        if level is not None and level not in acl.LEVELS:
            raise invalid(
                f"{field}.level",
                f"must be one of {', '.join(acl.LEVELS)} or null, got {level!r}",
            )
        key = (kind, name)
        if key in desired:
            raise invalid(field, f"{kind.replace('_', ' ')} {name} is listed twice")
        desired[key] = level
    return desired


def _summary(plan: acl.AclPlan) -> str:
    """One line for the timeline: "Permissions changed: user a@x.com CAN_VIEW → CAN_QUERY"."""
    said = [
        f"{kind.replace('_', ' ')} {name} {change.before or 'none'} → {change.after or 'none'}"
        for change in plan.changes
        for kind, name in [change.principal]
    ]
    return "Permissions changed: " + "; ".join(said)


# Errors --------------------------------------------------------------------------------------


def _stale() -> RequestError:
    return RequestError(
        "The endpoint's permissions changed since they were shown; nothing was sent. "
        "Review the current list and apply the change again.",
        error_code="STALE_ACL",
        status=409,
    )
