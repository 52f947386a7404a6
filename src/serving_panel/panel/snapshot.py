"""What the panel's browser side is given: a small JSON snapshot of one endpoint, and every way
it changes. The one module that makes snapshots; the widget and the features publish what these
functions return.

Everything here may be saved into a notebook and shown to anyone who opens it, so it holds only
what the endpoint's GET answer holds, shaped for rendering: never a token, a host's credentials
or a header. Times are epoch milliseconds; the view formats them. Every new snapshot has a
higher ``revision`` than the one it follows: the view knows a refresh it asked for has been
answered when a newer revision arrives (a failed read publishes one too, with ``error``).
"""

from __future__ import annotations

import time
from typing import Any

from serving_panel.panel.protocol import RequestError, error_view
from serving_panel.types import Endpoint, EndpointConfig

#: The snapshot's error once the endpoint is gone.
DELETED_ERROR = error_view(
    RequestError("This endpoint was deleted.", error_code="DELETED", status=404)
)


def config_view(config: EndpointConfig | None) -> dict[str, Any] | None:
    if config is None:
        return None
    traffic = config.traffic()
    return {
        "version": config.config_version,
        "start_time": _ms(config.start_time),
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
                "workload_size": entity.workload_size,
                "workload_type": entity.workload_type,
                "scale_to_zero": entity.scale_to_zero_enabled,
                "state": entity.deployment_state,
                "message": entity.deployment_message,
                "traffic": traffic.get(entity.name),
                "external": entity.external_model is not None,
            }
            for entity in config.served_entities
        ],
        "routes": [
            {"entity": route.served_entity_name, "percentage": route.traffic_percentage}
            for route in config.routes
        ],
    }


def of(
    endpoint: Endpoint, after: dict[str, Any], triage: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The endpoint as read, following the snapshot `after`; with `triage`, the diagnoses of
    its failed entities (panel/triage.py: a list of `Diagnosis.to_json()`), a key present only
    while there is one."""
    return {
        "name": endpoint.name,
        "id": endpoint.id,
        "revision": _next(after),
        "fetched_at": int(time.time() * 1000),
        "state": endpoint.state,
        "ready": endpoint.ready,
        "config_update": endpoint.config_update,
        "creator": endpoint.creator,
        "created": _ms(endpoint.created),
        "updated": _ms(endpoint.updated),
        "description": endpoint.description,
        "permission_level": endpoint.permission_level,
        "tags": [{"key": key, "value": value} for key, value in endpoint.tags.items()],
        "config": config_view(endpoint.config),
        "pending": config_view(endpoint.pending_config),
        "error": None,
        **({"triage": triage} if triage else {}),
    }


def empty(name: str) -> dict[str, Any]:
    """Before the first read: the name, and nothing known yet."""
    return {
        "name": name,
        "id": "",
        "revision": 0,
        "fetched_at": None,
        "state": None,
        "ready": None,
        "config_update": None,
        "creator": None,
        "created": None,
        "updated": None,
        "description": "",
        "permission_level": None,
        "tags": [],
        "config": None,
        "pending": None,
        "error": None,
    }


def with_error(current: dict[str, Any], error: Exception) -> dict[str, Any]:
    """A read the view asked for failed: keep what is shown, and say why."""
    return {**current, "revision": _next(current), "error": error_view(error)}


def deleted(current: dict[str, Any]) -> dict[str, Any]:
    """The endpoint was deleted from this panel: keep what was shown, and say it is gone."""
    return {**current, "revision": _next(current), "error": dict(DELETED_ERROR), "deleted": True}


def is_deleted(current: dict[str, Any]) -> bool:
    return bool(current.get("deleted"))


def _next(current: dict[str, Any]) -> int:
    return int(current.get("revision", 0)) + 1


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
