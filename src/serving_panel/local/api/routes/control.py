"""/__local: this workspace's own control routes (not part of the Databricks API).

`/__local/openapi.json` serves the checked-in OpenAPI document of every route (no token).
`/__local/workers` lists the model server processes (admin only).
`/__local/faults` (GET, POST, DELETE) and `/__local/faults/release` (POST) exist only when the
workspace runs with faults enabled, and need an admin's token: rules and latency
(`api/faults.py`), and scenarios (`local/scenarios.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serving_panel.local.api.faults import Faults
from serving_panel.local.api.routes.common import caller, json_response, read_json, workspace
from serving_panel.local.api.scenarios import parse_scenarios
from serving_panel.local.state.errors import ApiError, invalid

_FAULT_FIELDS = ("rules", "latency_ms", "scenarios")

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


def _state(request: Request) -> dict[str, Any]:
    return {**_faults(request).state(), **workspace(request).scenarios.state()}


async def get_faults(request: Request) -> JSONResponse:
    _admin(request)
    return json_response(_state(request))


async def add_faults(request: Request) -> JSONResponse:
    """Adds rules and scenarios and sets the latency: all of the body, or (refused) none."""
    _admin(request)
    faults = _faults(request)
    body = await read_json(request)
    unknown = sorted(set(body) - set(_FAULT_FIELDS))
    if unknown:
        raise invalid(unknown[0], f"is not a field here (the fields: {', '.join(_FAULT_FIELDS)})")
    scenarios = parse_scenarios(body.get("scenarios"))
    faults.configure(body)  # checks everything before it changes anything
    workspace(request).scenarios.add(scenarios)
    return json_response(_state(request))


async def release_update(request: Request) -> JSONResponse:
    """Ends the endpoint's hold_update scenarios: its held update goes on to its end."""
    _admin(request)
    _faults(request)
    endpoint = (await read_json(request)).get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise invalid("endpoint", "is required: the name of the endpoint whose update to release")
    released = workspace(request).scenarios.release(endpoint)
    return json_response({"released": released, **_state(request)})


async def clear_faults(request: Request) -> JSONResponse:
    """Clears rules, latency and scenarios; held updates go on."""
    _admin(request)
    _faults(request).clear()
    workspace(request).scenarios.clear()
    return json_response(_state(request))


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
    Route("/__local/faults/release", release_update, methods=["POST"]),
]
