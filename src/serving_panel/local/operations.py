"""Endpoint operations shared by the HTTP routes and the demo seed: the workspace's backend.

They take the acting principal and request bodies, raise `ApiError`, and know no HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

from serving_panel.local.state import validation
from serving_panel.local.state.configs import pending_config
from serving_panel.local.state.errors import already_exists, endpoint_not_found, update_in_progress
from serving_panel.local.state.store import Endpoint, Principal, StoreConflictError, now_ms
from serving_panel.local.workspace import Workspace


def create_endpoint(ws: Workspace, creator: Principal, body: Any) -> Endpoint:
    """Stores a new endpoint (its creator gets CAN_MANAGE) and starts building its config."""
    name, config, attributes = validation.parse_create(body, ws.model_problem)
    at = now_ms()
    endpoint = Endpoint(
        id=uuid.uuid4().hex,
        name=name,
        creator=creator.name,
        created_ms=at,
        updated_ms=at,
        ready="NOT_READY",
        config_update="IN_PROGRESS" if config is not None else "NOT_UPDATING",
        last_config_version=1 if config is not None else 0,
        config=None,
        pending_config=pending_config(config, 1, at, creator.name, None) if config else None,
        attributes=attributes,
    )
    try:
        ws.store.create_endpoint(endpoint, creator)
    except StoreConflictError as error:
        raise already_exists(name) from error
    ws.lifecycle.start(endpoint.id)
    return endpoint


def update_config(ws: Workspace, actor: Principal, endpoint: Endpoint, body: Any) -> Endpoint:
    """Stores the next config as pending (unless an update is in progress) and builds it."""
    config = validation.parse_config(body, "", ws.model_problem)
    validation.check_external_change(endpoint.config, config)
    at = now_ms()
    try:
        updated = ws.store.begin_update(
            endpoint.name,
            lambda current: pending_config(
                config, current.last_config_version + 1, at, actor.name, current.config
            ),
            at,
        )
    except StoreConflictError as error:
        raise update_in_progress(endpoint.name) from error
    except KeyError as error:
        raise endpoint_not_found(endpoint.name) from error
    ws.lifecycle.start(updated.id)
    return updated


def delete_endpoint(ws: Workspace, endpoint: Endpoint) -> None:
    if ws.store.delete_endpoint(endpoint.name) is None:
        raise endpoint_not_found(endpoint.name)
    ws.lifecycle.forget(endpoint.id)
