"""Stored records → the JSON the API answers with, field for field as Databricks writes it.

Stored documents may carry internal keys starting with `_` (such as the config version an
entity was built in); they never leave this module.
"""

from __future__ import annotations

import uuid
from typing import Any

from serving_panel.local.models.registry import RegisteredModel
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
        # As the service's own answers show it: no display_name (wire-fidelity §2).
        entries.append({"group_name": ADMINS_GROUP, "all_permissions": [inherited]})
    return {
        "object_id": f"/serving-endpoints/{endpoint.id}",
        "object_type": OBJECT_TYPE,
        "access_control_list": entries,
    }


# MLflow column types -> JSON Schema (binary travels base64-encoded).
_COLUMN_TYPES: dict[str, dict[str, Any]] = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer", "format": "int32"},
    "long": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "float"},
    "double": {"type": "number", "format": "double"},
    "string": {"type": "string"},
    "binary": {"type": "string", "format": "byte"},
    "datetime": {"type": "string", "format": "date-time"},
}
_TENSOR_TYPES = {
    "bool": {"type": "boolean"},
    "str": {"type": "string"},
    "object": {},
    "bytes": {"type": "string", "format": "byte"},
}


def _spec_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """One MLflow column spec as a JSON Schema; for a tensor spec, one row of it (a value for
    shape `[-1]`, nested arrays for each further dimension)."""
    if spec.get("type") == "tensor":
        tensor = spec.get("tensor-spec") or {}
        dtype = str(tensor.get("dtype", ""))
        if dtype.startswith(("int", "uint")):
            schema: dict[str, Any] = {"type": "integer"}
        elif dtype.startswith("float"):
            schema = {"type": "number"}
        else:
            schema = dict(_TENSOR_TYPES.get(dtype, {}))
        shape = tensor.get("shape")
        for _ in (shape if isinstance(shape, list) else [-1])[1:]:
            schema = {"type": "array", "items": schema}
        return schema
    return dict(_COLUMN_TYPES.get(str(spec.get("type")), {}))


def _request_schema(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """A `oneOf` of the input formats the model server takes, shaped by the signature."""
    named = [spec for spec in inputs if isinstance(spec.get("name"), str)]
    if inputs and len(named) == len(inputs) and inputs[0].get("type") != "tensor":
        columns = [str(spec["name"]) for spec in named]
        required = [str(spec["name"]) for spec in named if spec.get("required", True)]
        row: dict[str, Any] = {
            "type": "object",
            "properties": {str(spec["name"]): _spec_schema(spec) for spec in named},
            "required": required,
        }
        formats: dict[str, Any] = {
            "dataframe_split": {
                "type": "object",
                "properties": {
                    "columns": {"type": "array", "items": {"enum": columns}},
                    "data": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "prefixItems": [_spec_schema(spec) for spec in named],
                        },
                    },
                    "index": {"type": "array"},
                },
                "required": ["columns", "data"],
            },
            "dataframe_records": {"type": "array", "items": row},
            "instances": {"type": "array", "items": row},
            "inputs": {
                "type": "object",
                "properties": {
                    str(spec["name"]): {"type": "array", "items": _spec_schema(spec)}
                    for spec in named
                },
                "required": required,
            },
        }
    else:
        item = _spec_schema(inputs[0]) if len(inputs) == 1 else {}
        formats = {
            "instances": {"type": "array", "items": item},
            "inputs": {"type": "array", "items": item},
        }
    return {
        "oneOf": [
            {"type": "object", "properties": {key: schema}, "required": [key]}
            for key, schema in formats.items()
        ]
    }


def _response_schema(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    named = [spec for spec in outputs if isinstance(spec.get("name"), str)]
    if len(outputs) == 1 and not named:
        predictions: dict[str, Any] = {"type": "array", "items": _spec_schema(outputs[0])}
    elif outputs and len(named) == len(outputs):
        predictions = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {str(spec["name"]): _spec_schema(spec) for spec in named},
            },
        }
    else:
        predictions = {}
    return {
        "type": "object",
        "properties": {"predictions": predictions},
        "required": ["predictions"],
    }


def invocation_openapi(
    endpoint: Endpoint, server_url: str, signatures: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The endpoint's OpenAPI document as the service writes it: OpenAPI 3.1.0, titled by the
    endpoint and versioned by its config, one path per served entity relative to the
    endpoint's URL, each request a `oneOf` of the input formats its signature allows
    (wire-fidelity §7). `signatures` holds every served entity of the current config."""
    config = endpoint.config or {}
    paths: dict[str, Any] = {}
    for entity in config.get("served_entities", []):
        signature = signatures[entity["name"]]
        paths[f"/served-models/{entity['name']}/invocations"] = {
            "post": {
                "summary": f"Query the served model {entity['name']}",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _request_schema(signature["inputs"])}
                    },
                },
                "responses": {
                    "200": {
                        "description": "Successful operation",
                        "content": {
                            "application/json": {"schema": _response_schema(signature["outputs"])}
                        },
                    }
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": endpoint.name, "version": str(config.get("config_version", ""))},
        "servers": [{"url": server_url}],
        "paths": paths,
    }


def model_version(model: RegisteredModel) -> dict[str, Any]:
    """ModelVersionInfo as Unity Catalog lists it (no aliases, no tags): a registered version
    of a three-part name is READY. The store records no registering principal, source run or
    storage URI, so those fields are left out rather than made up."""
    catalog, schema, name = model.name.split(".")
    return {
        "model_name": name,
        "catalog_name": catalog,
        "schema_name": schema,
        "version": model.version,
        "status": "READY",
        "id": str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"serving-panel-local/{model.name}/{model.version}")
        ),
        "created_at": model.registered_at_ms,
        "updated_at": model.registered_at_ms,
    }
