"""Every error answer as Databricks writes it: `{"error_code": "...", "message": "..."}` with the
status. `ApiError`s raised anywhere below (state/errors.py) become their own body; Starlette's
404 and 405 (both the service's 404 ENDPOINT_NOT_FOUND) and anything unexpected get the
service's wording for them.

Unexpected errors are answered by `AnswerUnexpectedErrors`, a middleware, not by an exception
handler: Starlette's ServerErrorMiddleware re-raises after calling one, and uvicorn then closes
the connection, so the client's next pooled request failed too. The answer names no internals
(type, message, path); the traceback goes to the server's log."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving_panel.local.api.render import StrictJSONResponse
from serving_panel.local.state.errors import ApiError

log = logging.getLogger(__name__)


async def api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return StrictJSONResponse(error.body(), status_code=error.status, headers=error.headers)


def no_api_found(method: str, path: str) -> dict[str, str]:
    """The service's body for a method and path no API serves. A real answer shows the path
    without its `/api/2.0` (`GET /api/2.0/repos`: "No API found for 'GET /repos'",
    databricks/databricks-cli#383); other paths are shown whole."""
    shown = path[len("/api/2.0") :] if path.startswith("/api/2.0/") else path
    return {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No API found for '{method} {shown}'"}


async def http_error(request: Request, error: Exception) -> Response:
    """Starlette's 404 and 405 both mean that no API answers this method on this path, which
    the service says with one 404 (its message names the method; that it never answers 405 is
    inferred, docs/local-workspace.md)."""
    assert isinstance(error, HTTPException)
    if error.status_code in (404, 405):
        body = no_api_found(request.method, request.url.path)
        return StrictJSONResponse(body, status_code=404)
    body = {"error_code": "BAD_REQUEST", "message": str(error.detail)}
    return StrictJSONResponse(body, status_code=error.status_code)


INTERNAL_ERROR = {
    "error_code": "INTERNAL_ERROR",
    "message": "The local workspace failed to answer this request; its log has the details.",
}


class AnswerUnexpectedErrors:
    """Answers an unexpected exception with a well-formed 500 and keeps the connection open.

    Once an answer has started (a stream that broke halfway) there is no honest way to finish
    it, so the exception goes on to the server, which closes the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            await StrictJSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)
