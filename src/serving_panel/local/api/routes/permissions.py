"""/api/2.0/permissions/serving-endpoints/{id}: read, replace (PUT) and merge (PATCH) the ACL."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving_panel.local import operations
from serving_panel.local.api import views
from serving_panel.local.api.routes.common import access, json_response, read_json, workspace
from serving_panel.local.state import auth
from serving_panel.local.state.errors import endpoint_id_not_found
from serving_panel.local.state.store import Endpoint

PREFIX = "/api/2.0/permissions/serving-endpoints"


def _endpoint(request: Request) -> Endpoint:
    endpoint_id = request.path_params["endpoint_id"]
    found = workspace(request).store.endpoint_by_id(endpoint_id)
    if found is None:
        raise endpoint_id_not_found(endpoint_id)
    return found


async def get_permissions(request: Request) -> JSONResponse:
    granted = access(request, "CAN_VIEW", "reading its permissions", _endpoint)
    return json_response(
        views.permissions(granted.endpoint, granted.ws.store.acl(granted.endpoint.id))
    )


async def _write(request: Request, *, replace: bool) -> JSONResponse:
    """PUT replaces the direct ACL; PATCH merges into it. Both answer the whole ACL."""
    granted = access(request, "CAN_MANAGE", "changing permissions", _endpoint)
    body = await read_json(request, optional=True)
    write = operations.set_permissions if replace else operations.update_permissions
    acl = write(granted.ws, granted.guard, granted.endpoint, body)
    return json_response(views.permissions(granted.endpoint, acl))


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
