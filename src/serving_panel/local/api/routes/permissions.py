"""/api/2.0/permissions/serving-endpoints/{id}: read, replace (PUT) and merge (PATCH) the ACL."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving_panel.local.api import views
from serving_panel.local.api.routes.common import access, json_response, read_json, workspace
from serving_panel.local.state import auth
from serving_panel.local.state.errors import endpoint_id_not_found, invalid
from serving_panel.local.state.store import Endpoint, Principal, Store

PREFIX = "/api/2.0/permissions/serving-endpoints"
_KINDS = (
    ("user_name", "user"),
    ("group_name", "group"),
    ("service_principal_name", "service_principal"),
)


def _endpoint(request: Request) -> Endpoint:
    endpoint_id = request.path_params["endpoint_id"]
    found = workspace(request).store.endpoint_by_id(endpoint_id)
    if found is None:
        raise endpoint_id_not_found(endpoint_id)
    return found


def _entries(store: Store, body: dict[str, Any]) -> list[tuple[Principal, str]]:
    """The request's access_control_list, every principal resolved, or a 400 naming the entry."""
    raw = body.get("access_control_list", [])
    if not isinstance(raw, list):
        raise invalid("access_control_list", "must be a list")
    entries: dict[int, tuple[Principal, str]] = {}
    for index, item in enumerate(raw):
        field = f"access_control_list[{index}]"
        if not isinstance(item, dict):
            raise invalid(field, "must be a JSON object")
        given = [(key, kind) for key, kind in _KINDS if item.get(key) is not None]
        if len(given) != 1:
            raise invalid(
                field, "exactly one of user_name, group_name or service_principal_name is required"
            )
        [(key, kind)] = given
        name = item[key]
        level = auth.check_level(item.get("permission_level"), f"{field}.permission_level")
        if kind == "group" and name == auth.ADMINS_GROUP:
            raise invalid(
                f"{field}.group_name",
                "the admins group always has CAN_MANAGE on every endpoint and can't be changed",
            )
        principal = store.find_principal(kind, name) if isinstance(name, str) else None
        if principal is None:
            raise invalid(f"{field}.{key}", f"principal {name!r} does not exist in this workspace")
        entries[principal.id] = (principal, level)
    return list(entries.values())


async def get_permissions(request: Request) -> JSONResponse:
    granted = access(request, "CAN_VIEW", "reading its permissions", _endpoint)
    return json_response(
        views.permissions(granted.endpoint, granted.ws.store.acl(granted.endpoint.id))
    )


async def _write(request: Request, *, replace: bool) -> JSONResponse:
    """PUT replaces the direct ACL; PATCH merges into it. Both answer the whole ACL."""
    granted = access(request, "CAN_MANAGE", "changing permissions", _endpoint)
    store, endpoint = granted.ws.store, granted.endpoint
    entries = _entries(store, await read_json(request, optional=True))
    (store.set_acl if replace else store.merge_acl)(endpoint.id, entries)
    return json_response(views.permissions(endpoint, store.acl(endpoint.id)))


async def set_permissions(request: Request) -> JSONResponse:
    return await _write(request, replace=True)


async def update_permissions(request: Request) -> JSONResponse:
    return await _write(request, replace=False)


async def permission_levels(request: Request) -> JSONResponse:
    access(request, "CAN_VIEW", "reading permission levels", _endpoint)
    return json_response(
        {
            "permission_levels": [
                {"permission_level": level, "description": auth.LEVEL_DESCRIPTIONS[level]}
                for level in auth.LEVELS
            ]
        }
    )


routes = [
    Route(PREFIX + "/{endpoint_id}", get_permissions, methods=["GET"]),
    Route(PREFIX + "/{endpoint_id}", set_permissions, methods=["PUT"]),
    Route(PREFIX + "/{endpoint_id}", update_permissions, methods=["PATCH"]),
    Route(PREFIX + "/{endpoint_id}/permissionLevels", permission_levels, methods=["GET"]),
]
