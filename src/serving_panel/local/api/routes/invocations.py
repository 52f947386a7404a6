"""/serving-endpoints/{name}/invocations: queries, routed to model servers by traffic share.

Also `/serving-endpoints/{name}/served-models/{served_model}/invocations` to target one entity.
Answers carry the `served-model-name` header; `"stream": true` answers `data:` lines ending with
`data: [DONE]`, straight from the model server.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from serving_panel.local.api.routes.common import caller, endpoint_named, read_body, workspace
from serving_panel.local.serving.router import Router, Target, WorkerUnavailableError
from serving_panel.local.state import auth
from serving_panel.local.state.errors import (
    ApiError,
    endpoint_not_found,
    invalid,
    served_model_not_found,
)
from serving_panel.local.state.jsontext import parse_json
from serving_panel.local.state.store import Endpoint
from serving_panel.local.workspace import Workspace

WAKE_TIMEOUT_S = 180.0  # a scaled-to-zero or restarting model server gets this long to start


def _unavailable(message: str) -> ApiError:
    return ApiError(503, "TEMPORARILY_UNAVAILABLE", message, headers={"Retry-After": "1"})


async def invoke(request: Request) -> Response:
    who = caller(request)
    ws = workspace(request)
    endpoint = endpoint_named(request, request.path_params["name"])
    auth.require(ws.store, who, endpoint.id, endpoint.name, "CAN_QUERY", "querying it")
    body = await read_body(request)
    parsed = parse_json(body) if body.strip() else None
    if not isinstance(parsed, dict):
        raise invalid("body", "must be a JSON object holding the model's input")
    stream = parsed.get("stream") is True
    served = request.path_params.get("served_model")
    if endpoint.config is None:
        if endpoint.config_update == "IN_PROGRESS":
            raise _unavailable(f"Endpoint {endpoint.name} is still being created.")
        raise ApiError(
            400, "INVALID_STATE", f"Endpoint {endpoint.name} has no config that serves requests."
        )
    if served is not None:
        names = [e["name"] for e in endpoint.config["served_entities"]]
        if served not in names:
            raise served_model_not_found(endpoint.name, served, names)
    target = ws.router.acquire(endpoint.id, served)
    if target is None:
        raise _no_target(ws, endpoint)
    started = time.perf_counter()
    status = 503
    handed_to_stream = False
    try:
        ready = await run_in_threadpool(ws.supervisor.wait_ready, target.key, WAKE_TIMEOUT_S)
        if not ready:
            raise _unavailable(f"The model server of {target.entity} is not available right now.")
        try:
            forwarded = await run_in_threadpool(ws.router.forward, target, body, stream=stream)
        except WorkerUnavailableError as error:
            raise _unavailable(str(error)) from error
        status = forwarded.status
        headers = {"served-model-name": target.entity}
        if forwarded.chunks is None:
            return Response(
                forwarded.body or b"",
                status_code=forwarded.status,
                media_type=forwarded.content_type,
                headers=headers,
            )
        handed_to_stream = True
        return StreamingResponse(
            _relay(ws.router, target, forwarded.chunks),
            media_type="text/event-stream",
            headers=headers,
        )
    except ApiError as error:
        status = error.status
        raise
    finally:
        if not handed_to_stream:
            ws.router.release(target)
        ws.metrics.record(
            endpoint.id, target.entity, status, (time.perf_counter() - started) * 1000
        )


def _no_target(ws: Workspace, endpoint: Endpoint) -> ApiError:
    """Why no model server takes the query, judged on the endpoint as stored now: it may have
    been deleted, or given a new config, while the body was read."""
    current = ws.store.endpoint_by_id(endpoint.id)
    if current is None:
        return endpoint_not_found(endpoint.name)
    entities = (current.config or {}).get("served_entities", [])
    if entities and all("external_model" in e for e in entities):
        return ApiError(
            400,
            "INVALID_STATE",
            f"Endpoint {endpoint.name} has no served entity that the local workspace can run "
            "(external models are not called from here).",
        )
    return _unavailable(f"No model server of {endpoint.name} is available right now.")


async def _relay(router: Router, target: Target, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Streams the model server's lines through; the request stops counting as in flight (so
    the worker may be drained) only when the stream ends."""
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    finally:
        router.release(target)


routes = [
    Route("/serving-endpoints/{name}/invocations", invoke, methods=["POST"]),
    Route(
        "/serving-endpoints/{name}/served-models/{served_model}/invocations",
        invoke,
        methods=["POST"],
    ),
]
