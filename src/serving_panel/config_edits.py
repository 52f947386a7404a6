"""Config edits: a config as the service answered it, plus an edit, to the exact PUT body.

`PUT /api/2.0/serving-endpoints/{name}/config` replaces the whole config, so a traffic change
or a rollback must re-send every served entity as it is, in its input form: the GET answer's
entities carry read-only fields (`state`, `creator`, `creation_timestamp`, `foundation_model`)
and, beside `served_entities`, the legacy `served_models` view of the same entities; sending
either back would store state as input or serve each entity twice.

Pure (stdlib, `errors` and `_wire`), working on JSON, so the client and the panel's preview
make one body: what the preview shows is what is sent. Refusals are `ClientValidationError`s
naming the field and the rule, raised before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serving_panel import _wire
from serving_panel.errors import ClientValidationError

__all__ = [
    "ENTITY_INPUT_FIELDS",
    "config_body",
    "entity_input",
    "entity_names",
    "traffic_body",
    "traffic_changes",
]

ENTITY_INPUT_FIELDS = (
    "name",
    "entity_name",
    "entity_version",
    "external_model",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
    "burst_scaling_enabled",
    "environment_vars",
    "instance_profile_arn",
)
"""ServedEntityInput's fields (databricks-sdk 0.162.0): everything else in an answer is output.
An allow-list, because output fields the service adds later must not be sent back as input."""

_LEGACY_INPUT_FIELDS = tuple(
    {"entity_name": "model_name", "entity_version": "model_version"}.get(key, key)
    for key in ENTITY_INPUT_FIELDS
    if key != "external_model"
)


def _fail(field: str, rule: str) -> ClientValidationError:
    return ClientValidationError(f"{field}: {rule}")


def _entities(config: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    """("served_entities" or "served_models", the entities): the newer spelling when present,
    since an answer lists the same entities under both."""
    for key in ("served_entities", "served_models"):
        items = config.get(key)
        if isinstance(items, list) and items:
            if not all(isinstance(item, Mapping) for item in items):
                raise _fail(f"config.{key}", "must be a list of JSON objects")
            return key, list(items)
    raise _fail("config.served_entities", "the config serves no entity, so there is none to keep")


def entity_input(entity: Mapping[str, Any], *, legacy: bool = False) -> dict[str, Any]:
    """One served entity (or, `legacy`, served model) of an answer, as input: its input
    fields only, in the answer's order."""
    allowed = _LEGACY_INPUT_FIELDS if legacy else ENTITY_INPUT_FIELDS
    return {key: value for key, value in entity.items() if key in allowed}


def entity_names(config: Mapping[str, Any]) -> list[str]:
    """The served entity names of a config, in its order."""
    _, items = _entities(config)
    return [str(item.get("name", "")) for item in items]


def _routes(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    traffic = config.get("traffic_config")
    routes = traffic.get("routes") if isinstance(traffic, Mapping) else None
    out = []
    for route in routes if isinstance(routes, list) else []:
        if not isinstance(route, Mapping):
            continue
        target = route.get("served_entity_name") or route.get("served_model_name")
        out.append(
            {"served_entity_name": target, "traffic_percentage": route.get("traffic_percentage")}
        )
    return out


def config_body(config: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that re-sends `config` (an answer's `config` or `pending_config`) as it is:
    its entities in input form, its routes, its auto-capture settings without their state. A
    rollback sends this; the service makes it a new config version."""
    if not isinstance(config, Mapping):
        raise _fail("config", "must be a JSON object")
    key, items = _entities(config)
    body: dict[str, Any] = {
        key: [entity_input(item, legacy=key == "served_models") for item in items]
    }
    routes = _routes(config)
    if routes:
        body["traffic_config"] = {"routes": routes}
    capture = config.get("auto_capture_config")
    if isinstance(capture, Mapping):
        body["auto_capture_config"] = {k: v for k, v in capture.items() if k != "state"}
    return body


def traffic_body(config: Mapping[str, Any], traffic: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that keeps `config`'s served entities as they are and routes traffic as
    `traffic` says ({served entity name: percentage}). Refuses, naming the field: anything but
    a mapping; a name that is not a served entity of `config`; a percentage that is not an
    integer from 0 to 100; a total other than 100. Routes follow the config's entity order, so
    a preview reads in the order the endpoint lists its entities; an entity not named gets no
    route (no traffic)."""
    given: object = traffic
    if not isinstance(given, Mapping) or not given:
        raise _fail(
            "traffic",
            f"must be a non-empty mapping of served entity name to percentage, got {traffic!r}",
        )
    body = config_body(config)
    names = entity_names(config)
    for target, percentage in traffic.items():
        field = f"traffic[{target!r}]"
        if not isinstance(target, str) or target not in names:
            raise _fail(field, _wire.unknown_route_problem(str(target), names))
        problem = _wire.percentage_problem(percentage)
        if problem is not None:
            raise _fail(field, problem)
    total_problem = _wire.total_problem(sum(traffic.values()))
    if total_problem is not None:
        raise _fail("traffic", total_problem)
    body["traffic_config"] = {
        "routes": [
            {"served_entity_name": name, "traffic_percentage": traffic[name]}
            for name in names
            if name in traffic
        ]
    }
    return body


def traffic_changes(config: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """How `body`'s routes differ from `config`'s, one line per entity whose share moves:
    `ads1-1 100% → 80%`. Entities without a route count as 0%."""
    before = {r["served_entity_name"]: r["traffic_percentage"] for r in _routes(config)}
    after = {r["served_entity_name"]: r["traffic_percentage"] for r in _routes(body)}
    lines = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name, 0), after.get(name, 0)
        if old != new:
            lines.append(f"{name} {old}% → {new}%")
    return lines
