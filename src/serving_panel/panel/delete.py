"""Deleting the endpoint from the panel: first what will be lost, then a typed confirmation.

The Databricks CLI deletes an endpoint the moment it is asked to; the panel instead shows what
goes with it (served entities, traffic routes, who can query it), offers the configuration and
the ACL as JSON to save, and deletes only when the endpoint's name is typed exactly.

Requests (the envelope is `protocol`'s):

``delete.summary``  ``{}`` → ``{name, id, entities, routes, who_can_query, can_manage,
permission_level, permissions_error, export, snippets}``
    Read fresh (GET the endpoint, GET its permissions). ``entities`` are the served entity
    names of the current config, then any only in the pending one; ``routes`` are the current
    config's ``{entity, percentage}``; ``who_can_query`` lists each principal that can query
    (CAN_QUERY or CAN_MANAGE) as ``{kind, name, level, inherited}``: its highest such level,
    ``inherited`` when it holds that level only through inheritance. ``can_manage`` says
    whether the caller's ``permission_level`` (also given) is CAN_MANAGE, which deleting needs.
    ``export`` is ``{endpoint, permissions}``: the GET answers exactly as the service gave
    them (the endpoint's GET holds no token); ``ServingClient.restore`` takes it back. When
    reading the ACL fails, ``permissions`` is null, ``export.permissions_note`` and
    ``permissions_error`` say why, and ``who_can_query`` is null (unknown, not nobody).

``delete.confirm``  ``{typed_name}`` → ``{deleted: true}``
    Deletes only when ``typed_name`` is the endpoint's name exactly (case-sensitive); otherwise
    a 400 INVALID_PARAMETER_VALUE and nothing is sent. After the delete the panel's snapshot
    keeps what was shown, gains ``deleted: true`` and an error saying so, and auto refresh
    stops.

API errors come back as reply errors with the service's own message, code and status: a 403
says that deleting needs CAN_MANAGE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import snippets
from serving_panel.errors import ApiError, ServingError
from serving_panel.panel.protocol import ErrorView, error_view, invalid, request_error
from serving_panel.panel.snapshot import deleted

if TYPE_CHECKING:
    from serving_panel.panel.protocol import PanelHost
    from serving_panel.types import Endpoint, Permissions

__all__ = ["PanelDelete", "install", "who_can_query"]

#: Levels that allow querying, lowest first.
_QUERY_LEVELS = ("CAN_QUERY", "CAN_MANAGE")


class PanelDelete:
    """The `delete.summary` and `delete.confirm` handlers of one panel."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel

    def summary(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        client = self._panel.client
        name = self._panel.endpoint_name
        try:
            endpoint = client.get(name)
        except ServingError as error:
            raise request_error(error) from None
        permissions: Permissions | None = None
        permissions_error: ErrorView | None = None
        try:
            permissions = client.permissions(endpoint.id or name)
        except ApiError as error:
            permissions_error = error_view(error)
        except ServingError as error:
            raise request_error(error) from None
        export: dict[str, Any] = {
            "endpoint": endpoint.to_json(),
            "permissions": None if permissions is None else permissions.to_json(),
        }
        if permissions_error is not None:
            export["permissions_note"] = (
                f"The permissions could not be read: {permissions_error['message']} "
                f"({permissions_error['error_code']}, {permissions_error['status']})"
            )
        return {
            "name": endpoint.name,
            "id": endpoint.id,
            "entities": _entity_names(endpoint),
            "routes": [
                {"entity": route.served_entity_name, "percentage": route.traffic_percentage}
                for route in (endpoint.config.routes if endpoint.config is not None else ())
            ],
            "who_can_query": None if permissions is None else who_can_query(permissions),
            "can_manage": endpoint.permission_level == "CAN_MANAGE",
            "permission_level": endpoint.permission_level,
            "permissions_error": permissions_error,
            "export": export,
            "snippets": snippets.delete(endpoint.name),
        }

    def confirm(self, payload: Mapping[str, Any]) -> dict[str, bool]:
        panel = self._panel
        typed = payload.get("typed_name")
        if not isinstance(typed, str):
            raise invalid("typed_name", f"must be a string, got {typed!r}")
        if typed != panel.endpoint_name:
            raise invalid("typed_name", "type the endpoint's name exactly to delete it")
        try:
            panel.client.delete(panel.endpoint_name)
        except ServingError as error:
            raise request_error(error) from None
        panel.publish(deleted(panel.snapshot))
        return {"deleted": True}


def install(panel: PanelHost) -> PanelDelete:
    """Registers the delete dialog's request kinds on `panel`."""
    handlers = PanelDelete(panel)
    panel.register_request("delete.summary", handlers.summary)
    panel.register_request("delete.confirm", handlers.confirm)
    return handlers


def who_can_query(permissions: Permissions) -> list[dict[str, Any]]:
    """Each principal able to query, once: its highest querying level, and whether it holds
    that level only through inheritance. In the ACL's order."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for grant in permissions.grants:
        if grant.level not in _QUERY_LEVELS:
            continue
        key = (grant.kind, grant.name)
        seen = best.get(key)
        rank = _QUERY_LEVELS.index(grant.level)
        if seen is None or rank > _QUERY_LEVELS.index(seen["level"]):
            best[key] = {
                "kind": grant.kind,
                "name": grant.name,
                "level": grant.level,
                "inherited": grant.inherited,
            }
        elif rank == _QUERY_LEVELS.index(seen["level"]) and not grant.inherited:
            seen["inherited"] = False
    return list(best.values())


def _entity_names(endpoint: Endpoint) -> list[str]:
    names: list[str] = []
    for config in (endpoint.config, endpoint.pending_config):
        if config is None:
            continue
        for entity in config.served_entities:
            if entity.name not in names:
                names.append(entity.name)
    return names
