"""/__local: this workspace's own control routes (not part of the Databricks API).

`/__local/openapi.json` serves the checked-in OpenAPI document of every route (no token).
`/__local/workers` lists the model server processes (admin only).
`/__local/faults` (GET, POST, DELETE) exists only when the workspace runs with faults enabled,
and needs an admin's token.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serving_panel.local.api.faults import Faults
from serving_panel.local.api.routes.common import caller, json_response, read_json
from serving_panel.local.state.errors import ApiError

OPENAPI_DOCUMENT = Path(__file__).resolve().parents[1] / "openapi.json"


async def openapi_document(request: Request) -> Response:
    """The contract of this workspace's routes, as checked in next to the code."""
    return Response(OPENAPI_DOCUMENT.read_bytes(), media_type="application/json")


def _admin(request: Request) -> None:
    who = caller(request)
    if not who.is_admin:
        raise ApiError(403, "PERMISSION_DENIED", f"User {who.label} is not a workspace admin.")


def _faults(request: Request) -> Faults:
    faults: Faults | None = request.app.state.faults
    if faults is None:
        raise ApiError(
            404,
            "ENDPOINT_NOT_FOUND",
            "Fault injection is off; start the workspace with --enable-faults.",
        )
    return faults


async def get_faults(request: Request) -> JSONResponse:
    _admin(request)
    return json_response(_faults(request).state())


async def add_faults(request: Request) -> JSONResponse:
    _admin(request)
    faults = _faults(request)
    faults.configure(await read_json(request))
    return json_response(faults.state())


async def clear_faults(request: Request) -> JSONResponse:
    _admin(request)
    faults = _faults(request)
    faults.clear()
    return json_response(faults.state())


async def list_workers(request: Request) -> JSONResponse:
    """The model servers this workspace runs: state, pid, port and restarts."""
    _admin(request)
    supervisor = request.app.state.workspace.supervisor
    return json_response({"workers": supervisor.describe()})


routes = [
    Route("/__local/workers", list_workers, methods=["GET"]),
    Route("/__local/openapi.json", openapi_document, methods=["GET"]),
    Route("/__local/faults", get_faults, methods=["GET"]),
    Route("/__local/faults", add_faults, methods=["POST"]),
    Route("/__local/faults", clear_faults, methods=["DELETE"]),
]
