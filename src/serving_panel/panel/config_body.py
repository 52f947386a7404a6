"""An edit of the Config tab, applied to the current config: the exact `PUT .../config` body,
what it changes line by line, or every problem with it, each naming its field and rule.

An ``Edit`` is ``{traffic?: {entity: percentage}, entities?: {entity: {entity_version?,
workload_size?, scale_to_zero_enabled?}}, add?: [{entity_name, entity_version, name?,
workload_size?, scale_to_zero_enabled?}], remove?: [entity]}``, each part optional. The body
starts from `config_edits.config_body` (every served entity re-sent in its input form), so an
edit changes only what it names. An entity not named in ``traffic`` gets no route; without
``traffic`` the routes stay (minus the removed entities'). Added entities carry the defaults the
service would store (Small, no scale to zero, CPU), so the config it stores reads back as the
body sent.

Pure (stdlib, `_wire`, `errors`, `config_edits`): the panel's preview and its tests use it
without a workspace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from serving_panel import _wire, config_edits
from serving_panel.errors import ClientValidationError

__all__ = ["EDITABLE", "WORKLOAD_SIZES", "EditRefusedError", "changes", "edit_body", "problem"]

WORKLOAD_SIZES = ("Small", "Medium", "Large")
"""The CPU/GPU workload sizes a served entity may take (the service's enum)."""

EDITABLE = ("entity_version", "workload_size", "scale_to_zero_enabled")
"""What the editor changes on an existing served entity."""

_EDIT_PARTS = ("traffic", "entities", "add", "remove")
_VERSION = re.compile(r"[1-9][0-9]{0,8}")
# A registered model: `name` in the workspace registry or `catalog.schema.name` in Unity Catalog.
_MODEL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}")
_SIZING = ("min_provisioned_concurrency", "max_provisioned_concurrency", "provisioned_model_units")


class EditRefusedError(Exception):
    """Problems with an edit: ``[{field, rule}]``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['rule']}" for p in problems))
        self.problems = problems


def problem(field: str, rule: str) -> dict[str, str]:
    return {"field": field, "rule": rule}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def edit_body(config: Mapping[str, Any], edit: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that applies `edit` (see the module's ``Edit``) to `config` (an answer's
    current config); `EditRefusedError` with every problem found, each naming field and rule."""
    try:
        body = config_edits.config_body(config)
    except ClientValidationError as error:
        raise EditRefusedError([problem("config", str(error))]) from None
    if "served_entities" not in body:
        raise EditRefusedError(
            [
                problem(
                    "config.served_models",
                    "this config lists served_models only; change it with "
                    "ServingClient.update_config",
                )
            ]
        )
    problems: list[dict[str, str]] = []
    given: object = edit
    if not isinstance(given, Mapping):
        raise EditRefusedError([problem("edit", f"must be a JSON object, got {edit!r}")])
    for key in edit:
        if key not in _EDIT_PARTS:
            problems.append(
                problem(f"edit.{key}", f"is not an edit; known: {', '.join(_EDIT_PARTS)}")
            )
    entities = [dict(e) for e in body["served_entities"]]
    names = [str(e.get("name", "")) for e in entities]

    removed = _removals(edit.get("remove", []), names, problems)
    _changes(edit.get("entities", {}), entities, removed, problems)
    kept = [e for e in entities if e.get("name") not in removed]
    added = _additions(edit.get("add", []), [str(e.get("name")) for e in kept], problems)
    new_entities = kept + added
    if not new_entities:
        problems.append(
            problem(
                "remove",
                "an endpoint serves at least one entity: keep one (or delete the endpoint)",
            )
        )
    new_names = [str(e["name"]) for e in new_entities]
    routes = _routes(edit, body, new_names, removed, problems)
    if problems:
        raise EditRefusedError(problems)
    out: dict[str, Any] = {"served_entities": new_entities}
    if routes is not None:
        out["traffic_config"] = {"routes": routes}
    if "auto_capture_config" in body:
        out["auto_capture_config"] = body["auto_capture_config"]
    if out == body:
        raise EditRefusedError([problem("edit", "changes nothing: the config would stay as it is")])
    return out


def _removals(raw: Any, names: list[str], problems: list[dict[str, str]]) -> set[str]:
    if not isinstance(raw, list):
        problems.append(problem("remove", f"must be a list of served entity names, got {raw!r}"))
        return set()
    removed: set[str] = set()
    for index, name in enumerate(raw):
        if not isinstance(name, str) or name not in names:
            problems.append(
                problem(f"remove[{index}]", _wire.unknown_route_problem(str(name), names))
            )
        else:
            removed.add(name)
    return removed


def _changes(
    raw: Any, entities: list[dict[str, Any]], removed: set[str], problems: list[dict[str, str]]
) -> None:
    """Applies each entity's changes in place."""
    if not isinstance(raw, Mapping):
        problems.append(
            problem("entities", f"must map served entity names to changes, got {raw!r}")
        )
        return
    by_name = {str(e.get("name")): e for e in entities}
    for name, change in raw.items():
        field = f"entities[{name!r}]"
        entity = by_name.get(name)
        if entity is None:
            problems.append(problem(field, _wire.unknown_route_problem(str(name), list(by_name))))
            continue
        if name in removed:
            problems.append(problem(field, "is removed by this edit, so it cannot change too"))
            continue
        if not isinstance(change, Mapping):
            problems.append(problem(field, f"must be a JSON object, got {change!r}"))
            continue
        if "external_model" in entity and change:
            problems.append(
                problem(field, "serves an external model: it has no version or workload size")
            )
            continue
        for key, value in change.items():
            sub = f"{field}.{key}"
            if key not in EDITABLE:
                problems.append(
                    problem(sub, f"is not editable here; editable: {', '.join(EDITABLE)}")
                )
            elif key == "workload_size" and any(k in entity for k in _SIZING):
                problems.append(
                    problem(
                        sub, "this entity is sized by provisioned concurrency, not a workload size"
                    )
                )
            else:
                rule = _field_problem(key, value)
                if rule is not None:
                    problems.append(problem(sub, rule))
                else:
                    entity[key] = value


