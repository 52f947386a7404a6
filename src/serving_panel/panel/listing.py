"""The explorer's Endpoints view, Python side (↔ js/src/explorer/): one row per endpoint, first
from one `list` call, then the details only a GET per endpoint gives, read over the client's
bounded pool in batches the browser asks for (it shows the progress and keeps asking).

Rows reach the browser as replies, never as a synced trait: 5,000 rows would bloat a saved
notebook. Every string in a row is server text (names, tags, creators, entity names): the view
renders it as text, never as HTML.

Requests (the envelope is `protocol`'s):

``explorer.list``  ``{}`` → ``{rows: [Row], me: str|null, fetched_at: ms}``
    One `list` call. ``me`` is who the client acts as (SCIM Me: a user's userName, a service
    principal's applicationId), for "created by me"; null when SCIM cannot say.
``explorer.details``  ``{names: [str]}`` (1 to `MAX_BATCH`) → ``{rows: [Row], missing: [str],
    errors: [{name, error: ErrorView}]}``
    A GET per name, `ServingClient.max_workers` at a time. ``missing``: deleted since the
    list. ``errors``: the rest that failed, each on its own (a 429 or 503 the client's retries
    could not get past: the browser asks again later, more slowly; nothing fails the view).

A Row is ``{name, id, state, ready, config_update, updating, creator, created, updated,
description, tags: [{key, value}], entities: [{name, entity, version, state}], traffic:
[{entity, percentage}] | null, pending_version, permission_level, detailed}``. Until
``detailed`` (a GET answered), ``traffic``, ``pending_version``, ``permission_level`` and each
entity's ``state`` are null: the list does not give them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from serving_panel.errors import ResourceDoesNotExist, ServingError
from serving_panel.panel.protocol import error_view, invalid, request_error

if TYPE_CHECKING:
    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint

__all__ = ["MAX_BATCH", "EndpointListing", "row"]

#: Names per `explorer.details` request, at most.
MAX_BATCH = 200


def row(endpoint: Endpoint, *, detailed: bool) -> dict[str, Any]:
    """One endpoint as the Endpoints view shows it (the module docstring gives the shape)."""
    config = endpoint.config
    entities = [] if config is None else list(config.served_entities)
    return {
        "name": endpoint.name,
        "id": endpoint.id,
        "state": endpoint.state,
        "ready": endpoint.ready,
        "config_update": endpoint.config_update,
        "updating": endpoint.updating,
        "creator": endpoint.creator,
        "created": _ms(endpoint.created),
        "updated": _ms(endpoint.updated),
        "description": endpoint.description,
        "tags": [{"key": key, "value": value} for key, value in endpoint.tags.items()],
        "entities": [
            {
                "name": entity.name,
                "entity": entity.entity_name
                or (
                    f"{entity.external_model.get('provider')}/{entity.external_model.get('name')}"
                    if entity.external_model is not None
                    else ""
                ),
                "version": entity.entity_version,
                "state": entity.deployment_state if detailed else None,
            }
            for entity in entities
        ],
        "traffic": (
            [
                {"entity": route.served_entity_name, "percentage": route.traffic_percentage}
                for route in config.routes
            ]
            if detailed and config is not None
            else None
        ),
        "pending_version": (
            endpoint.pending_config.config_version
            if detailed and endpoint.pending_config is not None
            else None
        ),
        "permission_level": endpoint.permission_level if detailed else None,
        "detailed": detailed,
    }


class EndpointListing:
    """The `explorer.list` and `explorer.details` handlers over one client."""

    def __init__(self, client: ServingClient) -> None:
        self._client = client

    def list(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        # Who the caller is (SCIM Me) is read alongside the list, not after it: the first rows
        # are on screen one round trip sooner.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="explorer-me") as pool:
            me = pool.submit(self._me)
            try:
                endpoints = self._client.list()
            except ServingError as error:
                raise request_error(error) from None
            return {
                "rows": [row(endpoint, detailed=False) for endpoint in endpoints],
                "me": me.result(),
                "fetched_at": int(time.time() * 1000),
            }

    def details(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        names = payload.get("names")
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(name, str) and name for name in names)
        ):
            raise invalid("names", "must be a non-empty list of endpoint names")
        if len(names) > MAX_BATCH:
            raise invalid("names", f"at most {MAX_BATCH} per request, got {len(names)}")
        workers = max(1, min(self._client.max_workers, len(names)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="explorer") as pool:
            answers = list(pool.map(self._get, names))
        rows: list[dict[str, Any]] = []
        missing: list[str] = []
        errors: list[dict[str, Any]] = []
        for name, answer in zip(names, answers, strict=True):
            if isinstance(answer, ResourceDoesNotExist):
                missing.append(name)
            elif isinstance(answer, Exception):
                errors.append({"name": name, "error": error_view(answer)})
            else:
                rows.append(row(answer, detailed=True))
        return {"rows": rows, "missing": missing, "errors": errors}

    def _get(self, name: str) -> Endpoint | Exception:
        try:
            return self._client.get(name)
        except ServingError as error:
            return error

    def _me(self) -> str | None:
        try:
            return self._client.me().name
        except ServingError:
            return None


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
