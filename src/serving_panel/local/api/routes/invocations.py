"""/serving-endpoints/{name}/invocations: queries, routed to model servers by traffic share.

Also `/serving-endpoints/{name}/served-models/{served_model}/invocations` to target one entity,
and the OpenAI-compatible `/serving-endpoints/chat/completions`, `/completions` and
`/embeddings` (databricks-sdk's `get_open_ai_client()` points the OpenAI client there): the
body's `model` names the endpoint, and the rest of the body is the query.
Answers carry the `served-model-name` header; `"stream": true` answers `data:` lines ending with
`data: [DONE]`, relayed from the model server as they arrive.

A query holds, in order: an in-flight count on its model server (so a drain waits for it), a
slot or a place in line at that server's gate (past the line: 429 with Retry-After), and a
connection to the server. All three are given back however the query ends: answered, refused,
timed out (504 after the request timeout, the service's 297 s), or abandoned by a caller who
disconnected, in which case the model server's request is abandoned too.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from serving_panel.local.api.errors import api_error
from serving_panel.local.api.routes.common import (
    MAX_BODY_BYTES,
    caller,
    endpoint_named,
    read_body,
    too_large,
    workspace,
)
from serving_panel.local.serving.admission import Gate, OverloadedError
from serving_panel.local.serving.router import Router, Target, WorkerUnavailableError
from serving_panel.local.serving.upstream import Reply, UpstreamError
from serving_panel.local.state import auth
from serving_panel.local.state.configs import is_stopped
from serving_panel.local.state.errors import (
    ApiError,
    endpoint_not_found,
    endpoint_stopped,
    invalid,
    served_model_not_found,
)
from serving_panel.local.state.jsontext import parse_json
from serving_panel.local.state.store import Endpoint
from serving_panel.local.workspace import Workspace

WAKE_TIMEOUT_S = 180.0  # a scaled-to-zero or restarting model server gets this long to start
CLIENT_CLOSED = 499  # recorded in metrics for a caller who left; nobody receives it
WATCH_AFTER_S = 0.05  # a query still running after this long starts watching for its caller


def stream_requested(body: bytes) -> bool:
    """Whether the body, a JSON object (strict: `parse_json`'s 400 naming the field), asks for
    `"stream": true`. The body itself goes to the model server as it came."""
    parsed = parse_json(body) if body.strip() else None
    if not isinstance(parsed, dict):
        raise invalid("body", "must be a JSON object holding the model's input")
    return parsed.get("stream") is True


def _unavailable(message: str) -> ApiError:
    return ApiError(503, "TEMPORARILY_UNAVAILABLE", message, headers={"Retry-After": "1"})


class _CallerGoneError(Exception):
    pass


class _Query:
    """What one query holds, given back by `close()` in reverse order of taking."""

    def __init__(self, router: Router, target: Target) -> None:
        self.router = router
        self.target = target
        self.gate: Gate | None = None
        self.reply: Reply | None = None
        self.queued_ms: float | None = None  # time waiting at the gate, once admitted

    async def send(self, body: bytes, *, stream: bool) -> bytes | None:
        """Waits for a slot and a ready model server, sends, and (unless streaming a 200)
        reads the whole answer."""
        gate = self.router.gate(self.target)
        arrived = time.perf_counter()
        try:
            await gate.enter()
        except OverloadedError:
            raise ApiError(
                429,
                "REQUEST_LIMIT_EXCEEDED",
                f"Served entity {self.target.entity} is at its concurrency limit "
                f"({gate.limit} requests at once, {gate.queue} waiting); retry later.",
                headers={"Retry-After": "1"},
            ) from None
        self.gate = gate
        self.queued_ms = (time.perf_counter() - arrived) * 1000
        if not await self.router.wait_ready(self.target, WAKE_TIMEOUT_S):
            raise _unavailable(
                f"The model server of {self.target.entity} is not available right now."
            )
        try:
            self.reply = await self.router.send(self.target, body)
            if stream and self.reply.status == 200:
                return None
            return await self.reply.read()
        except (WorkerUnavailableError, UpstreamError) as error:
            raise _unavailable(str(error)) from error

    def close(self) -> None:
        if self.reply is not None:
            self.reply.close()
        if self.gate is not None:
            self.router.leave(self.target, self.gate)
        self.router.release(self.target)


class _Answered:
    """A query that has its answer (or its error), with what it holds until that has gone out.
    It is recorded in the metrics (`record()`) before the answer goes, so a caller who has its
    answer finds it counted; `query.close()` gives back the slot, after the answer has gone
    (a relayed stream's, when the stream ends); `done()` does both."""

    def __init__(self, ws: Workspace, endpoint_id: str, query: _Query, timeout_s: float) -> None:
        self.ws = ws
        self.endpoint_id = endpoint_id
        self.query = query
        self.started = time.perf_counter()
        self.deadline = time.monotonic() + timeout_s  # the whole query, a stream included
        self.status = 503
        self.latency_ms = 0.0
        self.content_type = "application/json"
        self.data: bytes | None = b""  # None: a stream, to relay

    def answered(self, status: int) -> None:
        self.status = status
        self.latency_ms = (time.perf_counter() - self.started) * 1000

    def record(self) -> None:
        query = self.query
        self.ws.metrics.record(
            self.endpoint_id, query.target.entity, self.status, self.latency_ms, query.queued_ms
        )

    def done(self) -> None:
        self.query.close()
        self.record()

    def failed(self, status: int) -> None:
        self.answered(status)
        self.done()


class _QueryRoute:
    """The query routes' endpoint, an ASGI app (so Starlette passes the scope as it is): the
    answer `QueriesFirst` gives, from the path parameters the route matched. `QueriesFirst`
    answers every POST to these paths first, so this serves only an app built without it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        await answer_query(scope, receive, send, params["name"], params.get("served_model"))


invoke = _QueryRoute()


#: The paths `invoke` answers, as the app's routes below match them (Starlette's `{name}`).
QUERY_PATH = re.compile(
    r"/serving-endpoints/(?P<name>[^/]+)(?:/served-models/(?P<served_model>[^/]+))?/invocations"
)


class QueriesFirst:
    """Middleware, the app's innermost: a POST to a query path is answered here, past
    Starlette's router and exception middleware, which would try the app's routes in turn and
    wrap the request, its `send` and the call in layers of their own. It reads the two headers
    it needs straight from the scope and sends the answer as two ASGI messages, with no
    Request or Response objects, and gives back the query's slot once the answer has gone out
    (off the caller's wait). The app's other middleware (unexpected errors, control
    characters, faults) is outside, so it applies as to any route, and an `ApiError` is
    answered by the app's own handler (`api_error`). Other methods on these paths and every
    other path go on to the app, whose routes still include these."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            found = QUERY_PATH.fullmatch(scope["path"])
            if found is not None:
                await answer_query(scope, receive, send, *found.group("name", "served_model"))
                return
        await self.app(scope, receive, send)


async def answer_query(
    scope: Scope, receive: Receive, send: Send, name: str, served: str | None
) -> None:
    """The query to endpoint `name` (to its entity `served`, if named) answered, an `ApiError`
    by the app's own handler."""
    try:
        await _answer(scope, receive, send, name, served)
    except ApiError as error:
        response = await api_error(Request(scope, receive, send), error)
        await response(scope, receive, send)


async def _answer(
    scope: Scope, receive: Receive, send: Send, name: str, served: str | None
) -> None:
    # The checks at the door look at the database's version once for all three lookups
    # (token, groups, endpoint); the endpoint is shared (remembered until the database
    # changes): a query only reads the record.
    ws: Workspace = scope["app"].state.workspace
    authorization = declared = None
    for key, value in scope["headers"]:
        if key == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif key == b"content-length" and declared is None:
            declared = value.decode("latin-1")
    store = ws.store
    with store.lookups():
        who = auth.authenticate(store, authorization)
        endpoint = store.endpoint_by_name(name, shared=True)
        if endpoint is None:
            raise endpoint_not_found(name)
    body = await _read_body(receive, declared)
    answered = await _run(ws, receive, who, endpoint, body, served)
    answered.record()
    if answered.data is None:
        relay = _Relay(answered.query, answered.deadline, _answer_headers(answered))
        await relay(scope, receive, send)
        return
    try:
        await send(
            {
                "type": "http.response.start",
                "status": answered.status,
                "headers": [
                    (b"content-length", b"%d" % len(answered.data)),
                    (b"content-type", answered.content_type.encode("latin-1")),
                    (b"served-model-name", answered.query.target.entity.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answered.data})
    finally:
        answered.query.close()


async def _read_body(receive: Receive, declared: str | None) -> bytes:
    """`read_body` on the raw ASGI messages (the same limit, the same 400)."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large(int(declared))
    message = await receive()
    if message["type"] != "http.request":
        raise ClientDisconnect()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > MAX_BODY_BYTES:
            raise too_large(len(body))
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large(size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


#: The OpenAI-compatible routes and the field each needs beside `model`.
OPENAI_INPUTS = {"chat/completions": "messages", "completions": "prompt", "embeddings": "input"}


async def openai_compatible(request: Request) -> Response:
    """An OpenAI client's request: `model` names the endpoint; the rest is the query."""
    who = caller(request)
    route = request.url.path.removeprefix("/serving-endpoints/")
    parsed = parse_json(await read_body(request) or b"null")
    if not isinstance(parsed, dict):
        raise invalid("body", "must be a JSON object with model and the request")
    model = parsed.pop("model", None)
    if not isinstance(model, str) or not model:
        raise invalid("model", "is required: the name of the serving endpoint to query")
    needed = OPENAI_INPUTS[route]
    if needed not in parsed:
        raise invalid(needed, f"is required for {route}")
    endpoint = endpoint_named(request, model, shared=True)
    body = json.dumps(parsed, separators=(",", ":"), allow_nan=False).encode()
    return await _query(request, who, endpoint, body, None)


async def _query(
    request: Request, who: auth.Caller, endpoint: Endpoint, body: bytes, served: str | None
) -> Response:
    answered = await _run(workspace(request), request.receive, who, endpoint, body, served)
    if answered.data is None:
        answered.record()
        return _Relay(answered.query, answered.deadline, _answer_headers(answered))
    answered.done()
    return Response(
        answered.data,
        status_code=answered.status,
        media_type=answered.content_type,
        headers=_answer_headers(answered),
    )


def _answer_headers(answered: _Answered) -> dict[str, str]:
    return {"served-model-name": answered.query.target.entity}


async def _run(
    ws: Workspace,
    receive: Receive,
    who: auth.Caller,
    endpoint: Endpoint,
    body: bytes,
    served: str | None,
) -> _Answered:
    """Checks the query and sends it to a model server; the answer comes back holding the
    query's slot (`done()` gives it back). An error raised here has given it back already."""
    # Checked once the body is in, against the endpoint as resolved at the door (by id): a
    # CAN_QUERY revoked while the body was in flight no longer counts.
    auth.require(ws.store, who, endpoint.id, endpoint.name, "CAN_QUERY", "querying it")
    stream = stream_requested(body)
    if is_stopped(endpoint.attributes):
        raise endpoint_stopped(endpoint.name)
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
    query = _Query(ws.router, target)
    timeout_s = ws.router.request_timeout_s
    answered = _Answered(ws, endpoint.id, query, timeout_s)
    try:
        data = await _guarded(receive, timeout_s, lambda: query.send(body, stream=stream))
    except _CallerGoneError:
        answered.answered(CLIENT_CLOSED)  # nobody receives it; the metrics count it
        return answered
    except TimeoutError:
        answered.failed(504)
        raise ApiError(
            504,
            "DEADLINE_EXCEEDED",
            f"upstream request timeout: the query to {target.entity} got no answer within "
            f"the request timeout ({timeout_s:g} s).",
        ) from None
    except ApiError as error:
        answered.failed(error.status)
        raise
    except BaseException:
        answered.failed(503)
        raise
    reply = query.reply
    assert reply is not None
    answered.answered(reply.status)
    answered.content_type = reply.headers.get("content-type", "application/json")
    answered.data = data
    return answered


def _no_target(ws: Workspace, endpoint: Endpoint) -> ApiError:
    """Why no model server takes the query, judged on the endpoint as stored now: it may have
    been deleted, or given a new config, while the body was read."""
    current = ws.store.endpoint_by_id(endpoint.id)
    if current is None:
        return endpoint_not_found(endpoint.name)
    if is_stopped(current.attributes):
        return endpoint_stopped(endpoint.name)
    entities = (current.config or {}).get("served_entities", [])
    if entities and all("external_model" in e for e in entities):
        return ApiError(
            400,
            "INVALID_STATE",
            f"Endpoint {endpoint.name} has no served entity that the local workspace can run "
            "(external models are not called from here).",
        )
    return _unavailable(f"No model server of {endpoint.name} is available right now.")


async def _guarded(
    receive: Receive, timeout_s: float, work: Callable[[], Awaitable[bytes | None]]
) -> bytes | None:
    """Runs `work` until it ends, the caller disconnects (`_CallerGoneError`) or the timeout
    passes (`TimeoutError`); in the last two cases `work` is cancelled, and has finished
    cancelling (given back what it held) when this raises. The body must have been read.

    `work` runs in this task, not a new one: a watcher task and a timer cancel it. The watcher
    starts only once the query has run `WATCH_AFTER_S`: most queries end sooner, and then cost
    no task at all (a caller who leaves a quick query is noticed that much later, if ever).
    """
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    stopped: list[type[Exception]] = []
    finished = False
    watcher: asyncio.Future[None] | None = None
    deadline = loop.time() + timeout_s
    timer: asyncio.TimerHandle

    def stop(reason: type[Exception]) -> None:
        if not finished and not stopped:
            stopped.append(reason)
            task.cancel()

    def on_disconnect(done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is None:
            stop(_CallerGoneError)

    def watch() -> None:
        nonlocal watcher, timer
        if not finished:
            watcher = asyncio.ensure_future(_disconnected(receive))
            watcher.add_done_callback(on_disconnect)
            timer = loop.call_at(deadline, stop, TimeoutError)

    # One timer per query: the watch, which then sets the timeout's (the timeout is always
    # the later of the two; a timeout shorter than the watch's delay gets its own at once).
    timer = (
        loop.call_later(WATCH_AFTER_S, watch)
        if timeout_s > WATCH_AFTER_S
        else loop.call_at(deadline, stop, TimeoutError)
    )
    try:
        return await work()
    except asyncio.CancelledError:
        if not stopped:
            raise  # cancelled from outside (server shutdown): not ours to absorb
        uncancel = getattr(task, "uncancel", None)  # Python 3.11+ counts cancellations
        if uncancel is not None:
            uncancel()
        raise stopped[0] from None
    finally:
        finished = True
        timer.cancel()
        if watcher is not None:
            watcher.cancel()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _Relay(StreamingResponse):
    """Streams the model server's lines through as they come. The query counts as in flight
    (so the worker may be drained) and keeps its slot until the stream ends, the caller goes,
    or the request timeout passes; then the model server's connection is closed unless read to
    the end."""

    def __init__(self, query: _Query, deadline: float, headers: dict[str, str]) -> None:
        assert query.reply is not None
        super().__init__(
            _until(query.reply.chunks(), deadline),
            media_type="text/event-stream",
            headers=headers,
        )
        self.query = query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.query.close()


async def _until(chunks: AsyncIterator[bytes], deadline: float) -> AsyncIterator[bytes]:
    """The chunks until the deadline; a stream cut there just ends (its status is sent)."""
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), deadline - time.monotonic())
        except (StopAsyncIteration, asyncio.TimeoutError):
            return
        yield chunk


# Queries by endpoint name first: Starlette tries routes in order, and no path matches two.
routes = [
    Route("/serving-endpoints/{name}/invocations", invoke, methods=["POST"]),
    Route(
        "/serving-endpoints/{name}/served-models/{served_model}/invocations",
        invoke,
        methods=["POST"],
    ),
    *(
        Route(f"/serving-endpoints/{path}", openai_compatible, methods=["POST"])
        for path in OPENAI_INPUTS
    ),
]