def _field_problem(key: str, value: Any) -> str | None:
    if key == "entity_version" and not (isinstance(value, str) and _VERSION.fullmatch(value)):
        return f"must be a model version number (1, 2, ...), got {value!r}"
    if key == "workload_size" and value not in WORKLOAD_SIZES:
        return f"must be one of {', '.join(WORKLOAD_SIZES)}, got {value!r}"
    if key == "scale_to_zero_enabled" and not isinstance(value, bool):
        return f"must be true or false, got {value!r}"
    if key == "entity_name" and not (isinstance(value, str) and _MODEL_NAME.fullmatch(value)):
        return (
            "must be a registered model's name (letters, digits, _ - and the dots of "
            f"catalog.schema.model), got {value!r}"
        )
    return None


def _additions(raw: Any, taken: list[str], problems: list[dict[str, str]]) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        problems.append(problem("add", f"must be a list of served entities, got {raw!r}"))
        return []
    added: list[dict[str, Any]] = []
    names = list(taken)
    for index, item in enumerate(raw):
        field = f"add[{index}]"
        if not isinstance(item, Mapping):
            problems.append(problem(field, f"must be a JSON object, got {item!r}"))
            continue
        before = len(problems)
        for key in item:
            if key not in ("entity_name", "name", *EDITABLE):
                problems.append(
                    problem(
                        f"{field}.{key}",
                        "is not a field the editor sets; known: entity_name, entity_version, "
                        "name, workload_size, scale_to_zero_enabled",
                    )
                )
        entity = {
            "entity_name": item.get("entity_name"),
            "entity_version": item.get("entity_version"),
            "workload_size": item.get("workload_size", "Small"),
            "scale_to_zero_enabled": item.get("scale_to_zero_enabled", False),
        }
        for key, value in entity.items():
            rule = _field_problem(key, value)
            if rule is not None:
                problems.append(problem(f"{field}.{key}", rule))
        if len(problems) > before:
            continue
        name = item.get("name") or _wire.default_entity_name(
            entity["entity_name"], entity["entity_version"]
        )
        rule = _wire.name_problem(name, "served entity name")
        if rule is None and name in names:
            rule = f"{name!r} is already a served entity of this config: give another name"
        if rule is not None:
            problems.append(problem(f"{field}.name", rule))
            continue
        names.append(name)
        # workload_type as the service would default it, so the config it stores is the body.
        added.append({"name": name, **entity, "workload_type": "CPU"})
    return added


def _routes(
    edit: Mapping[str, Any],
    body: Mapping[str, Any],
    names: list[str],
    removed: set[str],
    problems: list[dict[str, str]],
) -> list[dict[str, Any]] | None:
    if "traffic" not in edit:
        old = body.get("traffic_config", {}).get("routes")
        if old is None:
            if len(names) > 1:
                problems.append(problem("traffic", _wire.TRAFFIC_REQUIRED))
            return None
        routes = [r for r in old if r["served_entity_name"] not in removed]
        total = sum(int(r["traffic_percentage"] or 0) for r in routes)
        rule = _wire.total_problem(total)
        if rule is not None and names:  # with no entity left, that is the problem to name
            problems.append(problem("traffic", f"{rule} (give the removed entities' share)"))
        return routes
    traffic = edit["traffic"]
    if not isinstance(traffic, Mapping) or not traffic:
        problems.append(
            problem("traffic", "must map served entity names to percentages, got " + repr(traffic))
        )
        return None
    valid = True
    for target, percentage in traffic.items():
        field = f"traffic[{target!r}]"
        if target not in names:
            problems.append(problem(field, _wire.unknown_route_problem(str(target), names)))
            valid = False
            continue
        rule = _wire.percentage_problem(percentage)
        if rule is not None:
            problems.append(problem(field, rule))
            valid = False
    if valid:
        rule = _wire.total_problem(sum(traffic.values()))
        if rule is not None:
            problems.append(problem("traffic", rule))
    return [
        {"served_entity_name": name, "traffic_percentage": traffic[name]}
        for name in names
        if name in traffic
    ]


def changes(config: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """What `body` changes in `config`, one line each: entities added and removed, each input
    field that moves (`ads1-1: entity_version 1 → 2`), then each route
    (`config_edits.traffic_changes`)."""
    before = {
        str(e.get("name")): e for e in config_edits.config_body(config).get("served_entities", [])
    }
    after = {str(e.get("name")): e for e in body.get("served_entities", [])}
    lines = []
    for name, entity in after.items():
        old = before.get(name)
        if old is None:
            what = entity.get("entity_name") or "external model"
            version = entity.get("entity_version")
            lines.append(f"add {name}: {what}" + (f" v{version}" if version else ""))
            continue
        for key in dict.fromkeys([*old, *entity]):
            if key != "name" and old.get(key) != entity.get(key):
                lines.append(
                    f"{name}: {key} {_shown(old.get(key, '(none)'))} → "
                    f"{_shown(entity.get(key, '(none)'))}"
                )
    lines.extend(f"remove {name}" for name in before if name not in after)
    lines.extend(config_edits.traffic_changes(config, body))
    return lines
