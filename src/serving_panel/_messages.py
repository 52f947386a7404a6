"""The Python end of the panel's request/response protocol over anywidget custom messages.

The browser sends ``{"type": "request", "kind", "id", "payload"}``; each kind has one handler,
and its answer goes back as ``{"type": "reply", "id", "ok": true, "result"}`` or, when the
handler raises, ``{"type": "reply", "id", "ok": false, "error": {"message", "error_code",
"status"}}``. Errors become data for the view to show inline, never a traceback in the kernel.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

Handler = Callable[[Mapping[str, Any]], Any]

#: Replies larger than this are refused: Jupyter's websocket drops messages near 10 MB.
MAX_REPLY_BYTES = 5 * 1024 * 1024


class RequestError(Exception):
    """An error a handler raises on purpose, with the code and status the view should show."""

    def __init__(self, message: str, *, error_code: str = "BAD_REQUEST", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.status = status


class RequestRouter:
    """Maps request kinds to handlers and turns their results or errors into replies."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for request kind {kind!r} is already registered")
        self._handlers[kind] = handler

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

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
        try:
            result = handler(payload)
        except RequestError as error:
            return _failure(request_id, error)
        except Exception as error:
            return _failure(
                request_id,
                RequestError(
                    f"{type(error).__name__}: {error}", error_code="INTERNAL_ERROR", status=500
                ),
            )
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
    return {
        "type": "reply",
        "id": request_id,
        "ok": False,
        "error": {"message": error.message, "error_code": error.error_code, "status": error.status},
    }
