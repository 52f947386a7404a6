"""What panel features and the widget agree on: the request/reply envelope, the one error shape,
and `PanelHost`, the little a feature may ask of the widget that hosts it.

The browser sends ``{"type": "request", "kind", "id", "payload"}``; each kind has one handler,
and its answer goes back as ``{"type": "reply", "id", "ok": true, "result"}`` or, when the
handler raises, ``{"type": "reply", "id", "ok": false, "error": ErrorView}``. Errors become
data for the view to show inline, never a traceback in the kernel.

A handler registered with ``background=True`` runs on a worker thread of the widget's, so a
slow read (a streamed query, a batch of GETs for the explorer) does not hold the kernel: other
requests, refreshes and the user's cells go on meanwhile. Such a handler only reads through
the client and answers; it sets no trait and publishes no snapshot (those stay on the kernel's
thread), and what it keeps it guards with a lock.

A handler whose answer comes in pieces (a streamed query) may send, before its reply, any
number of ``{"type": "partial", "id", "data"}`` messages for the same id, in order, through
`send_partial`; the browser hands each to the request's ``onPartial`` and keeps waiting for
the reply, which alone settles the request. A browser that knows no partials ignores them.

An ``ErrorView`` is ``{"message", "error_code", "status"}`` wherever the browser sees an error
(a reply, ``snapshot.error``, a feature's partial failure), built by `error_view` only.

Features (logs.py, permissions.py, delete.py) depend on `PanelHost`, not on the widget class,
so they can be read, tested and reused (the explorer will host them too) without it. A feature
that follows the endpoint over time (events.py) watches every published snapshot through
`PanelHost.on_publish`; one that changes something the snapshot does not show (a permission)
tells the host through `PanelHost.record_event`, without knowing who listens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from serving_panel.errors import ApiError, ServingError

if TYPE_CHECKING:
    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint

_log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], Any]
Observer = Callable[[dict[str, Any]], None]
"""Called with each snapshot the host publishes (see `PanelHost.on_publish`)."""
ErrorView = dict[str, Any]
"""``{"message": str, "error_code": str, "status": int}``; status 0 when no HTTP status applies."""

#: Replies larger than this are refused: Jupyter's websocket drops messages near 10 MB.
MAX_REPLY_BYTES = 5 * 1024 * 1024


class PanelHost(Protocol):
    """What a panel feature may use of the widget that hosts it."""

    @property
    def client(self) -> ServingClient:
        """The client the panel reads and writes through (it holds the token; the browser
        never does)."""
        ...

    @property
    def endpoint_name(self) -> str: ...

    @property
    def snapshot(self) -> dict[str, Any]:
        """What the view renders now (see snapshot.py)."""
        ...

    def publish(self, snapshot: dict[str, Any]) -> None:
        """Shows a new snapshot, made by a snapshot.py function from the current one."""
        ...

    def refresh(self) -> Endpoint:
        """Re-reads the endpoint and publishes it; raises what the read raised."""
        ...

    def register_request(self, kind: str, handler: Handler, *, background: bool = False) -> None:
        """Adds a request kind the browser may send; each kind has one handler. With
        `background`, it runs off the kernel's thread (see the top for what it may do)."""
        ...

    def on_publish(self, observer: Observer) -> None:
        """Calls `observer` with every snapshot published from now on, after it is shown, in
        the order they were published. An observer that raises is logged and skipped: it
        never fails the refresh or the request that published."""
        ...

    def record_event(self, kind: str, summary: str, **details: Any) -> None:
        """Notes on the panel's timeline something a feature did that no snapshot shows (a
        permission change made through the panel): `kind` as events.py names them,
        `summary` one line of plain text, `details` JSON values. A host keeping no timeline
        ignores it."""
        ...

    def send(self, content: dict[str, Any], buffers: list[Any] | None = None) -> None:
        """Sends a custom message to every view (the widget's own `send`)."""
        ...


#: The id of the request whose handler runs now (set by `RequestRouter.handle`).
_handling: ContextVar[str | None] = ContextVar("serving_panel_request", default=None)


