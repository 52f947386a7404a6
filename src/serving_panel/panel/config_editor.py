"""The config editor: traffic, served entities and rollbacks, previewed before anything is sent.

`PUT .../config` replaces the whole config, so every change (a traffic shift, an entity's new
version, an added or removed entity, a rollback) is one body made from the current config
(`config_edits`). The view first asks for a preview: the exact body, what it changes, and the
curl / databricks-sdk / CLI equivalents (`snippets`, no token in any). Python keeps that body
under a preview id; Apply sends the kept body itself, never one rebuilt or sent back by the
browser, and only while the endpoint still has the config the preview was made from: what was
previewed is what is sent.

Requests (the envelope is `protocol`'s):

``config.history``  ``{}`` → ``{current, config_update, targets: [{version, current,
entities: [{name, entity, version}], routes: [{entity, percentage}]}]}``
    The configs a rollback can send again: every version this panel's client has seen
    (`ServingClient.seen_configs`), newest first, but not the pending config, and not the
    current one unless the last update failed (sending it again then clears the failure).

``config.preview``  ``{edit: Edit}`` or ``{rollback: int}`` → ``Preview``
    ``Edit`` is ``{traffic?: {entity: percentage}, entities?: {entity: {entity_version?,
    workload_size?, scale_to_zero_enabled?}}, add?: [{entity_name, entity_version, name?,
    workload_size?, scale_to_zero_enabled?}], remove?: [entity]}``, each part optional; an
    entity not named in ``traffic`` gets no route; without ``traffic`` the routes stay (minus
    the removed entities'). ``Preview`` is ``{preview_id, kind, base_version, body, changes,
    snippets, refusals, blocked}``: with ``refusals`` (``[{field, rule}]``, every problem found)
    the id, body and snippets are null and nothing can be applied. ``blocked`` says why an
    Apply would be refused now (an update in progress, no CAN_MANAGE), or is null. Nothing is
    sent.

``config.apply``  ``{preview_id}`` → ``{config_version, state}``
    Reads the endpoint fresh; refuses (nothing sent) a preview made from another config
    version (409 STALE_PREVIEW) or while an update runs (409 RESOURCE_CONFLICT, in words);
    then sends the previewed body, re-reads and publishes the endpoint (the header follows the
    update) and answers the new pending config's version. A 403 says CAN_MANAGE is needed; the
    service's other refusals (a model version that does not exist) come back as its errors.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import _wire, config_edits, snippets
from serving_panel.errors import (
    ClientValidationError,
    PermissionDenied,
    ResourceConflict,
    ServingError,
)
from serving_panel.panel.protocol import RequestError, invalid, request_error

if TYPE_CHECKING:
    from serving_panel.panel.protocol import PanelHost
    from serving_panel.types import Endpoint

__all__ = ["WORKLOAD_SIZES", "PanelConfigEditor", "edit_body", "install"]

WORKLOAD_SIZES = ("Small", "Medium", "Large")
"""The CPU/GPU workload sizes a served entity may take (the service's enum)."""

EDITABLE = ("entity_version", "workload_size", "scale_to_zero_enabled")
"""What the editor changes on an existing served entity."""

_EDIT_PARTS = ("traffic", "entities", "add", "remove")
_VERSION = re.compile(r"[1-9][0-9]{0,8}")
# A registered model: `name` in the workspace registry or `catalog.schema.name` in Unity Catalog.
_MODEL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}")
_SIZING = ("min_provisioned_concurrency", "max_provisioned_concurrency", "provisioned_model_units")
#: Previews kept for Apply; older ones are forgotten (Apply then asks for a new preview).
MAX_PREVIEWS = 32


