"""Every error answer as Databricks writes it: `{"error_code": "...", "message": "..."}` with the
status. `ApiError`s raised anywhere below (state/errors.py) become their own body; Starlette's
404 and 405 and anything unexpected get the service's wording for them."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from serving_panel.local.api.render import StrictJSONResponse
from serving_panel.local.state.errors import ApiError

log = logging.getLogger(__name__)


async def api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return StrictJSONResponse(error.body(), status_code=error.status, headers=error.headers)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        body = {
            "error_code": "ENDPOINT_NOT_FOUND",
            "message": f"No API found for '{request.method} {request.url.path}'",
        }
    elif error.status_code == 405:
        body = {
            "error_code": "BAD_REQUEST",
            "message": f"Method {request.method} is not allowed for '{request.url.path}'",
        }
    else:
        body = {"error_code": "BAD_REQUEST", "message": str(error.detail)}
    return StrictJSONResponse(body, status_code=error.status_code)


async def unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return StrictJSONResponse(
        {"error_code": "INTERNAL_ERROR", "message": f"{type(error).__name__}: {error}"},
        status_code=500,
    )
