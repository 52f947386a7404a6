"""Checks ServingClient makes before sending, with the same messages the service gives, so a
mistake is caught without a round trip and reads the same either way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from serving_panel import _wire
from serving_panel.errors import ClientValidationError


def _fail(field: str, rule: str) -> ClientValidationError:
    return ClientValidationError(f"{field}: {rule}" if field else rule)


def _join(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field


def endpoint_name(value: object, field: str = "name") -> str:
    problem = _wire.name_problem(value, "endpoint name")
    if problem is not None:
        raise _fail(field, problem)
    assert isinstance(value, str)
    return value


def new_endpoint_name(value: object, field: str = "name") -> str:
    """A name for an endpoint to create: also refuses the reserved `databricks-` prefix."""
    problem = _wire.new_endpoint_name_problem(value)
    if problem is not None:
        raise _fail(field, problem)
    assert isinstance(value, str)
    return value


def served_entity_name(value: object, field: str) -> str:
    problem = _wire.name_problem(value, "served entity name")
    if problem is not None:
        raise _fail(field, problem)
    assert isinstance(value, str)
    return value


def _entity_name(entity: Mapping[str, Any]) -> str | None:
    if entity.get("name") is not None:
        return str(entity["name"])
    model = entity.get("entity_name") or entity.get("model_name")
    version = entity.get("entity_version") or entity.get("model_version")
    if model and version is not None:
        return _wire.default_entity_name(str(model), str(version))
    return None


def config(
    served_entities: Sequence[Mapping[str, Any]],
    traffic: Mapping[str, int] | None,
    prefix: str,
) -> dict[str, Any]:
    """The config body for create or PUT config, checked: entity names, traffic names,
    percentages and their sum. Everything else is left for the service to judge."""
    given: object = served_entities  # callers may pass anything at run time
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise _fail(_join(prefix, "served_entities"), "must be a list of served entities")
    if not served_entities:
        raise _fail(_join(prefix, "served_entities"), "at least one served entity is required")
    names: list[str] = []
    for index, entity in enumerate(served_entities):
        if not isinstance(entity, Mapping):
            raise _fail(f"{_join(prefix, 'served_entities')}[{index}]", "must be a mapping")
        name = _entity_name(entity)
        if name is not None:
            served_entity_name(name, f"{_join(prefix, 'served_entities')}[{index}].name")
            names.append(name)
    body: dict[str, Any] = {"served_entities": [dict(e) for e in served_entities]}
    if traffic is None:
        if len(served_entities) > 1:
            raise _fail(_join(prefix, "traffic_config"), _wire.TRAFFIC_REQUIRED)
        return body
    routes = []
    total = 0
    field = _join(prefix, "traffic_config")
    for index, (target, percentage) in enumerate(traffic.items()):
        route_field = f"{field}.routes[{index}]"
        if len(names) == len(served_entities) and target not in names:
            raise _fail(
                f"{route_field}.served_entity_name", _wire.unknown_route_problem(target, names)
            )
        problem = _wire.percentage_problem(percentage)
        if problem is not None:
            raise _fail(f"{route_field}.traffic_percentage", problem)
        total += percentage
        routes.append({"served_entity_name": target, "traffic_percentage": percentage})
    total_problem = _wire.total_problem(total)
    if total_problem is not None:
        raise _fail(f"{field}.routes", total_problem)
    body["traffic_config"] = {"routes": routes}
    return body


#: Longest principal search query (the client's and the permission editor's).
MAX_PRINCIPAL_QUERY = 200


def principal_query(value: object, field: str) -> str:
    """A principal search: a non-empty string of at most `MAX_PRINCIPAL_QUERY` characters,
    stripped."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, f"must be a non-empty string, got {value!r}")
    text = value.strip()
    if len(text) > MAX_PRINCIPAL_QUERY:
        raise _fail(field, f"must have at most {MAX_PRINCIPAL_QUERY} characters, got {len(text)}")
    return text


#: Longest part of a Unity Catalog name (catalog, schema or model).
MAX_UC_NAME_PART = 255


def model_full_name(value: object, field: str = "name") -> str:
    """A Unity Catalog model's three-level name, `catalog.schema.model`: three non-empty parts
    of at most `MAX_UC_NAME_PART` characters, with no '/' and no control characters."""
    rule = "must be a Unity Catalog model name catalog.schema.model (three non-empty parts)"
    if not isinstance(value, str):
        raise _fail(field, f"{rule}, got {value!r}")
    parts = value.split(".")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise _fail(field, f"{rule}, got {value!r}")
    for part in parts:
        if len(part) > MAX_UC_NAME_PART:
            raise _fail(field, f"each part has at most {MAX_UC_NAME_PART} characters")
        if "/" in part or any(ord(c) < 32 or ord(c) == 127 for c in part):
            raise _fail(field, f"must not contain '/' or control characters, got {value!r}")
    return value
