"""/api/2.1/unity-catalog/models/{full_name}/versions: the versions of a registered model, so
a client (the config editor, databricks-sdk's `model_versions.list`) can offer what there is
to serve.

The local workspace has no Unity Catalog: its model store is the catalog. A model registered
under a three-part name `catalog.schema.model` is listed here, every stored version READY;
a plain name (`ads1`) is a workspace-registry model, not a Unity Catalog one.

Who may list: the service answers only with versions the caller may see (the owner, or EXECUTE
on the model with USE_CATALOG and USE_SCHEMA on its parents; a model the caller may not see
does not exist for them). The local workspace keeps no Unity Catalog privileges: any caller
with a valid token may list any model's versions.

Pages: as the service, `max_results` (0 or absent: 100; at most 1000; negative: refused) and an
opaque `next_page_token` while more remain, `page_token` to go on. Versions come oldest first.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving_panel.local.api import views
from serving_panel.local.api.routes.common import caller, json_response, workspace
from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.state.errors import invalid, model_not_found

PREFIX = "/api/2.1/unity-catalog/models"
DEFAULT_PAGE = 100
MAX_PAGE = 1000
_PAGE_MARK = "after:"


def _full_name(request: Request) -> str:
    full_name: str = request.path_params["full_name"]
    parts = full_name.split(".")
    if len(parts) != 3 or not all(parts):
        raise invalid(
            "full_name",
            f"must be a three-level name catalog.schema.model, got {full_name!r}",
        )
    return full_name


def _page_size(request: Request) -> int:
    text = request.query_params.get("max_results")
    if text is None or not text.strip():
        return DEFAULT_PAGE
    try:
        size = int(text)
    except ValueError:
        raise invalid("max_results", f"must be an integer, got {text!r}") from None
    if size < 0:
        raise invalid("max_results", f"must not be negative, got {size}")
    return DEFAULT_PAGE if size == 0 else min(size, MAX_PAGE)


def _token(after: int) -> str:
    return base64.urlsafe_b64encode(f"{_PAGE_MARK}{after}".encode()).decode("ascii")


def _after(request: Request) -> int:
    """The version a page token says the previous page ended at; 0 with no token."""
    token = request.query_params.get("page_token")
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
        if not text.startswith(_PAGE_MARK):
            raise ValueError(text)
        after = int(text[len(_PAGE_MARK) :])
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid(
            "page_token", "is not a next_page_token this workspace gave; start without one"
        ) from None
    return after


async def list_versions(request: Request) -> JSONResponse:
    caller(request)  # any authenticated caller: see the module docstring
    full_name = _full_name(request)
    size = _page_size(request)
    after = _after(request)
    try:
        registered = workspace(request).models.registered(full_name)
    except ModelStoreError:
        registered = []  # a name the local store can't hold: it holds no such model
    if not registered:
        raise model_not_found(full_name)
    rest = [model for model in registered if model.version > after]
    page = rest[:size]
    body: dict[str, object] = {"model_versions": [views.model_version(m) for m in page]}
    if len(rest) > len(page):
        body["next_page_token"] = _token(page[-1].version)
    return json_response(body)


routes = [
    Route(PREFIX + "/{full_name}/versions", list_versions, methods=["GET"]),
]
