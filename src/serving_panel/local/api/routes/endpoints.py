"""/api/2.0/serving-endpoints: create, list, get, delete, config, logs, metrics and attributes,
the provisioned-throughput create and config update (`/pt`), and the external-function call."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serving_panel import _wire
from serving_panel.local import operations
from serving_panel.local.api import views
from serving_panel.local.api.routes.common import (
    access,
    caller,
    json_response,
    read_json,
    workspace,
)
from serving_panel.local.state import auth
from serving_panel.local.state.errors import (
    ApiError,
    invalid,
    served_model_not_found,
)
from serving_panel.local.state.store import Endpoint

PREFIX = "/api/2.0/serving-endpoints"


async def create(request: Request) -> JSONResponse:
    who = caller(request)
    endpoint = operations.create_endpoint(
        workspace(request), who.principal, await read_json(request)
    )
    return json_response(views.detailed(endpoint, "CAN_MANAGE"))


async def create_pt(request: Request) -> JSONResponse:
    who = caller(request)
    endpoint = operations.create_pt_endpoint(
        workspace(request), who.principal, await read_json(request)
    )
    return json_response(views.detailed(endpoint, "CAN_MANAGE"))


async def list_endpoints(request: Request) -> JSONResponse:
    who = caller(request)
    ws = workspace(request)
    visible = [
        views.summary(e)
        for e in ws.store.list_endpoints()
        if auth.effective_level(ws.store, who, e.id) is not None
    ]
    return json_response({"endpoints": visible})


async def get(request: Request) -> JSONResponse:
    granted = access(request, "CAN_VIEW", "reading it")
    return json_response(views.detailed(granted.endpoint, granted.level))


async def delete(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "deleting it")
    ws, endpoint = granted.ws, granted.endpoint
    operations.delete_endpoint(ws, granted.guard, endpoint)
    return json_response({})


async def update_config(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "updating its config")
    body = await read_json(request)
    updated = operations.update_config(granted.ws, granted.guard, granted.endpoint, body)
    return json_response(views.detailed(updated, granted.level))


async def update_pt_config(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "updating its config")
    body = await read_json(request)
    updated = operations.update_pt_config(granted.ws, granted.guard, granted.endpoint, body)
    return json_response(views.detailed(updated, granted.level))


async def stop(request: Request) -> JSONResponse:
    """POST config:stop (third-party notes, wire-fidelity §8). Its model servers are stopped
    before the answer, off the event loop."""
    granted = access(request, "CAN_MANAGE", "stopping it")
    stopped = await run_in_threadpool(
        operations.stop_endpoint, granted.ws, granted.guard, granted.endpoint
    )
    return json_response(views.detailed(stopped, granted.level))


async def start(request: Request) -> JSONResponse:
    """POST config:start: the stopped config comes back as a new config version, built."""
    granted = access(request, "CAN_MANAGE", "starting it")
    started = operations.start_endpoint(granted.ws, granted.guard, granted.endpoint)
    return json_response(views.detailed(started, granted.level))


def _entity_names(endpoint: Endpoint) -> list[str]:
    names: list[str] = []
    for config in (endpoint.pending_config, endpoint.config):
        for entity in (config or {}).get("served_entities", []):
            if entity["name"] not in names:
                names.append(entity["name"])
    return names


def _built_in(endpoint: Endpoint, entity_name: str, config_version: int | None) -> int | None:
    """The config version whose build produced the entity as that config serves it."""
    for config in (endpoint.pending_config, endpoint.config):
        if config is None:
            continue
        if config_version is not None and int(config["config_version"]) != config_version:
            continue
        for entity in config.get("served_entities", []):
            if entity["name"] == entity_name:
                return int(entity.get("_built_in", config["config_version"]))
    return config_version


async def _config_version(request: Request) -> int | None:
    """`config_version` from the query string or, as the Databricks docs show, a GET body."""
    raw: Any = request.query_params.get("config_version")
    if raw is None:
        body = await read_json(request, optional=True)
        raw = body.get("config_version")
    if raw is None or raw == "":
        return None
    whole_float = isinstance(raw, float) and raw.is_integer()
    digits = isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 18
    if whole_float or digits:
        raw = int(raw)
    # int64, as the API's field; a larger number would also make a log file name too long.
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw < 2**63:
        shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:40] + "..."
        raise invalid("config_version", f"must be a positive 64-bit integer, got {shown}")
    return raw


async def _log(request: Request, kind: str) -> JSONResponse:
    """Build or server logs of a served entity, for the config version asked (or the newest)."""
    granted = access(request, "CAN_MANAGE", f"reading {kind} logs")
    endpoint = granted.endpoint
    served = request.path_params["served_model"]
    version = await _config_version(request)
    names = _entity_names(endpoint)
    # A name no entity can have (too long, a dot, a slash) names no log: say so before it
    # reaches the file system.
    if _wire.name_problem(served, "served entity name") is not None:
        raise served_model_not_found(endpoint.name, served, names)
    # Build logs of an entity an older config served stay readable by config_version.
    if served not in names and (kind == "server" or version is None):
        raise served_model_not_found(endpoint.name, served, names)
    built_in = _built_in(endpoint, served, version)
    text = None if built_in is None else granted.ws.logs.read(endpoint.id, served, built_in, kind)
    if text is None and kind == "build":
        if served not in names:
            raise served_model_not_found(endpoint.name, served, names)
        if version is not None:
            raise ApiError(
                404,
                "RESOURCE_DOES_NOT_EXIST",
                f"No build logs for served model '{served}' in config version {version}.",
            )
    return json_response({"logs": text or ""})


async def build_logs(request: Request) -> JSONResponse:
    return await _log(request, "build")


async def server_logs(request: Request) -> JSONResponse:
    return await _log(request, "server")


async def metrics(request: Request) -> Response:
    granted = access(request, "CAN_VIEW", "reading metrics")
    text = granted.ws.metrics.text(granted.endpoint.id, granted.endpoint.config)
    return Response(text, media_type="text/plain; version=0.0.4")


async def openapi(request: Request) -> JSONResponse:
    """The query schema, served as the service does: only when the endpoint is READY and each
    model it serves was logged with a signature (the errors otherwise are this workspace's
    wording; the service's is unknown)."""
    granted = access(request, "CAN_VIEW", "reading its OpenAPI")
    endpoint = granted.endpoint
    signatures = operations.invocation_signatures(granted.ws, endpoint)
    server = f"{str(request.base_url).rstrip('/')}/serving-endpoints/{endpoint.name}"
    return json_response(views.invocation_openapi(endpoint, server, signatures))


async def patch_tags(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "changing its tags")
    body = await read_json(request, optional=True)
    tags = operations.update_tags(granted.ws, granted.guard, granted.endpoint, body)
    return json_response({"tags": tags})


async def put_ai_gateway(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "changing its AI gateway")
    body = await read_json(request, optional=True)
    return json_response(
        operations.set_ai_gateway(granted.ws, granted.guard, granted.endpoint, body)
    )


async def put_rate_limits(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "changing rate limits")
    body = await read_json(request, optional=True)
    limits = operations.set_rate_limits(granted.ws, granted.guard, granted.endpoint, body)
    return json_response({"rate_limits": limits})


async def patch_notifications(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "changing its notifications")
    body = await read_json(request, optional=True)
    notifications = operations.update_notifications(
        granted.ws, granted.guard, granted.endpoint, body
    )
    return json_response({"email_notifications": notifications, "name": granted.endpoint.name})


async def patch_telemetry_config(request: Request) -> JSONResponse:
    granted = access(request, "CAN_MANAGE", "changing its telemetry config")
    body = await read_json(request, optional=True)
    updated = operations.set_telemetry_config(granted.ws, granted.guard, granted.endpoint, body)
    return json_response(views.detailed(updated, granted.level))


async def external_function(request: Request) -> JSONResponse:
    """databricks-sdk's `serving_endpoints.http_request`; it lives under /api/2.0 but the SDK
    files it with serving endpoints, so it does here too."""
    caller(request)
    operations.external_function(await read_json(request))  # always refuses: no connections


_ONE = PREFIX + "/{name}"
_SERVED = _ONE + "/served-models/{served_model}"

routes = [
    Route(PREFIX, create, methods=["POST"]),
    Route(PREFIX + "/", create, methods=["POST"]),
    Route(PREFIX + "/pt", create_pt, methods=["POST"]),
    Route(PREFIX + "/pt/{name}/config", update_pt_config, methods=["PUT"]),
    Route(PREFIX, list_endpoints, methods=["GET"]),
    Route(PREFIX + "/", list_endpoints, methods=["GET"]),
    Route(_ONE, get, methods=["GET"]),
    Route(_ONE, delete, methods=["DELETE"]),
    Route(_ONE + "/config", update_config, methods=["PUT"]),
    Route(_ONE + "/config:stop", stop, methods=["POST"]),
    Route(_ONE + "/config:start", start, methods=["POST"]),
    Route(_SERVED + "/build-logs", build_logs, methods=["GET"]),
    Route(_SERVED + "/logs", server_logs, methods=["GET"]),
    Route(_ONE + "/metrics", metrics, methods=["GET"]),
    Route(_ONE + "/openapi", openapi, methods=["GET"]),
    Route(_ONE + "/tags", patch_tags, methods=["PATCH"]),
    Route(_ONE + "/ai-gateway", put_ai_gateway, methods=["PUT"]),
    Route(_ONE + "/rate-limits", put_rate_limits, methods=["PUT"]),
    Route(_ONE + "/notifications", patch_notifications, methods=["PATCH"]),
    Route(_ONE + "/telemetry-config", patch_telemetry_config, methods=["PATCH"]),
    Route("/api/2.0/external-function", external_function, methods=["POST"]),
]
