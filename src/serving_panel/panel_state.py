"""What the panel's browser side is given: a small JSON snapshot of one endpoint.

Everything here may be saved into a notebook and shown to anyone who opens it, so it holds only
what the endpoint's GET answer holds, shaped for rendering: never a token, a host's credentials
or a header. Times are epoch milliseconds; the view formats them.
"""

from __future__ import annotations

import time
from typing import Any

from serving_panel.errors import ApiError, ServingError
from serving_panel.types import Endpoint, EndpointConfig


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


def snapshot(endpoint: Endpoint, revision: int) -> dict[str, Any]:
    return {
        "name": endpoint.name,
        "id": endpoint.id,
        "revision": revision,
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
    }


def empty_snapshot(name: str, revision: int = 0) -> dict[str, Any]:
    """Before the first read (or when it failed): the name, and nothing known yet."""
    return {
        "name": name,
        "id": "",
        "revision": revision,
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


def error_view(error: Exception) -> dict[str, Any]:
    """An error as the view shows it inline; the message is the client's, which never holds a
    token."""
    if isinstance(error, ApiError):
        return {"message": error.message, "error_code": error.error_code, "status": error.status}
    if isinstance(error, ServingError):
        return {"message": str(error), "error_code": type(error).__name__, "status": 0}
    return {
        "message": f"{type(error).__name__}: {error}",
        "error_code": "INTERNAL_ERROR",
        "status": 0,
    }


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
