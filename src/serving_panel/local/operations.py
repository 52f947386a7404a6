"""The workspace's backend: every change the API or the demo seed makes to endpoints and their
permissions is one function here, shared by the HTTP routes and `seed.py`.

Each takes the workspace, a guard (`auth.Guard`: who acts, the level the change needs), the
endpoint the request named, and the request body; it validates the body, makes the change, and
returns what the answer needs, raising `ApiError` when it refuses. A change to a stored endpoint
is made inside one store transaction keyed by the endpoint's id (`_guarded`), which re-checks
the guard against the current record first: the check and the write it guards happen together,
after the body has been read, so a grant revoked while the body was in flight no longer counts,
and an endpoint deleted (or deleted and re-created under the same name) meanwhile is a 404.
A refused change writes nothing. Nothing here knows HTTP. (Builds and model servers record their
own progress in the store as they run; identities are written by `identities.py`.) One read
lives here too, `invocation_signatures`, as it checks the endpoint's state and its models, and
the external-function call, which has no connection to reach.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, NoReturn

from serving_panel.local.models import inspect
from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.state import ai_gateway, auth, validation
from serving_panel.local.state.configs import (
    STOPPED,
    custom_model_problem,
    is_stopped,
    pending_config,
    restart_config,
    stopped_config,
)
from serving_panel.local.state.errors import (
    ApiError,
    already_exists,
    endpoint_id_not_found,
    endpoint_not_found,
    invalid,
    update_in_progress,
)
from serving_panel.local.state.store import (
    AclEntry,
    Endpoint,
    Principal,
    Store,
    StoreConflictError,
    now_ms,
)
from serving_panel.local.workspace import Workspace

# Endpoints ----------------------------------------------------------------------------------


def create_endpoint(ws: Workspace, creator: Principal, body: Any) -> Endpoint:
    """Stores a new endpoint (its creator gets CAN_MANAGE) and starts building its config."""
    name, config, attributes = validation.parse_create(body, ws.model_problem)
    return _store_new(ws, creator, name, config, attributes)


def create_pt_endpoint(ws: Workspace, creator: Principal, body: Any) -> Endpoint:
    """As `create_endpoint`, for a provisioned-throughput endpoint (its entities sized in model
    units, which this workspace serves as any model: one model server each)."""
    name, config, attributes = validation.parse_create_pt(body, ws.model_problem)
    return _store_new(ws, creator, name, config, attributes)


def _store_new(
    ws: Workspace,
    creator: Principal,
    name: str,
    config: dict[str, Any] | None,
    attributes: dict[str, Any],
) -> Endpoint:
    at = now_ms()
    endpoint = Endpoint(
        id=uuid.uuid4().hex,
        name=name,
        creator=creator.name,
        created_ms=at,
        updated_ms=at,
        ready="NOT_READY",
        config_update="IN_PROGRESS" if config is not None else "NOT_UPDATING",
        last_config_version=1 if config is not None else 0,
        config=None,
        pending_config=pending_config(config, 1, at, creator.name, None) if config else None,
        attributes=attributes,
    )
    try:
        ws.store.create_endpoint(endpoint, creator)
    except StoreConflictError as error:
        raise already_exists(name) from error
    ws.lifecycle.start(endpoint.id)
    return endpoint


def update_config(ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: Any) -> Endpoint:
    """Stores the next config as pending (unless an update is in progress) and builds it."""
    config = validation.parse_config(body, "", ws.model_problem)
    return _begin_update(ws, guard, endpoint, config)


def update_pt_config(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> Endpoint:
    """PUT pt/{name}/config: `{"config": PtEndpointCoreConfig}`, then as `update_config`."""
    if body.get("config") is None:
        raise invalid("config", "is required")
    config = validation.parse_pt_config(body["config"], "config", ws.model_problem)
    return _begin_update(ws, guard, endpoint, config)


def _begin_update(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, config: dict[str, Any]
) -> Endpoint:
    actor = guard.caller.principal.name
    at = now_ms()
    with _guarded(ws, guard, endpoint) as current:
        if is_stopped(current.attributes):
            raise _stopped_refusal(current.name, "updating its config")
        validation.check_external_change(current.config, config)
        try:
            updated = ws.store.begin_update(
                current.id,
                lambda fresh: pending_config(
                    config, fresh.last_config_version + 1, at, actor, fresh.config
                ),
                at,
            )
        except StoreConflictError as error:
            raise update_in_progress(endpoint.name) from error
    if updated is None:  # not reached: the transaction holds the record
        raise endpoint_not_found(endpoint.name)
    ws.lifecycle.start(updated.id)
    return updated


def stop_endpoint(ws: Workspace, guard: auth.Guard, endpoint: Endpoint) -> Endpoint:
    """POST config:stop. The endpoint keeps its config and serves nothing: `NOT_READY` +
    `NOT_UPDATING`, its entities DEPLOYMENT_ABORTED, its queries refused (400). Its model servers
    are stopped (each after the queries it holds, up to the drain time) before this returns.
    Custom-model endpoints only (400 INVALID_STATE otherwise); 409 RESOURCE_CONFLICT while an
    update is in progress, as for a config update. Stopping a stopped endpoint changes nothing."""
    assert ws.deployment is not None
    with _guarded(ws, guard, endpoint) as current:
        _check_stoppable(current, "stopping it")
        if is_stopped(current.attributes):
            return current
        if current.config_update == "IN_PROGRESS":
            raise update_in_progress(current.name)
        assert current.config is not None  # _check_stoppable
        stopped = replace(
            current,
            ready="NOT_READY",
            config_update="NOT_UPDATING",
            config=stopped_config(current.config),
            pending_config=None,
            attributes={**current.attributes, STOPPED: True},
            updated_ms=now_ms(),
        )
        updated = ws.store.update_endpoint(current.id, lambda _: stopped)
    # After an update that ended just before the stop, once its config has gone live; a start
    # after the stop builds its entities in a later config version, so its servers aren't these.
    with ws.lifecycle.serving(stopped.id):
        servers = ws.deployment.unroute(stopped.id, stopped.last_config_version)
    ws.deployment.stop(servers)
    return updated or stopped


def start_endpoint(ws: Workspace, guard: auth.Guard, endpoint: Endpoint) -> Endpoint:
    """POST config:start. A stopped endpoint's config becomes pending as a new config version
    (the same served entities and traffic), built and served as an update is. Custom-model
    endpoints only (400 INVALID_STATE otherwise); starting one that is not stopped changes
    nothing (409 RESOURCE_CONFLICT while an update is in progress)."""
    actor = guard.caller.principal.name
    at = now_ms()
    with _guarded(ws, guard, endpoint) as current:
        _check_stoppable(current, "starting it")
        if current.config_update == "IN_PROGRESS":
            raise update_in_progress(current.name)
        if not is_stopped(current.attributes):
            return current
        assert current.config is not None  # _check_stoppable
        version = current.last_config_version + 1
        attributes = {k: v for k, v in current.attributes.items() if k != STOPPED}
        started = replace(
            current,
            config_update="IN_PROGRESS",
            pending_config=restart_config(current.config, version, at, actor),
            last_config_version=version,
            attributes=attributes,
            updated_ms=at,
        )
        updated = ws.store.update_endpoint(current.id, lambda _: started)
    ws.lifecycle.start(current.id)
    return updated or started


def _check_stoppable(endpoint: Endpoint, action: str) -> None:
    problem = custom_model_problem(endpoint.config)
    if problem is not None:
        raise ApiError(
            400,
            "INVALID_STATE",
            f"Endpoint '{endpoint.name}' can't be stopped or started ({action}): {problem}. "
            "Stop and start apply to custom-model endpoints only.",
        )


def _stopped_refusal(name: str, action: str) -> ApiError:
    """A config update to a stopped endpoint: this workspace's choice (the service's answer is
    unknown) is to refuse it, so an update never starts an endpoint as a side effect."""
    return ApiError(
        400,
        "INVALID_STATE",
        f"Endpoint '{name}' is stopped; start it (POST /api/2.0/serving-endpoints/{name}/"
        f"config:start) before {action}.",
    )


def delete_endpoint(ws: Workspace, guard: auth.Guard, endpoint: Endpoint) -> None:
    with _guarded(ws, guard, endpoint) as current:
        ws.store.delete_endpoint(current.id)
    ws.lifecycle.forget(endpoint.id)


@contextmanager
def _guarded(ws: Workspace, guard: auth.Guard, endpoint: Endpoint) -> Iterator[Endpoint]:
    """The endpoint's current record, found by id and checked against the guard, inside one
    store transaction that the block's writes join. 404 when it no longer exists (also when
    another endpoint now has its name), 403 when the caller no longer holds the level."""
    with ws.store.locked_endpoint(endpoint.id) as current:
        if current is None:
            raise endpoint_not_found(endpoint.name)
        guard.check(ws.store, current.id, current.name)
        yield current


# Endpoint attributes -------------------------------------------------------------------------


def update_tags(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> list[dict[str, str]]:
    """PATCH tags: deletes `delete_tags` keys, then adds or replaces `add_tags`; the new tags."""
    add = validation.parse_tags(body.get("add_tags") or [], "add_tags")
    delete_keys = body.get("delete_tags") or []
    if not isinstance(delete_keys, list) or not all(isinstance(k, str) for k in delete_keys):
        raise invalid("delete_tags", "must be a list of tag keys")

    def change(current: Endpoint) -> Endpoint:
        tags = {t["key"]: t for t in current.attributes.get("tags", [])}
        for key in delete_keys:
            tags.pop(key, None)
        for tag in add:
            tags[tag["key"]] = tag
        attributes = {**current.attributes, "tags": list(tags.values())}
        if not tags:
            attributes.pop("tags")
        return replace(current, attributes=attributes, updated_ms=now_ms())

    updated = _change(ws, guard, endpoint, change)
    tags: list[dict[str, str]] = updated.attributes.get("tags", [])
    return tags


def set_ai_gateway(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> dict[str, Any]:
    """PUT the AI gateway config (an empty one removes it); returns it as stored."""
    gateway = ai_gateway.parse_ai_gateway(body, "")

    _change(ws, guard, endpoint, _set_attribute("ai_gateway", gateway))
    return gateway


def set_rate_limits(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> list[dict[str, Any]]:
    """PUT rate limits (replacing the endpoint's); returns them as stored."""
    limits = validation.parse_rate_limits(body.get("rate_limits") or [], "rate_limits")

    def change(current: Endpoint) -> Endpoint:
        return replace(
            current, attributes={**current.attributes, "rate_limits": limits}, updated_ms=now_ms()
        )

    _change(ws, guard, endpoint, change)
    return limits


def update_notifications(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> dict[str, Any]:
    """PATCH email notifications (none given, or empty, removes them); returns them ({} if none)."""
    notifications = body.get("email_notifications")
    if notifications is not None:
        notifications = validation.parse_notifications(notifications, "email_notifications")

    _change(ws, guard, endpoint, _set_attribute("email_notifications", notifications))
    return notifications or {}


def set_telemetry_config(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> Endpoint:
    """PATCH telemetry-config: replaces the endpoint's telemetry config; none given (or an
    empty one) removes it, as the API documents. Returns the endpoint as changed."""
    telemetry = body.get("telemetry_config")
    if telemetry is not None:
        telemetry = validation.parse_telemetry_config(telemetry, "telemetry_config")

    return _change(ws, guard, endpoint, _set_attribute("telemetry_config", telemetry))


def _set_attribute(key: str, value: Any) -> Callable[[Endpoint], Endpoint]:
    """The change that stores `value` as the endpoint's `key` attribute, or removes it when
    the value is empty (the API's way to unset one)."""

    def change(current: Endpoint) -> Endpoint:
        attributes = dict(current.attributes)
        if value:
            attributes[key] = value
        else:
            attributes.pop(key, None)
        return replace(current, attributes=attributes, updated_ms=now_ms())

    return change


def _change(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, change: Callable[[Endpoint], Endpoint]
) -> Endpoint:
    """Applies `change` to the freshest record, checked and written in one transaction."""
    with _guarded(ws, guard, endpoint) as current:
        updated = ws.store.update_endpoint(current.id, change)
    if updated is None:  # not reached: the transaction holds the record
        raise endpoint_not_found(endpoint.name)
    return updated


# Reads that need more than the stored record -----------------------------------------------


def invocation_signatures(ws: Workspace, endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    """The logged signature of each model the endpoint serves now, by served entity name, for
    its OpenAPI document: which the service gives only when the endpoint is READY and its
    models have signatures (wire-fidelity §7). The errors otherwise are this workspace's
    wording, the service's being unknown: 400 INVALID_STATE, 404 RESOURCE_DOES_NOT_EXIST."""
    if endpoint.ready != "READY" or endpoint.config is None:
        raise ApiError(
            400,
            "INVALID_STATE",
            f"Endpoint '{endpoint.name}' is not ready; its OpenAPI document is available "
            "once the endpoint is READY.",
        )
    signatures: dict[str, dict[str, Any]] = {}
    for entity in endpoint.config.get("served_entities", []):
        signature = None
        if "external_model" not in entity:
            try:
                model = ws.models.resolve(entity["entity_name"], entity["entity_version"])
            except ModelStoreError:
                model = None
            signature = None if model is None else inspect.read_signature(model.path)
        if signature is None:
            raise ApiError(
                404,
                "RESOURCE_DOES_NOT_EXIST",
                f"No OpenAPI document for endpoint '{endpoint.name}': served model "
                f"'{entity['name']}' was logged without a model signature.",
            )
        signatures[entity["name"]] = signature
    return signatures


def external_function(body: Any) -> NoReturn:
    """`POST /api/2.0/external-function`: a call through a Unity Catalog connection. This
    workspace has no connections, so a well-formed call names one that does not exist."""
    name = validation.parse_external_function(body)
    raise ApiError(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        f"Connection '{name}' does not exist. The local workspace has no Unity Catalog "
        "connections, so an external-function call has nothing to reach.",
    )


# Permissions --------------------------------------------------------------------------------

_KINDS = (
    ("user_name", "user"),
    ("group_name", "group"),
    ("service_principal_name", "service_principal"),
)


def set_permissions(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> list[AclEntry]:
    """PUT: replaces the endpoint's direct ACL with `access_control_list`; the new ACL."""
    with _guarded_acl(ws, guard, endpoint) as current:
        ws.store.set_acl(current.id, _acl_entries(ws.store, body))
        return ws.store.acl(current.id)


def update_permissions(
    ws: Workspace, guard: auth.Guard, endpoint: Endpoint, body: dict[str, Any]
) -> list[AclEntry]:
    """PATCH: merges `access_control_list` into the endpoint's direct ACL; the new ACL."""
    with _guarded_acl(ws, guard, endpoint) as current:
        ws.store.merge_acl(current.id, _acl_entries(ws.store, body))
        return ws.store.acl(current.id)


@contextmanager
def _guarded_acl(ws: Workspace, guard: auth.Guard, endpoint: Endpoint) -> Iterator[Endpoint]:
    """As `_guarded`, with the 404 the permissions API gives (it names endpoints by id). The
    principals are resolved inside the transaction too, so none vanishes before the write."""
    try:
        with _guarded(ws, guard, endpoint) as current:
            yield current
    except ApiError as error:
        if error.status == 404:
            raise endpoint_id_not_found(endpoint.id) from error
        raise


def _acl_entries(store: Store, body: dict[str, Any]) -> list[tuple[Principal, str]]:
    """The body's access_control_list, every principal resolved, or a 400 naming the entry."""
    raw = body.get("access_control_list", [])
    if not isinstance(raw, list):
        raise invalid("access_control_list", "must be a list")
    entries: dict[int, tuple[Principal, str]] = {}
    for index, item in enumerate(raw):
        field = f"access_control_list[{index}]"
        if not isinstance(item, dict):
            raise invalid(field, "must be a JSON object")
        given = [(key, kind) for key, kind in _KINDS if item.get(key) is not None]
        if len(given) != 1:
            raise invalid(
                field, "exactly one of user_name, group_name or service_principal_name is required"
            )
        [(key, kind)] = given
        name = item[key]
        level = auth.check_level(item.get("permission_level"), f"{field}.permission_level")
        if kind == "group" and name == auth.ADMINS_GROUP:
            raise invalid(
                f"{field}.group_name",
                "the admins group always has CAN_MANAGE on every endpoint and can't be changed",
            )
        principal = store.find_principal(kind, name) if isinstance(name, str) else None
        if principal is None:
            raise invalid(f"{field}.{key}", f"principal {name!r} does not exist in this workspace")
        entries[principal.id] = (principal, level)
    return list(entries.values())
