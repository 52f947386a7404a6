"""The explorer's Access view and grants across endpoints, Python side (↔ js/src/explorer/
access.ts, access-view.tsx, grants.tsx): who can reach which endpoint, read over the client's
bounded pool in batches the browser asks for (it shows the progress), and one grant or revoke
previewed on the selected endpoints, then applied exactly as previewed.

Rows travel as replies, never as synced state. Every string is server text (endpoint and
principal names, messages): the view renders it as text.

Requests (the envelope is `protocol`'s):

``explorer.access``  ``{names?: [str]}`` (1 to `MAX_BATCH`; without names, every endpoint
listed) → ``{endpoints: [Access]}``, in the order asked
    An Access is ``{endpoint, endpoint_id, readable, error: ErrorView|null, entries:
    [{kind, principal, display_name, level, direct_level, inherited, source}]}``: per
    principal its effective level (the highest it holds), its direct grant, whether the level
    comes only through inheritance, and where from ("direct", or the objects inherited from).
    An ACL that could not be read (a 403, an endpoint deleted meanwhile) is that endpoint's
    ``error`` with ``readable`` false, never the request's.
``explorer.grants.preview``  ``{names: [str], kind, name, level: str|null}`` →
``{plan_id, principal: {kind, name}, level, writes: [Write]}``
    `ServingClient.plan_many`: nothing is sent. ``level`` null removes the direct grant. A
    Write is ``{endpoint, endpoint_id, status, method, path, body, before, after, warnings,
    error_code, message}``; ``status`` is one of `bulk.STATUSES` (send, unchanged,
    permission_denied, not_granted, locked_out, failed). The plan is kept under ``plan_id``.
``explorer.grants.apply``  ``{plan_id, force: bool}`` → ``{ok, results: [Result]}``
    `ServingClient.apply_many` of exactly the plan previewed (an endpoint whose ACL changed
    since is refused as stale, nothing sent). ``force`` true applies the locked-out writes too
    (the user confirmed); otherwise they stay refused. A Result is a Write with ``outcome``
    (one of `bulk.OUTCOMES`) and ``sent`` in place of ``status``. One result per endpoint of
    the plan: nothing is skipped in silence. A plan is applied at most once.
``principals.lookup``  ``{query}`` → as the panel's (permissions.py), on the explorer's own
    router too, so the grants form (the permissions tab's AddRow) finds principals while no
    endpoint is open.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import acl, bulk
from serving_panel.errors import ServingError
from serving_panel.panel.permissions import lookup_principals
from serving_panel.panel.protocol import error_view, invalid, request_error

if TYPE_CHECKING:
    from serving_panel.client import ServingClient

__all__ = ["MAX_BATCH", "MAX_PLANS", "ExplorerAccess", "access_view"]

#: Endpoints per `explorer.access` or `explorer.grants.preview` request, at most.
MAX_BATCH = 200
#: Previews kept for `explorer.grants.apply` (the oldest go first).
MAX_PLANS = 8


def access_view(access: bulk.EndpointAccess) -> dict[str, Any]:
    """One endpoint's access as the Access view reads it (the module docstring's Access)."""
    return {
        "endpoint": access.endpoint,
        "endpoint_id": access.endpoint_id,
        "readable": access.readable,
        "error": None if access.error is None else error_view(access.error),
        "entries": [
            {
                "kind": entry.kind,
                "principal": entry.principal,
                "display_name": entry.display_name,
                "level": entry.level,
                "direct_level": entry.direct_level,
                "inherited": entry.inherited,
                "source": entry.source,
            }
            for entry in access.entries
        ],
    }


def _call(write: bulk.PlannedWrite | bulk.WriteResult) -> dict[str, Any]:
    return {
        "endpoint": write.endpoint,
        "endpoint_id": write.endpoint_id,
        "method": write.method,
        "path": write.path,
        "body": None if write.body is None else json.dumps(write.body, sort_keys=True),
        "before": write.before,
        "after": write.after,
        "warnings": list(write.warnings),
        "error_code": write.error_code,
        "message": write.message,
    }


class ExplorerAccess:
    """The ``explorer.access``, ``explorer.grants.*`` and ``principals.lookup`` handlers."""

    def __init__(self, client: ServingClient) -> None:
        self._client = client
        self._plans: dict[str, bulk.BulkPlan] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def access(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        names = _names(payload, required=False)
        try:
            accesses = self._client.access(names)
        except ServingError as error:  # the list, when no names were given
            raise request_error(error) from None
        return {"endpoints": [access_view(access) for access in accesses]}

    def preview(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        names = _names(payload, required=True) or []
        kind, name = payload.get("kind"), payload.get("name")
        if kind not in acl.KINDS:
            raise invalid("kind", f"must be one of {', '.join(acl.KINDS)}, got {kind!r}")
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", f"must be a non-empty principal name, got {name!r}")
        if "level" not in payload:
            raise invalid("level", "is required (null removes the direct grant)")
        level = payload["level"]
        if level is not None and level not in acl.LEVELS:
            raise invalid("level", f"must be one of {', '.join(acl.LEVELS)} or null")
        try:
            plan = self._client.plan_many(
                names,
                level,
                user=name if kind == "user" else None,
                group=name if kind == "group" else None,
                service_principal=name if kind == "service_principal" else None,
            )
        except ServingError as error:
            raise request_error(error) from None
        with self._lock:
            plan_id = f"plan-{next(self._ids)}"
            self._plans[plan_id] = plan
            while len(self._plans) > MAX_PLANS:
                del self._plans[next(iter(self._plans))]
        return {
            "plan_id": plan_id,
            "principal": {"kind": kind, "name": name},
            "level": level,
            "writes": [{**_call(w), "status": w.status} for w in plan.writes],
        }

    def apply(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        plan_id, force = payload.get("plan_id"), payload.get("force", False)
        if not isinstance(force, bool):
            raise invalid("force", f"must be true or false, got {force!r}")
        with self._lock:
            plan = self._plans.pop(plan_id, None) if isinstance(plan_id, str) else None
        if plan is None:
            raise invalid("plan_id", "no such preview here (applied already, or too old)")
        try:
            result = self._client.apply_many(plan, force=force)
        except ServingError as error:
            raise request_error(error) from None
        return {
            "ok": result.ok,
            "results": [{**_call(r), "outcome": r.outcome, "sent": r.sent} for r in result.results],
        }

    def principals(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return lookup_principals(self._client, payload)


def _names(payload: Mapping[str, Any], *, required: bool) -> list[str] | None:
    names = payload.get("names")
    if names is None and not required:
        return None
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(name, str) and name for name in names)
    ):
        raise invalid("names", "must be a non-empty list of endpoint names")
    if len(names) > MAX_BATCH:
        raise invalid("names", f"at most {MAX_BATCH} per request, got {len(names)}")
    return list(dict.fromkeys(names))
