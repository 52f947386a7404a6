"""The Starlette app: routes, the error handlers (`errors.py`) that write Databricks error
bodies, and the lifespan that resumes interrupted updates and stops builds on shutdown."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from serving_panel.local.api.errors import (
    AnswerUnexpectedErrors,
    api_error,
    http_error,
    no_api_found,
)
from serving_panel.local.api.faults import FaultMiddleware, Faults
from serving_panel.local.api.routes import (
    control,
    endpoints,
    invocations,
    permissions,
    scim,
    unity_catalog,
)
from serving_panel.local.state.errors import ApiError
from serving_panel.local.workspace import Workspace

log = logging.getLogger(__name__)


async def well_known(request: Request) -> JSONResponse:
    """Host metadata databricks-sdk asks for, unauthenticated, before anything else."""
    ws: Workspace = request.app.state.workspace
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {"oidc_endpoint": f"{base}/oidc", "workspace_id": ws.workspace_id, "cloud": "aws"}
    )


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class RejectControlCharacters:
    """404 for paths holding control characters: Starlette's route patterns end in `$`, which
    also matches before a trailing newline, so `/api/2.0/serving-endpoints/%0A` would list."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _CONTROL_CHARACTER.search(scope["path"]):
            response = JSONResponse(no_api_found(scope["method"], scope["path"]), status_code=404)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(workspace: Workspace) -> Starlette:
    faults = Faults() if workspace.enable_faults else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        resumed = workspace.start()
        if resumed:
            log.info("resumed interrupted updates: %s", ", ".join(resumed))
        yield
        workspace.lifecycle.shutdown()

    # Outermost first: unexpected errors anywhere below, fault rules included, get a 500 body.
    middleware = [Middleware(AnswerUnexpectedErrors), Middleware(RejectControlCharacters)]
    if faults is not None:
        middleware.append(Middleware(FaultMiddleware, faults=faults))
    # Innermost: queries skip the router (see QueriesFirst), below every rule above.
    middleware.append(Middleware(invocations.QueriesFirst))
    app = Starlette(
        routes=[
            # Queries first: Starlette tries routes in order (QueriesFirst answers their POSTs
            # before the router; these routes answer other methods, with the 404 of the rest).
            *invocations.routes,
            Route("/.well-known/databricks-config", well_known, methods=["GET"]),
            *endpoints.routes,
            *permissions.routes,
            *scim.routes,
            *unity_catalog.routes,
            *control.routes,
        ],
        middleware=middleware,
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
        },
        lifespan=lifespan,
    )
    app.state.workspace = workspace
    app.state.faults = faults
    return app
