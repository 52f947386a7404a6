"""What every route needs: the caller, the JSON body, and the endpoint it names.

Request bodies are parsed by `state/jsontext.parse_json` (strict JSON with limits), the one
parser; routes that read raw bytes, such as invocations, call it too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from serving_panel.local.api.render import StrictJSONResponse
from serving_panel.local.state import auth
from serving_panel.local.state.errors import ApiError, endpoint_not_found, invalid
from serving_panel.local.state.jsontext import parse_json
from serving_panel.local.state.store import Endpoint
from serving_panel.local.workspace import Workspace

MAX_BODY_BYTES = 16 * 1024 * 1024


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def caller(request: Request) -> auth.Caller:
    return auth.authenticate(workspace(request).store, request.headers.get("authorization"))


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large(int(declared))
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large(size)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(size: int) -> ApiError:
    return invalid("body", f"request bodies are limited to 16 MB; this one is {size} bytes or more")


async def read_json(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object body; an empty body is `{}` where the route allows it."""
    raw = await read_body(request)
    if not raw.strip():
        if optional:
            return {}
        raise invalid("body", "a JSON object is required")
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise invalid("body", f"must be a JSON object, got {type(value).__name__}")
    return value


def endpoint_named(request: Request, name: str, *, shared: bool = False) -> Endpoint:
    """The endpoint the path names, or a 404. `shared`: see `Store.endpoint_by_name`."""
    found = workspace(request).store.endpoint_by_name(name, shared=shared)
    if found is None:
        raise endpoint_not_found(name)
    return found


@dataclass(frozen=True)
class Access:
    """Who asked, about which endpoint, and the level they hold on it when the request
    arrived; `guard` is what a write passes to the backend, which checks it again (against
    this endpoint's id) in the transaction that writes, after the body has been read."""

    ws: Workspace
    who: auth.Caller
    endpoint: Endpoint
    level: str
    guard: auth.Guard


def access(
    request: Request,
    needed: str,
    action: str,
    find: Callable[[Request], Endpoint] | None = None,
) -> Access:
    """The caller and the endpoint the path names (by `find`, else by name), refused with a 403
    naming `needed` unless the caller holds it. Authentication comes first (401 before 404),
    then the lookup (404 before 403)."""
    who = caller(request)
    ws = workspace(request)
    found = (
        find(request) if find is not None else endpoint_named(request, request.path_params["name"])
    )
    level = auth.require(ws.store, who, found.id, found.name, needed, action)
    return Access(ws, who, found, level, auth.Guard(who, needed, action))


def json_response(body: Any, status: int = 200) -> JSONResponse:
    return StrictJSONResponse(body, status_code=status)
