"""`--seed demo`: small real models, users and groups, and endpoints in every interesting state.

Built only through the workspace's public operations (the same code the routes run), and only
into a workspace that has no endpoints yet, so restarting a seeded data directory keeps it as is.

    ads-endpoint        Ready: ads1 versions 1 and 2 at 80/20
    sentiment           Ready, updating (Not ready (updating) ... until the slow model loads)
    fraud-detector      Ready (update failed): version 2 raises on load, version 1 keeps serving
    churn-model         Not ready (update failed): its only model raises on load
"""

from __future__ import annotations

import os
from pathlib import Path

from serving_panel.local import identities, operations
from serving_panel.local.models.demo import write_demo_models
from serving_panel.local.state import auth
from serving_panel.local.state.errors import ApiError
from serving_panel.local.state.store import Endpoint, Principal
from serving_panel.local.workspace import Workspace

#: How long the demo's slow model takes to load, so "updating" stays visible for a while.
DEMO_SLOW_SECONDS = "60"

#: The demo's service principal (its application id).
CI_DEPLOYER = "6f1c3a52-0c1e-4d0b-9d0c-8a3f2b7e4c11"

USERS = {
    "alice@example.com": ("Alice Liddell", ["data-science"]),
    "bob@example.com": ("Bob Builder", ["ml-platform"]),
    "jsmith@example.com": ("John Smith", []),
}


def apply_seed(ws: Workspace, name: str) -> None:
    if name != "demo":
        raise ValueError(f"seed: unknown seed {name!r}; the only one is 'demo'")
    if ws.store.list_endpoints():
        return
    seed_demo(ws)


def _entity(model: str, version: str, name: str | None = None) -> dict[str, object]:
    entity: dict[str, object] = {
        "entity_name": model,
        "entity_version": version,
        "workload_size": "Small",
        "scale_to_zero_enabled": False,
    }
    if name is not None:
        entity["name"] = name
    return entity


def _principal(ws: Workspace, kind: str, name: str) -> Principal:
    found = ws.store.find_principal(kind, name)
    if found is None:
        raise RuntimeError(f"seed: {kind} {name} is missing")
    return found


def seed_demo(ws: Workspace) -> None:
    os.environ.setdefault("SERVING_PANEL_DEMO_SLOW_SECONDS", DEMO_SLOW_SECONDS)
    ws.lifecycle.builder.environment.setdefault(
        "SERVING_PANEL_DEMO_SLOW_SECONDS", os.environ["SERVING_PANEL_DEMO_SLOW_SECONDS"]
    )
    models = write_demo_models(ws.data_dir / "demo-models")
    _register(ws, "ads1", models["regressor"], 2)
    _register(ws, "main.default.sentiment", models["classifier"], 1)
    _register(ws, "main.default.sentiment", models["slow"], 1)
    _register(ws, "fraud", models["regressor"], 1)
    _register(ws, "fraud", models["broken"], 1)
    _register(ws, "churn", models["broken"], 1)

    for email, (display, groups) in USERS.items():
        identities.add_user(ws.store, email, groups, display)
    identities.add_service_principal(ws.store, "ci-deployer", CI_DEPLOYER, ["ml-platform"])
    alice = _principal(ws, "user", "alice@example.com")
    bob = _principal(ws, "user", "bob@example.com")

    ads = operations.create_endpoint(
        ws,
        alice,
        {
            "name": "ads-endpoint",
            "description": "Click-through model for ads ranking",
            "config": {
                "served_entities": [_entity("ads1", "1"), _entity("ads1", "2")],
                "traffic_config": {
                    "routes": [
                        {"served_entity_name": "ads1-1", "traffic_percentage": 80},
                        {"served_entity_name": "ads1-2", "traffic_percentage": 20},
                    ]
                },
            },
            "tags": [{"key": "team", "value": "ads"}, {"key": "tier", "value": "gold"}],
        },
    )
    sentiment = operations.create_endpoint(
        ws,
        bob,
        {
            "name": "sentiment",
            "config": {"served_entities": [_entity("main.default.sentiment", "1")]},
            "tags": [{"key": "team", "value": "nlp"}],
        },
    )
    fraud = operations.create_endpoint(
        ws,
        bob,
        {"name": "fraud-detector", "config": {"served_entities": [_entity("fraud", "1")]}},
    )
    churn = operations.create_endpoint(
        ws,
        alice,
        {"name": "churn-model", "config": {"served_entities": [_entity("churn", "1")]}},
    )
    if not ws.lifecycle.wait_idle(120):
        raise RuntimeError("seed: the first builds did not finish within 120 s")

    # Second versions: one that loads slowly (updating), one that fails (update failed).
    operations.update_config(
        ws,
        _managing(ws, bob),
        _fresh(ws, fraud.name),
        {"served_entities": [_entity("fraud", "2")]},
    )
    # The failed update is part of the demo's starting state; wait for it (the slow one not).
    if not ws.lifecycle.wait_update(fraud.id, 120):
        raise RuntimeError("seed: fraud-detector's second version did not finish building")
    operations.update_config(
        ws,
        _managing(ws, bob),
        _fresh(ws, sentiment.name),
        {
            "served_entities": [
                _entity("main.default.sentiment", "1"),
                _entity("main.default.sentiment", "2"),
            ],
            "traffic_config": {
                "routes": [
                    {"served_entity_name": "sentiment-1", "traffic_percentage": 90},
                    {"served_entity_name": "sentiment-2", "traffic_percentage": 10},
                ]
            },
        },
    )

    _grant(
        ws,
        ads,
        ("user_name", "bob@example.com", "CAN_QUERY"),
        ("group_name", "data-science", "CAN_VIEW"),
        ("service_principal_name", CI_DEPLOYER, "CAN_QUERY"),
    )
    _grant(ws, sentiment, ("user_name", "alice@example.com", "CAN_QUERY"))
    _grant(ws, fraud, ("group_name", "data-science", "CAN_VIEW"))
    _grant(ws, churn, ("user_name", "bob@example.com", "CAN_VIEW"))


def _grant(ws: Workspace, endpoint: Endpoint, *entries: tuple[str, str, str]) -> None:
    """Merges (kind field, name, level) grants into the endpoint's ACL, as a PATCH does."""
    acl = [{field: name, "permission_level": level} for field, name, level in entries]
    creator = _principal(ws, "user", endpoint.creator)
    operations.update_permissions(
        ws, _managing(ws, creator), endpoint, {"access_control_list": acl}
    )


def _managing(ws: Workspace, principal: Principal) -> auth.Guard:
    """The seed acts as the endpoints' creators, through the same checks as a request."""
    return auth.Guard(auth.caller_for(ws.store, principal), "CAN_MANAGE", "seeding the demo")


def _register(ws: Workspace, name: str, path: Path, count: int) -> None:
    for _ in range(count):
        ws.models.register(name, path)


def _fresh(ws: Workspace, name: str) -> Endpoint:
    found = ws.store.endpoint_by_name(name)
    if found is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"seed: {name} vanished")
    return found
