"""Checks request bodies the way the service does, and normalizes configs for storage.

Every refusal is a 400 INVALID_PARAMETER_VALUE naming the field (as a JSON path such as
`config.served_entities[1].name`) and the rule it broke. Nothing here touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from serving_panel import _wire
from serving_panel.local.state.ai_gateway import parse_ai_gateway
from serving_panel.local.state.errors import ApiError, invalid
from serving_panel.local.state.jsontext import parse_json

MAX_NAME_LENGTH = _wire.MAX_NAME_LENGTH
MAX_SERVED_ENTITIES = 15
MAX_ENVIRONMENT_VARS = 30
WORKLOAD_SIZES = {"Small": 4, "Medium": 8, "Large": 16}
WORKLOAD_TYPES = (
    "CPU",
    "CPU_MEDIUM",
    "CPU_LARGE",
    "GPU_SMALL",
    "GPU_MEDIUM",
    "GPU_LARGE",
    "GPU_XLARGE",
    "GPU_XLARGE_8",
    "MULTIGPU_MEDIUM",
)
EXTERNAL_PROVIDERS = (
    "ai21labs",
    "amazon-bedrock",
    "anthropic",
    "cohere",
    "custom",
    "databricks-model-serving",
    "google-cloud-vertex-ai",
    "openai",
    "palm",
)
# Fields that only make sense for a model the workspace runs, not for an external model.
ENTITY_ONLY_FIELDS = (
    "entity_name",
    "entity_version",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
)

#: Checks that a model version exists: None when it does, else which input is wrong ("name"
#: or "version") and why.
ModelCheck = Callable[[str, str], tuple[str, str] | None]


def _join(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field


def check_object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(field, f"must be a JSON object, got {type(value).__name__}")
    return dict(value)


def check_name(value: Any, field: str, what: str = "name") -> str:
    problem = _wire.name_problem(value, what)
    if problem is not None:
        raise invalid(field, problem)
    assert isinstance(value, str)
    return value


def check_new_endpoint_name(value: Any, field: str = "name") -> str:
    """A create's endpoint name: the name rules and the reserved `databricks-` prefix."""
    problem = _wire.new_endpoint_name_problem(value)
    if problem is not None:
        raise invalid(field, problem)
    assert isinstance(value, str)
    return value


def check_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(field, f"must be true or false, got {value!r}")
    return value


def check_string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise invalid(field, f"must be a string, got {type(value).__name__}")
    return value


