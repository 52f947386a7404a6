"""Stored records → the JSON the API answers with, field for field as Databricks writes it.

Stored documents may carry internal keys starting with `_` (such as the config version an
entity was built in); they never leave this module.
"""

from __future__ import annotations

from typing import Any

from serving_panel.local.state.auth import ADMINS_GROUP, INHERITED_FROM
from serving_panel.local.state.store import AclEntry, Endpoint

OBJECT_TYPE = "serving-endpoint"
# Stored attribute -> the key GET and list answer with. The service never fills in the
# `budget_policy_id` a create sends; it answers with the policy in effect instead
# (wire-fidelity §4, observed).
_ATTRIBUTES = {
    "tags": "tags",
    "ai_gateway": "ai_gateway",
    "budget_policy_id": "effective_budget_policy_id",
    "email_notifications": "email_notifications",
    "telemetry_config": "telemetry_config",
    "task": "task",
}
_SUMMARY_ENTITY_FIELDS = (
    "name",
    "entity_name",
    "entity_version",
    "external_model",
    "foundation_model",
)


def public(value: Any) -> Any:
    """A stored document without its internal `_` keys."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def _served_models(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The legacy served_models view of served entities, which GET still returns."""
    models = []
    for entity in entities:
        if "external_model" in entity:
            continue
        model = {k: v for k, v in entity.items() if k not in ("entity_name", "entity_version")}
        model["model_name"] = entity["entity_name"]
        model["model_version"] = entity["entity_version"]
        models.append(model)
    return models


def config_output(config: dict[str, Any], *, pending: bool) -> dict[str, Any]:
    entities = public(config.get("served_entities", []))
    out: dict[str, Any] = {"config_version": config["config_version"]}
    if pending:
        out["start_time"] = config["start_time"]
    out["served_entities"] = entities
    served_models = _served_models(entities)
    if served_models:
        out["served_models"] = served_models
    out["traffic_config"] = public(config["traffic_config"])
    if "auto_capture_config" in config:
        out["auto_capture_config"] = public(config["auto_capture_config"])
    return out


def detailed(endpoint: Endpoint, permission_level: str) -> dict[str, Any]:
    """ServingEndpointDetailed: GET, create and PUT config answer with this."""
    out: dict[str, Any] = {
        "name": endpoint.name,
        "id": endpoint.id,
        "creator": endpoint.creator,
        "creation_timestamp": endpoint.created_ms,
        "last_updated_timestamp": endpoint.updated_ms,
        "description": endpoint.attributes.get("description", ""),
        "state": {"ready": endpoint.ready, "config_update": endpoint.config_update},
    }
    if endpoint.config is not None:
        out["config"] = config_output(endpoint.config, pending=False)
    if endpoint.pending_config is not None:
        out["pending_config"] = config_output(endpoint.pending_config, pending=True)
    for key, wire_key in _ATTRIBUTES.items():
        if key in endpoint.attributes:
            out[wire_key] = public(endpoint.attributes[key])
    out["permission_level"] = permission_level
    out["route_optimized"] = bool(endpoint.attributes.get("route_optimized", False))
    return out


def summary(endpoint: Endpoint) -> dict[str, Any]:
    """ServingEndpoint, the list item: a config summary, no traffic, no per-entity state."""
    out: dict[str, Any] = {
        "name": endpoint.name,
        "id": endpoint.id,
        "creator": endpoint.creator,
        "creation_timestamp": endpoint.created_ms,
        "last_updated_timestamp": endpoint.updated_ms,
        "description": endpoint.attributes.get("description", ""),
        "state": {"ready": endpoint.ready, "config_update": endpoint.config_update},
    }
    if endpoint.config is not None:
        entities = endpoint.config.get("served_entities", [])
        out["config"] = {
            "served_entities": [
                {k: public(e[k]) for k in _SUMMARY_ENTITY_FIELDS if k in e} for e in entities
            ],
            "served_models": [
                {
                    "name": e["name"],
                    "model_name": e["entity_name"],
                    "model_version": e["entity_version"],
                }
                for e in entities
                if "external_model" not in e
            ],
        }
    for key, wire_key in _ATTRIBUTES.items():
        if key in endpoint.attributes:
            out[wire_key] = public(endpoint.attributes[key])
    return out


def _principal_key(entry: AclEntry) -> dict[str, str]:
    principal = entry.principal
    if principal.kind == "user":
        return {"user_name": principal.name, "display_name": principal.display_name}
    if principal.kind == "group":
        return {"group_name": principal.name, "display_name": principal.display_name}
    return {"service_principal_name": principal.name, "display_name": principal.display_name}


def permissions(endpoint: Endpoint, acl: list[AclEntry]) -> dict[str, Any]:
    """ServingEndpointPermissions: direct entries, plus admins' inherited CAN_MANAGE."""
    entries: list[dict[str, Any]] = []
    admins_entry: dict[str, Any] | None = None
    for entry in acl:
        item = {
            **_principal_key(entry),
            "all_permissions": [{"permission_level": entry.level, "inherited": False}],
        }
        if entry.principal.kind == "group" and entry.principal.name == ADMINS_GROUP:
            admins_entry = item
        entries.append(item)
    inherited = {
        "permission_level": "CAN_MANAGE",
        "inherited": True,
        "inherited_from_object": [INHERITED_FROM],
    }
    if admins_entry is not None:
        admins_entry["all_permissions"].append(inherited)
    else:
        entries.append(
            {
                "group_name": ADMINS_GROUP,
                "display_name": ADMINS_GROUP,
                "all_permissions": [inherited],
            }
        )
    return {
        "object_id": f"/serving-endpoints/{endpoint.id}",
        "object_type": OBJECT_TYPE,
        "access_control_list": entries,
    }


def invocation_openapi(endpoint: Endpoint) -> dict[str, Any]:
    """An OpenAPI 3 description of how to query the endpoint, per served entity."""
    request_schema = {
        "type": "object",
        "description": "One of the pyfunc input formats.",
        "properties": {
            "dataframe_split": {
                "type": "object",
                "properties": {
                    "columns": {"type": "array", "items": {"type": "string"}},
                    "data": {"type": "array", "items": {"type": "array"}},
                    "index": {"type": "array"},
                },
            },
            "dataframe_records": {"type": "array", "items": {"type": "object"}},
            "instances": {"type": "array"},
            "inputs": {},
        },
    }
    response_schema = {"type": "object", "properties": {"predictions": {}}}
    operation = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": request_schema}},
        },
        "responses": {
            "200": {
                "description": "Predictions",
                "content": {"application/json": {"schema": response_schema}},
            }
        },
    }
    paths: dict[str, Any] = {
        f"/serving-endpoints/{endpoint.name}/invocations": {"post": dict(operation)}
    }
    for entity in (endpoint.config or {}).get("served_entities", []):
        path = f"/serving-endpoints/{endpoint.name}/served-models/{entity['name']}/invocations"
        paths[path] = {"post": dict(operation)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": endpoint.name,
            "version": str((endpoint.config or {}).get("config_version", 0)),
        },
        "paths": paths,
    }