class EditRefusedError(Exception):
    """Problems with an edit: ``[{field, rule}]``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['rule']}" for p in problems))
        self.problems = problems


def _problem(field: str, rule: str) -> dict[str, str]:
    return {"field": field, "rule": rule}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def edit_body(config: Mapping[str, Any], edit: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that applies `edit` (see the module's ``Edit``) to `config` (an answer's
    current config); `EditRefusedError` with every problem found, each naming field and rule."""
    try:
        body = config_edits.config_body(config)
    except ClientValidationError as error:
        raise EditRefusedError([_problem("config", str(error))]) from None
    if "served_entities" not in body:
        raise EditRefusedError(
            [
                _problem(
                    "config.served_models",
                    "this config lists served_models only; change it with "
                    "ServingClient.update_config",
                )
            ]
        )
    problems: list[dict[str, str]] = []
    given: object = edit
    if not isinstance(given, Mapping):
        raise EditRefusedError([_problem("edit", f"must be a JSON object, got {edit!r}")])
    for key in edit:
        if key not in _EDIT_PARTS:
            problems.append(
                _problem(f"edit.{key}", f"is not an edit; known: {', '.join(_EDIT_PARTS)}")
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
            _problem(
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
        raise EditRefusedError(
            [_problem("edit", "changes nothing: the config would stay as it is")]
        )
    return out


def _removals(raw: Any, names: list[str], problems: list[dict[str, str]]) -> set[str]:
    if not isinstance(raw, list):
        problems.append(_problem("remove", f"must be a list of served entity names, got {raw!r}"))
        return set()
    removed: set[str] = set()
    for index, name in enumerate(raw):
        if not isinstance(name, str) or name not in names:
            problems.append(
                _problem(f"remove[{index}]", _wire.unknown_route_problem(str(name), names))
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
            _problem("entities", f"must map served entity names to changes, got {raw!r}")
        )
        return
    by_name = {str(e.get("name")): e for e in entities}
    for name, change in raw.items():
        field = f"entities[{name!r}]"
        entity = by_name.get(name)
        if entity is None:
            problems.append(_problem(field, _wire.unknown_route_problem(str(name), list(by_name))))
            continue
        if name in removed:
            problems.append(_problem(field, "is removed by this edit, so it cannot change too"))
            continue
        if not isinstance(change, Mapping):
            problems.append(_problem(field, f"must be a JSON object, got {change!r}"))
            continue
        if "external_model" in entity and change:
            problems.append(
                _problem(field, "serves an external model: it has no version or workload size")
            )
            continue
        for key, value in change.items():
            sub = f"{field}.{key}"
            if key not in EDITABLE:
                problems.append(
                    _problem(sub, f"is not editable here; editable: {', '.join(EDITABLE)}")
                )
            elif key == "workload_size" and any(k in entity for k in _SIZING):
                problems.append(
                    _problem(
                        sub, "this entity is sized by provisioned concurrency, not a workload size"
                    )
                )
            else:
                rule = _field_problem(key, value)
                if rule is not None:
                    problems.append(_problem(sub, rule))
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
        problems.append(_problem("add", f"must be a list of served entities, got {raw!r}"))
        return []
    added: list[dict[str, Any]] = []
    names = list(taken)
    for index, item in enumerate(raw):
        field = f"add[{index}]"
        if not isinstance(item, Mapping):
            problems.append(_problem(field, f"must be a JSON object, got {item!r}"))
            continue
        before = len(problems)
        for key in item:
            if key not in ("entity_name", "name", *EDITABLE):
                problems.append(
                    _problem(
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
                problems.append(_problem(f"{field}.{key}", rule))
        if len(problems) > before:
            continue
        name = item.get("name") or _wire.default_entity_name(
            entity["entity_name"], entity["entity_version"]
        )
        rule = _wire.name_problem(name, "served entity name")
        if rule is None and name in names:
            rule = f"{name!r} is already a served entity of this config: give another name"
        if rule is not None:
            problems.append(_problem(f"{field}.name", rule))
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
                problems.append(_problem("traffic", _wire.TRAFFIC_REQUIRED))
            return None
        routes = [r for r in old if r["served_entity_name"] not in removed]
        total = sum(int(r["traffic_percentage"] or 0) for r in routes)
        rule = _wire.total_problem(total)
        if rule is not None and names:  # with no entity left, that is the problem to name
            problems.append(_problem("traffic", f"{rule} (give the removed entities' share)"))
        return routes
    traffic = edit["traffic"]
    if not isinstance(traffic, Mapping) or not traffic:
        problems.append(
            _problem("traffic", "must map served entity names to percentages, got " + repr(traffic))
        )
        return None
    valid = True
    for target, percentage in traffic.items():
        field = f"traffic[{target!r}]"
        if target not in names:
            problems.append(_problem(field, _wire.unknown_route_problem(str(target), names)))
            valid = False
            continue
        rule = _wire.percentage_problem(percentage)
        if rule is not None:
            problems.append(_problem(field, rule))
            valid = False
    if valid:
        rule = _wire.total_problem(sum(traffic.values()))
        if rule is not None:
            problems.append(_problem("traffic", rule))
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


class PanelConfigEditor:
    """The `config.*` handlers of one panel, and the previews they keep for Apply."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel
        self._previews: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._ids = itertools.count(1)

    def _read(self) -> Endpoint:
        try:
            return self._panel.client.get(self._panel.endpoint_name)
        except ServingError as error:
            raise request_error(error) from None

    # config.history ---------------------------------------------------------------------

    def history(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        endpoint = self._read()
        current = endpoint.config.config_version if endpoint.config is not None else None
        return {
            "current": current,
            "config_update": endpoint.config_update,
            "targets": [
                {
                    "version": version,
                    "current": version == current,
                    "entities": [
                        {"name": e.name, "entity": e.entity_name or "", "version": e.entity_version}
                        for e in config.served_entities
                    ],
                    "routes": [
                        {"entity": r.served_entity_name, "percentage": r.traffic_percentage}
                        for r in config.routes
                    ],
                }
                for version, config in sorted(self._targets(endpoint).items(), reverse=True)
            ],
        }

    def _targets(self, endpoint: Endpoint) -> dict[int, Any]:
        seen = self._panel.client.seen_configs(endpoint.name)
        current = endpoint.config.config_version if endpoint.config is not None else None
        pending = endpoint.pending_config
        failed = endpoint.config_update in ("UPDATE_FAILED", "UPDATE_CANCELED")
        return {
            version: config
            for version, config in seen.items()
            if (pending is None or version != pending.config_version)
            and (version != current or failed)
        }

    # config.preview ---------------------------------------------------------------------

    def preview(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        endpoint = self._read()
        name = self._panel.endpoint_name
        config = endpoint.config
        if config is None or config.config_version is None:
            raise RequestError(
                f"{name} has no current config to change ({endpoint.state}): nothing can be "
                "previewed until a config deploys",
                error_code="INVALID_STATE",
                status=400,
            )
        base = config.config_version
        current = config.to_json()
        kind = "rollback" if "rollback" in payload else "edit"
        try:
            if kind == "rollback":
                body = self._rollback_body(endpoint, payload["rollback"])
            else:
                if "edit" not in payload:
                    raise invalid("payload", "give an edit ({edit: {...}}) or a rollback version")
                body = edit_body(current, payload["edit"])
        except EditRefusedError as refused:
            return {
                "preview_id": None,
                "kind": kind,
                "base_version": base,
                "body": None,
                "changes": [],
                "snippets": None,
                "refusals": refused.problems,
                "blocked": _blocked(endpoint),
            }
        preview_id = f"p{next(self._ids)}"
        self._previews[preview_id] = (base, body)
        while len(self._previews) > MAX_PREVIEWS:
            self._previews.popitem(last=False)
        lines = changes(current, body)
        if kind == "rollback" and not lines:
            lines = ["the same served entities and traffic as now, sent again as a new version"]
        return {
            "preview_id": preview_id,
            "kind": kind,
            "base_version": base,
            "body": body,
            "changes": lines,
            "snippets": snippets.update_config(name, body),
            "refusals": [],
            "blocked": _blocked(endpoint),
        }

    def _rollback_body(self, endpoint: Endpoint, version: Any) -> dict[str, Any]:
        if isinstance(version, bool) or not isinstance(version, int):
            raise EditRefusedError(
                [_problem("rollback", f"must be a config version number, got {version!r}")]
            )
        targets = self._targets(endpoint)
        if version not in targets:
            known = ", ".join(f"v{v}" for v in sorted(targets)) or "none"
            raise EditRefusedError(
                [
                    _problem(
                        "rollback",
                        f"config v{version} is not one this panel can send again (the current "
                        f"or pending config, or one it never saw); it can: {known}",
                    )
                ]
            )
        return config_edits.config_body(targets[version].to_json())

    # config.apply -----------------------------------------------------------------------

    def apply(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        panel = self._panel
        preview_id = payload.get("preview_id")
        kept = self._previews.get(preview_id) if isinstance(preview_id, str) else None
        if kept is None or not isinstance(preview_id, str):
            raise invalid(
                "preview_id",
                f"{preview_id!r} is not a preview this panel made (or it was forgotten): "
                "preview the change again",
            )
        base, body = kept
        endpoint = self._read()
        if endpoint.updating:
            raise _in_progress(endpoint)
        now = endpoint.config.config_version if endpoint.config is not None else None
        if now != base:
            raise RequestError(
                f"The endpoint changed since this preview: it was made from config v{base}, "
                f"and the endpoint is now at config v{now}. Nothing was sent; preview the "
                "change again to see what it would do now.",
                error_code="STALE_PREVIEW",
                status=409,
            )
        routes = body.get("traffic_config", {}).get("routes")
        traffic = (
            None
            if routes is None
            else {r["served_entity_name"]: r["traffic_percentage"] for r in routes}
        )
        fields = {k: v for k, v in body.items() if k not in ("served_entities", "traffic_config")}
        try:
            # update_config sends {served_entities, traffic_config: {routes}, **fields}: the
            # kept body, routes in its order.
            panel.client.update_config(
                panel.endpoint_name, body["served_entities"], traffic=traffic, **fields
            )
        except ResourceConflict as error:
            raise _in_progress(None, error) from None
        except PermissionDenied as error:
            raise RequestError(
                "Changing the config needs CAN_MANAGE on this endpoint"
                f"{_your_level(endpoint)}. Nothing was changed. (The service said: "
                f"{error.message})",
                error_code=error.error_code,
                status=error.status,
            ) from None
        except ServingError as error:
            raise request_error(error) from None
        self._previews.pop(preview_id, None)
        try:
            after = panel.refresh()
        except ServingError as error:
            raise request_error(error) from None
        pending = after.pending_config or after.config
        return {
            "config_version": pending.config_version if pending is not None else None,
            "state": after.state,
        }


def _your_level(endpoint: Endpoint) -> str:
    level = endpoint.permission_level
    return f"; you have {level}" if level else ""


def _blocked(endpoint: Endpoint) -> str | None:
    """Why an Apply would be refused now, or None."""
    level = endpoint.permission_level
    if level is not None and level != "CAN_MANAGE":
        return f"Changing the config needs CAN_MANAGE on this endpoint; you have {level}."
    if endpoint.updating:
        return str(_in_progress(endpoint))
    return None


def _in_progress(endpoint: Endpoint | None, error: ResourceConflict | None = None) -> RequestError:
    pending = endpoint.pending_config if endpoint is not None else None
    which = f" to config v{pending.config_version}" if pending is not None else ""
    said = f" (The service said: {error.message})" if error is not None else ""
    return RequestError(
        f"Another update{which} is in progress, and the service refuses a new config until it "
        "ends (409). Nothing was sent. The panel follows that update; once it is over, preview "
        f"the change again and apply it.{said}",
        error_code="RESOURCE_CONFLICT",
        status=409,
    )


def install(panel: PanelHost) -> PanelConfigEditor:
    """Registers the config editor's request kinds on `panel`."""
    handlers = PanelConfigEditor(panel)
    panel.register_request("config.history", handlers.history)
    panel.register_request("config.preview", handlers.preview)
    panel.register_request("config.apply", handlers.apply)
    return handlers