def check_int(value: Any, field: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, f"must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise invalid(field, f"must be {bound}, got {value}")
    return value


default_entity_name = _wire.default_entity_name


def _check_environment(value: Any, field: str) -> dict[str, str]:
    env = check_object(value, field)
    if len(env) > MAX_ENVIRONMENT_VARS:
        raise invalid(field, f"at most {MAX_ENVIRONMENT_VARS} environment variables are allowed")
    for key, item in env.items():
        if not isinstance(item, str):
            raise invalid(f"{field}.{key}", "environment variable values must be strings")
    return env


def _check_external_model(value: Any, field: str) -> dict[str, Any]:
    model = check_object(value, field)
    for required in ("provider", "name", "task"):
        if not isinstance(model.get(required), str) or not model[required]:
            raise invalid(f"{field}.{required}", "is required")
    if model["provider"] not in EXTERNAL_PROVIDERS:
        raise invalid(
            f"{field}.provider",
            f"must be one of {', '.join(EXTERNAL_PROVIDERS)}, got {model['provider']!r}",
        )
    # Plaintext secrets are accepted but never stored or echoed.
    cleaned: dict[str, Any] = _without_plaintext(model)
    return cleaned


def _without_plaintext(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_plaintext(v) for k, v in value.items() if not k.endswith("_plaintext")}
    if isinstance(value, list):
        return [_without_plaintext(v) for v in value]
    return value


def _served_entity(raw: Any, field: str, legacy: bool, model_check: ModelCheck) -> dict[str, Any]:
    # Keys starting with "_" are the workspace's own (state/configs.py); never taken as input.
    entity = {k: v for k, v in check_object(raw, field).items() if not k.startswith("_")}
    if legacy:
        # served_models is the older spelling of served_entities.
        for old, new in (("model_name", "entity_name"), ("model_version", "entity_version")):
            if old in entity:
                entity[new] = entity.pop(old)
    for key in ("entity_name", "entity_version"):
        if key in entity and isinstance(entity[key], int) and not isinstance(entity[key], bool):
            entity[key] = str(entity[key])
    external = entity.get("external_model")
    if external is not None:
        mixed = [key for key in ENTITY_ONLY_FIELDS if key in entity]
        if mixed:
            raise invalid(
                field,
                f"set either external_model or the model fields ({', '.join(mixed)}), not both",
            )
        entity["external_model"] = _check_external_model(external, f"{field}.external_model")
        if "name" not in entity:
            entity["name"] = re.sub(r"[.:]", "-", entity["external_model"]["name"])
    else:
        if not entity.get("entity_name"):
            kind = "model_name" if legacy else "entity_name"
            raise invalid(f"{field}.{kind}", "is required (or give an external_model)")
        name = check_string(entity["entity_name"], f"{field}.entity_name")
        version = entity.get("entity_version")
        if not isinstance(version, str) or not version:
            kind = "model_version" if legacy else "entity_version"
            raise invalid(f"{field}.{kind}", "is required for a registered model")
        problem = model_check(name, version)
        if problem is not None:
            which, why = problem
            prefix = "model" if legacy else "entity"
            raise invalid(f"{field}.{prefix}_{which}", why)
        _check_sizing(entity, field)
        workload_type = entity.setdefault("workload_type", "CPU")
        if not isinstance(workload_type, str) or workload_type not in WORKLOAD_TYPES:
            raise invalid(
                f"{field}.workload_type",
                f"must be one of {', '.join(WORKLOAD_TYPES)}, got {workload_type!r}",
            )
        entity["scale_to_zero_enabled"] = check_bool(
            entity.get("scale_to_zero_enabled", False), f"{field}.scale_to_zero_enabled"
        )
        if "name" not in entity:
            entity["name"] = default_entity_name(name, version)
    check_name(entity["name"], f"{field}.name", "served entity name")
    if "environment_vars" in entity:
        entity["environment_vars"] = _check_environment(
            entity["environment_vars"], f"{field}.environment_vars"
        )
    entity.pop("burst_scaling_enabled", None)  # accepted, not echoed (as the service does)
    return entity


SIZING_FIELDS = ("min_provisioned_concurrency", "max_provisioned_concurrency")


def _check_sizing(entity: dict[str, Any], field: str) -> None:
    """`workload_size` or min/max provisioned concurrency (or, on provisioned-throughput
    endpoints, model units). The service fills in `workload_size` only when none was sent
    (wire-fidelity §4); the sizes it echoes are the ones given."""
    concurrency = [key for key in SIZING_FIELDS if key in entity]
    if "workload_size" in entity and concurrency:
        raise invalid(field, "use workload_size or min/max_provisioned_concurrency, not both")
    for key in concurrency:
        check_int(entity[key], f"{field}.{key}", 0)
    if len(concurrency) == 2:
        low, high = entity["min_provisioned_concurrency"], entity["max_provisioned_concurrency"]
        if low > high:
            raise invalid(
                f"{field}.min_provisioned_concurrency",
                f"must not exceed max_provisioned_concurrency ({high}), got {low}",
            )
    if "provisioned_model_units" in entity:
        check_int(entity["provisioned_model_units"], f"{field}.provisioned_model_units", 1)
    if concurrency or "provisioned_model_units" in entity:
        return
    size = entity.setdefault("workload_size", "Small")
    if not isinstance(size, str) or size not in WORKLOAD_SIZES:
        raise invalid(
            f"{field}.workload_size",
            f"must be one of {', '.join(WORKLOAD_SIZES)} in the local workspace, got {size!r}",
        )


def _traffic(raw: Any, field: str, names: list[str]) -> dict[str, Any]:
    traffic = check_object(raw, field)
    routes = traffic.get("routes")
    if not isinstance(routes, list) or not routes:
        raise invalid(f"{field}.routes", "must be a non-empty list of routes")
    seen: set[str] = set()
    total = 0
    normalized = []
    for index, route_raw in enumerate(routes):
        route_field = f"{field}.routes[{index}]"
        route = check_object(route_raw, route_field)
        entity = route.get("served_entity_name")
        model = route.get("served_model_name")
        if entity is not None and model is not None and entity != model:
            raise invalid(
                route_field, "served_entity_name and served_model_name name different entities"
            )
        target = entity if entity is not None else model
        if not isinstance(target, str) or not target:
            raise invalid(route_field, "served_entity_name (or served_model_name) is required")
        if target not in names:
            raise invalid(
                f"{route_field}.served_entity_name", _wire.unknown_route_problem(target, names)
            )
        if target in seen:
            raise invalid(route_field, f"{target!r} has more than one route")
        seen.add(target)
        percentage = route.get("traffic_percentage")
        problem = _wire.percentage_problem(percentage)
        if problem is not None:
            raise invalid(f"{route_field}.traffic_percentage", problem)
        assert isinstance(percentage, int)
        total += percentage
        normalized.append(
            {
                "served_model_name": target,
                "served_entity_name": target,
                "traffic_percentage": percentage,
            }
        )
    total_problem = _wire.total_problem(total)
    if total_problem is not None:
        raise invalid(f"{field}.routes", total_problem)
    return {"routes": normalized}


def parse_config(raw: Any, prefix: str, model_check: ModelCheck) -> dict[str, Any]:
    """A config input (create's `config`, or the PUT config body) checked and normalized.

    Returns `{"served_entities": [...], "traffic_config": {...}}` plus any
    `auto_capture_config`; served_models input is folded into served_entities.
    """
    config = check_object(raw, prefix or "body")
    config.pop("name", None)  # the SDK always sends config.name on create; the service ignores it
    entities: list[dict[str, Any]] = []
    for key, legacy in (("served_entities", False), ("served_models", True)):
        if key not in config:
            continue
        items = config[key]
        field = _join(prefix, key)
        if not isinstance(items, list):
            raise invalid(field, "must be a list")
        entities.extend(
            _served_entity(item, f"{field}[{index}]", legacy, model_check)
            for index, item in enumerate(items)
        )
    if not entities:
        raise invalid(_join(prefix, "served_entities"), "at least one served entity is required")
    if len(entities) > MAX_SERVED_ENTITIES:
        raise invalid(
            _join(prefix, "served_entities"),
            f"at most {MAX_SERVED_ENTITIES} served entities per endpoint, got {len(entities)}",
        )
    names = [entity["name"] for entity in entities]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise invalid(
            _join(prefix, "served_entities"),
            f"served entity names must be unique; repeated: {', '.join(duplicates)}",
        )
    tasks = {e["external_model"]["task"] for e in entities if "external_model" in e}
    if len(tasks) > 1:
        raise invalid(
            _join(prefix, "served_entities"),
            "all external models of an endpoint must share one task, "
            f"got {', '.join(sorted(tasks))}",
        )
    externals = sum(1 for e in entities if "external_model" in e)
    if 0 < externals < len(entities):
        raise invalid(
            _join(prefix, "served_entities"),
            "an endpoint serves either external models or registered models, not both",
        )
    if "traffic_config" in config and config["traffic_config"] is not None:
        traffic = _traffic(config["traffic_config"], _join(prefix, "traffic_config"), names)
    elif len(entities) == 1:
        traffic = {
            "routes": [
                {
                    "served_model_name": names[0],
                    "served_entity_name": names[0],
                    "traffic_percentage": 100,
                }
            ]
        }
    else:
        raise invalid(_join(prefix, "traffic_config"), _wire.TRAFFIC_REQUIRED)
    result: dict[str, Any] = {"served_entities": entities, "traffic_config": traffic}
    if "auto_capture_config" in config:
        result["auto_capture_config"] = check_object(
            config["auto_capture_config"], _join(prefix, "auto_capture_config")
        )
    return result


def check_external_change(current: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
    """An endpoint keeps serving external models, or registered ones, for its whole life."""
    if not current or not current.get("served_entities"):
        return
    was_external = any("external_model" in e for e in current["served_entities"])
    is_external = any("external_model" in e for e in new["served_entities"])
    if was_external != is_external:
        raise invalid(
            "served_entities",
            "an endpoint created with external models must keep them, and one created "
            "without can't add them",
        )


def parse_tags(raw: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise invalid(field, "must be a list of {key, value} objects")
    tags = []
    for index, item in enumerate(raw):
        tag = check_object(item, f"{field}[{index}]")
        key = tag.get("key")
        if not isinstance(key, str) or not key:
            raise invalid(f"{field}[{index}].key", "is required and must be a non-empty string")
        entry = {"key": key}
        if tag.get("value") is not None:
            entry["value"] = check_string(tag["value"], f"{field}[{index}].value")
        tags.append(entry)
    return tags


def parse_rate_limits(raw: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise invalid(field, "must be a list")
    limits = []
    for index, item in enumerate(raw):
        limit = check_object(item, f"{field}[{index}]")
        check_int(limit.get("calls"), f"{field}[{index}].calls", 0)
        if limit.get("renewal_period") != "minute":
            raise invalid(f"{field}[{index}].renewal_period", "must be 'minute'")
        if "key" in limit and limit["key"] not in ("user", "endpoint"):
            raise invalid(f"{field}[{index}].key", "must be 'user' or 'endpoint'")
        limits.append(limit)
    return limits


NOTIFICATION_LISTS = ("on_update_failure", "on_update_success")


def parse_notifications(raw: Any, field: str) -> dict[str, Any]:
    """Email notifications, the same rule on create and on PATCH: each list holds addresses."""
    notifications = check_object(raw, field)
    for key in NOTIFICATION_LISTS:
        value = notifications.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid(_join(field, key), "must be a list of email addresses")
    return notifications


TELEMETRY_FEATURES = (
    "TELEMETRY_FEATURE_INFERENCE_TABLE",
    "TELEMETRY_FEATURE_LOGS",
    "TELEMETRY_FEATURE_METRICS",
    "TELEMETRY_FEATURE_TRACES",
)
TELEMETRY_TABLES = ("logs_table", "metrics_table", "traces_table", "annotations_table")


def parse_telemetry_config(raw: Any, field: str) -> dict[str, Any]:
    """TelemetryConfig, on create and on PATCH telemetry-config: an existing profile's id or the
    Unity Catalog tables of a new one (not both), the features to export, and the inference
    table's sampling. Fields this workspace doesn't know are kept as sent."""
    config = check_object(raw, field)
    if "telemetry_profile_id" in config:
        profile = check_string(config["telemetry_profile_id"], _join(field, "telemetry_profile_id"))
        if not profile:
            raise invalid(_join(field, "telemetry_profile_id"), "must not be empty")
    if "table_names" in config:
        if "telemetry_profile_id" in config:
            raise invalid(field, "give telemetry_profile_id or table_names, not both")
        tables = check_object(config["table_names"], _join(field, "table_names"))
        for key, value in tables.items():
            table_field = f"{_join(field, 'table_names')}.{key}"
            if key in TELEMETRY_TABLES and not (isinstance(value, str) and value):
                raise invalid(table_field, "must be a non-empty table name")
    if "enabled_telemetry_features" in config:
        features = config["enabled_telemetry_features"]
        features_field = _join(field, "enabled_telemetry_features")
        if not isinstance(features, list):
            raise invalid(features_field, "must be a list")
        for index, feature in enumerate(features):
            if feature not in TELEMETRY_FEATURES:
                raise invalid(
                    f"{features_field}[{index}]",
                    f"must be one of {', '.join(TELEMETRY_FEATURES)}, got {feature!r}",
                )
    if "inference_table_config" in config:
        table_field = _join(field, "inference_table_config")
        table = check_object(config["inference_table_config"], table_field)
        if "name" in table:
            check_string(table["name"], f"{table_field}.name")
        if "sampling_fraction" in table:
            fraction = table["sampling_fraction"]
            number = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
            if not number or not 0 <= fraction <= 1:
                raise invalid(
                    f"{table_field}.sampling_fraction",
                    f"must be a number from 0.0 to 1.0, got {fraction!r}",
                )
    return config


# Provisioned throughput: fields a PtServedModel has no room for, and why.
_NOT_PROVISIONED_THROUGHPUT = {
    "external_model": "an external model can't be served with provisioned throughput",
    "scale_to_zero_enabled": "provisioned throughput has fixed capacity and can't scale to zero",
    "workload_size": "size a provisioned-throughput entity with provisioned_model_units",
    "workload_type": "size a provisioned-throughput entity with provisioned_model_units",
    "min_provisioned_concurrency": "size a provisioned-throughput entity with "
    "provisioned_model_units",
    "max_provisioned_concurrency": "size a provisioned-throughput entity with "
    "provisioned_model_units",
}


def parse_pt_config(raw: Any, prefix: str, model_check: ModelCheck) -> dict[str, Any]:
    """A PtEndpointCoreConfig (provisioned throughput): served entities sized in model units,
    then checked and normalized as any config is."""
    config = check_object(raw, prefix or "body")
    entities = config.get("served_entities")
    field = _join(prefix, "served_entities")
    if not isinstance(entities, list) or not entities:
        raise invalid(field, "at least one served entity is required")
    for index, raw_entity in enumerate(entities):
        entity_field = f"{field}[{index}]"
        entity = check_object(raw_entity, entity_field)
        for key, why in _NOT_PROVISIONED_THROUGHPUT.items():
            if key in entity:
                raise invalid(f"{entity_field}.{key}", why)
        if not entity.get("entity_name"):
            raise invalid(f"{entity_field}.entity_name", "is required")
        if "provisioned_model_units" not in entity:
            raise invalid(f"{entity_field}.provisioned_model_units", "is required")
        if "burst_scaling_enabled" in entity:
            check_bool(entity["burst_scaling_enabled"], f"{entity_field}.burst_scaling_enabled")
    return parse_config(
        {key: config[key] for key in ("served_entities", "traffic_config") if key in config},
        prefix,
        model_check,
    )


def parse_create_pt(
    raw: Any, model_check: ModelCheck
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Create's body for a provisioned-throughput endpoint: the name, its config (required)
    and the attributes it may carry (AI gateway, budget policy, notifications, tags)."""
    body = check_object(raw, "body")
    name = check_new_endpoint_name(body.get("name"))
    if body.get("config") is None:
        raise invalid("config", "is required for a provisioned-throughput endpoint")
    config = parse_pt_config(body["config"], "config", model_check)
    attributes = _create_attributes(
        {
            k: body[k]
            for k in ("ai_gateway", "budget_policy_id", "email_notifications", "tags")
            if k in body
        }
    )
    return name, config, attributes


EXTERNAL_FUNCTION_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def parse_external_function(raw: Any) -> str:
    """An external-function call (`POST /api/2.0/external-function`): the connection it names,
    once the body is well formed. `headers`, `json` and `params` travel as JSON text."""
    body = check_object(raw, "body")
    name = body.get("connection_name")
    if not isinstance(name, str) or not name:
        raise invalid("connection_name", "is required and must be a non-empty string")
    if body.get("method") not in EXTERNAL_FUNCTION_METHODS:
        raise invalid(
            "method",
            f"must be one of {', '.join(EXTERNAL_FUNCTION_METHODS)}, got {body.get('method')!r}",
        )
    if not isinstance(body.get("path"), str):
        raise invalid("path", "is required and must be a string")
    for key, kind in (("headers", dict), ("params", dict), ("json", object)):
        if body.get(key) is None:  # databricks-sdk sends null for the ones not given
            continue
        text = body[key]
        if not isinstance(text, str):
            raise invalid(key, f"must be a string holding JSON, got {type(text).__name__}")
        try:
            value = parse_json(text.encode("utf-8", "surrogatepass"))
        except ApiError as error:
            raise invalid(key, f"must hold JSON: {error.message}") from error
        if not isinstance(value, kind):
            raise invalid(key, "must hold a JSON object")
    if body.get("sub_domain") is not None:
        check_string(body["sub_domain"], "sub_domain")
    return name


def parse_create(
    raw: Any, model_check: ModelCheck
) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
    """Create's body: the endpoint name, its first config (if any) and its other attributes."""
    body = check_object(raw, "body")
    name = check_new_endpoint_name(body.get("name"))
    config = None
    if body.get("config") is not None:
        config = parse_config(body["config"], "config", model_check)
    attributes = _create_attributes(body)
    if config is not None:
        tasks = {
            e["external_model"]["task"] for e in config["served_entities"] if "external_model" in e
        }
        if tasks:
            attributes["task"] = tasks.pop()
    return name, config, attributes


def _create_attributes(body: dict[str, Any]) -> dict[str, Any]:
    """The attributes a create body may set besides its name and config, checked."""
    attributes: dict[str, Any] = {"description": ""}
    if body.get("description") is not None:
        attributes["description"] = check_string(body["description"], "description")
    if body.get("tags") is not None:
        attributes["tags"] = parse_tags(body["tags"], "tags")
    if body.get("route_optimized") is not None:
        attributes["route_optimized"] = check_bool(body["route_optimized"], "route_optimized")
    if body.get("budget_policy_id") is not None:
        attributes["budget_policy_id"] = check_string(body["budget_policy_id"], "budget_policy_id")
    if body.get("email_notifications") is not None:
        notifications = parse_notifications(body["email_notifications"], "email_notifications")
        if notifications:
            attributes["email_notifications"] = notifications
    if body.get("ai_gateway") is not None:
        gateway = parse_ai_gateway(body["ai_gateway"], "ai_gateway")
        if gateway:
            attributes["ai_gateway"] = gateway
    if body.get("rate_limits") is not None:
        attributes["rate_limits"] = parse_rate_limits(body["rate_limits"], "rate_limits")
    if body.get("telemetry_config") is not None:
        telemetry = parse_telemetry_config(body["telemetry_config"], "telemetry_config")
        if telemetry:
            attributes["telemetry_config"] = telemetry
    return attributes