def send_partial(host: PanelHost, data: Any) -> None:
    """Sends one piece of the answer to the request being handled, ahead of its reply.

    Only inside a handler (`RuntimeError` elsewhere); a piece over `MAX_REPLY_BYTES` is
    refused with `RequestError`, as a reply would be."""
    request_id = _handling.get()
    if request_id is None:
        raise RuntimeError("send_partial is for request handlers, while they run")
    message = {"type": "partial", "id": request_id, "data": data}
    size = len(json.dumps(message, separators=(",", ":")).encode())
    if size > MAX_REPLY_BYTES:
        raise RequestError(
            f"a piece of the answer is {size} bytes, over the {MAX_REPLY_BYTES}-byte limit",
            error_code="RESPONSE_TOO_LARGE",
            status=413,
        )
    host.send(message)


class RequestError(Exception):
    """An error a handler raises on purpose, with the code and status the view should show."""

    def __init__(self, message: str, *, error_code: str = "BAD_REQUEST", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.status = status


def error_view(error: Exception) -> ErrorView:
    """The one error shape the browser sees. Messages are the client's or ours: they name the
    request, never a header, so never a token."""
    if isinstance(error, (RequestError, ApiError)):
        return {"message": error.message, "error_code": error.error_code, "status": error.status}
    if isinstance(error, ServingError):
        return {"message": str(error), "error_code": type(error).__name__, "status": 0}
    return {
        "message": f"{type(error).__name__}: {error}",
        "error_code": "INTERNAL_ERROR",
        "status": 0,
    }


def request_error(error: ServingError) -> RequestError:
    """A client error as a reply error, code and status kept (no traceback)."""
    view = error_view(error)
    return RequestError(view["message"], error_code=view["error_code"], status=view["status"])


def invalid(field: str, rule: str) -> RequestError:
    """A payload field that breaks a rule: 400 INVALID_PARAMETER_VALUE naming both."""
    return RequestError(f"{field}: {rule}", error_code="INVALID_PARAMETER_VALUE", status=400)


class RequestRouter:
    """Maps request kinds to handlers and turns their results or errors into replies."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._background: set[str] = set()

    def register(self, kind: str, handler: Handler, *, background: bool = False) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for request kind {kind!r} is already registered")
        self._handlers[kind] = handler
        if background:
            self._background.add(kind)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def in_background(self, content: Any) -> bool:
        """Whether `content` is a request whose handler runs off the kernel's thread."""
        return isinstance(content, Mapping) and content.get("kind") in self._background

    def handle(self, content: Any) -> dict[str, Any] | None:
        """Answers one custom message; returns None for messages that are not requests."""
        if not isinstance(content, Mapping) or content.get("type") != "request":
            return None
        request_id = content.get("id")
        if not isinstance(request_id, str) or not request_id:
            return None
        kind = content.get("kind")
        payload = content.get("payload", {})
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            known = ", ".join(sorted(self._handlers)) or "none"
            return _failure(
                request_id,
                RequestError(f"unknown request kind {kind!r}; known kinds: {known}"),
            )
        if not isinstance(payload, Mapping):
            return _failure(request_id, RequestError("payload must be a JSON object"))
        token = _handling.set(request_id)
        try:
            result = handler(payload)
        except RequestError as error:
            return _failure(request_id, error)
        except Exception as error:  # a bug of ours: said in the view, traced in the kernel log
            _log.exception("request %r failed", kind)
            return _failure(
                request_id,
                RequestError(
                    f"{type(error).__name__}: {error}", error_code="INTERNAL_ERROR", status=500
                ),
            )
        finally:
            _handling.reset(token)
        reply = {"type": "reply", "id": request_id, "ok": True, "result": result}
        size = len(json.dumps(reply, separators=(",", ":")).encode())
        if size > MAX_REPLY_BYTES:
            return _failure(
                request_id,
                RequestError(
                    f"the answer to {kind!r} is {size} bytes, over the {MAX_REPLY_BYTES}-byte "
                    "message limit; ask for a smaller page",
                    error_code="RESPONSE_TOO_LARGE",
                    status=413,
                ),
            )
        return reply


def _failure(request_id: str, error: RequestError) -> dict[str, Any]:
    return {"type": "reply", "id": request_id, "ok": False, "error": error_view(error)}
