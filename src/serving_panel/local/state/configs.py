"""Serving configs as stored: the pending config an update writes, and what it means for readiness.

A stored config is the JSON document the API serves, plus internal keys starting with `_`
(`_built_in`: the config version whose build produced the entity). An update stores the next
config as pending; entities unchanged from the current config keep their state and build, the
others start DEPLOYMENT_CREATING and are built in the new version (see `builds/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CREATING = "DEPLOYMENT_CREATING"
READY = "DEPLOYMENT_READY"
FAILED = "DEPLOYMENT_FAILED"
ABORTED = "DEPLOYMENT_ABORTED"

_STATE_KEYS = ("state", "creator", "creation_timestamp")


def entity_definition(entity: Mapping[str, Any]) -> dict[str, Any]:
    """What the user asked for, without what the workspace adds (state, creator, internals)."""
    return {k: v for k, v in entity.items() if k not in _STATE_KEYS and not k.startswith("_")}


def pending_config(
    config: Mapping[str, Any],
    version: int,
    start_ms: int,
    creator: str,
    current: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The stored pending config: entities unchanged from the current config keep their state
    and build; the others start DEPLOYMENT_CREATING and are built in this version."""
    previous = {e["name"]: e for e in (current or {}).get("served_entities", [])}
    entities = []
    for entity in config["served_entities"]:
        before = previous.get(entity["name"])
        if before is not None and entity_definition(before) == entity_definition(entity):
            entities.append(dict(before))
            continue
        entities.append(
            {
                **entity,
                "creator": creator,
                "creation_timestamp": start_ms,
                "state": {
                    "deployment": CREATING,
                    "deployment_state_message": "Waiting for the build to start.",
                },
                "_built_in": version,
            }
        )
    pending = {
        "config_version": version,
        "start_time": start_ms,
        "served_entities": entities,
        "traffic_config": config["traffic_config"],
    }
    if "auto_capture_config" in config:
        pending["auto_capture_config"] = config["auto_capture_config"]
    return pending


def endpoint_ready(config: Mapping[str, Any] | None) -> str:
    if not config or not config.get("served_entities"):
        return "NOT_READY"
    states = {e["state"]["deployment"] for e in config["served_entities"]}
    return "READY" if states == {READY} else "NOT_READY"


# Stopped endpoints ---------------------------------------------------------------------------
# Stop and start (wire-fidelity §8): a stopped endpoint keeps its config, serves nothing, and
# reads `ready: NOT_READY` + `config_update: NOT_UPDATING`, which the service's UI shows as
# "Not ready (Stopped)"; the API has no STOPPED value. The store marks it in the endpoint's
# attributes under an internal key, which no answer shows.

STOPPED = "_stopped"
STOPPED_MESSAGE = "The endpoint is stopped; its model servers are not running. Start it to serve."


def is_stopped(attributes: Mapping[str, Any]) -> bool:
    return bool(attributes.get(STOPPED))


def custom_model_problem(config: Mapping[str, Any] | None) -> str | None:
    """Why stop and start don't apply to an endpoint with this config (the service allows them
    on custom-model endpoints only), or None when they do."""
    if not config or not config.get("served_entities"):
        return "it has no config to stop or start"
    for entity in config["served_entities"]:
        if "external_model" in entity:
            return f"served entity '{entity['name']}' is an external model"
        if "provisioned_model_units" in entity:
            return f"served entity '{entity['name']}' is provisioned throughput (model units)"
    return None


def stopped_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as a stopped endpoint shows it: every entity DEPLOYMENT_ABORTED, saying why
    (the service's entity state while stopped is unknown; this one reads as not serving)."""
    entities = [
        {**e, "state": {"deployment": ABORTED, "deployment_state_message": STOPPED_MESSAGE}}
        for e in config.get("served_entities", [])
    ]
    return {**config, "served_entities": entities}


def restart_config(
    config: Mapping[str, Any], version: int, start_ms: int, creator: str
) -> dict[str, Any]:
    """The pending config a start stores: the stopped config's entities and traffic as a new
    config version, every entity built again in it (so it gets new model servers)."""
    definition: dict[str, Any] = {
        "served_entities": [entity_definition(e) for e in config.get("served_entities", [])],
        "traffic_config": config["traffic_config"],
    }
    if "auto_capture_config" in config:
        definition["auto_capture_config"] = config["auto_capture_config"]
    return pending_config(definition, version, start_ms, creator, None)
