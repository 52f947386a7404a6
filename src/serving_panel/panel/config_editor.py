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
    workload_size?, scale_to_zero_enabled?}], remove?: [entity]}``, each part optional
    (`config_body` makes the body and names the problems). ``Preview`` is ``{preview_id,
    kind, base_version, body, changes, snippets, refusals, blocked}``: with ``refusals``
    (``[{field, rule}]``, every problem found) the id, body and snippets are null and nothing
    can be applied. ``blocked`` says why an Apply would be refused now (an update in progress,
    no CAN_MANAGE), or is null. Nothing is sent.

``config.apply``  ``{preview_id}`` → ``{config_version, state}``
    Reads the endpoint fresh; refuses (nothing sent) a preview made from another config
    version (409 STALE_PREVIEW) or while an update runs (409 RESOURCE_CONFLICT, in words);
    then sends the previewed body, re-reads and publishes the endpoint (the header follows the
    update) and answers the new pending config's version. A 403 says CAN_MANAGE is needed; the
    service's other refusals (a model version that does not exist) come back as its errors.

``config.versions``  ``{name}`` → ``{name, versions: [{version, status, created}], total}``
    The versions of the Unity Catalog model `name` (catalog.schema.model) that the add-entity
    form offers, newest first (`ServingClient.model_versions`): `created` in epoch ms or null,
    at most `MAX_VERSIONS` of them (`total` counts all). A name that is not three-level is
    refused (400, naming the field); a model the workspace's Unity Catalog lacks, or the caller
    may not see, is a 404 in words. The form keeps free text either way.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import config_edits, snippets
from serving_panel.errors import (
    ClientValidationError,
    PermissionDenied,
    ResourceConflict,
    ResourceDoesNotExist,
    ServingError,
)
from serving_panel.panel.config_body import EditRefusedError, changes, edit_body, problem
from serving_panel.panel.protocol import RequestError, invalid, request_error

if TYPE_CHECKING:
    from serving_panel.panel.protocol import PanelHost
    from serving_panel.types import Endpoint

__all__ = ["PanelConfigEditor", "install"]

#: Previews kept for Apply; older ones are forgotten (Apply then asks for a new preview).
MAX_PREVIEWS = 32
#: Model versions a `config.versions` reply carries at most (the newest).
MAX_VERSIONS = 200


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
                [problem("rollback", f"must be a config version number, got {version!r}")]
            )
        targets = self._targets(endpoint)
        if version not in targets:
            known = ", ".join(f"v{v}" for v in sorted(targets)) or "none"
            raise EditRefusedError(
                [
                    problem(
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

    # config.versions --------------------------------------------------------------------

    def versions(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        name = payload.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", f"must be a model name catalog.schema.model, got {name!r}")
        name = name.strip()
        try:
            found = self._panel.client.model_versions(name)
        except ClientValidationError as error:
            raise RequestError(
                f"{error} Versions are listed for Unity Catalog models only; type the version.",
                error_code="INVALID_PARAMETER_VALUE",
                status=400,
            ) from None
        except ResourceDoesNotExist as error:
            raise RequestError(
                f"This workspace has no Unity Catalog model {name}, or you may not see it "
                f"(listing needs EXECUTE on the model). (The service said: {error.message})",
                error_code=error.error_code,
                status=error.status,
            ) from None
        except ServingError as error:
            raise request_error(error) from None
        return {
            "name": name,
            "versions": [
                {
                    "version": v.version,
                    "status": v.status,
                    "created": int(v.created.timestamp() * 1000) if v.created else None,
                }
                for v in found[:MAX_VERSIONS]
            ],
            "total": len(found),
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
    panel.register_request("config.versions", handlers.versions)
    return handlers
