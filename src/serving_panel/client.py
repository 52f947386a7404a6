"""ServingClient: the serving-endpoints and permissions REST APIs, typed, with DataFrames.

    client = ServingClient()                      # DATABRICKS_HOST/TOKEN or ~/.databrickscfg
    client.endpoints_df(detailed=True)            # the fleet, one row per endpoint
    client.grant("ads-endpoint", "CAN_QUERY", user="jsmith@example.com")
    client.wait("ads-endpoint", until="ready")
    client.find_principals("jsm")                 # SCIM: users, groups, service principals
    client.model_versions("main.default.ads")     # Unity Catalog: what a served entity can name
    client.set_traffic("ads-endpoint", {"ads1-1": 80, "ads1-2": 20})
    client.rollback("ads-endpoint", 3)            # a config version this client has seen
    client.restore(json.load(open("ads-endpoint-backup.json")))   # the delete dialog's backup
    client.access_df()                            # every endpoint's ACL: who can reach what
    client.grant_many(["ads", "fraud"], "CAN_QUERY", group="data-science")

Every method that takes an endpoint accepts its name; permission methods also accept its id.
Everything raised on purpose is a `serving_panel.errors.ServingError`.

`ServingClient` is built here, with the endpoint writes; each other job is a class of its own
module that it inherits, all on `_client_core.ClientCore` (the JSON call, `get`, `list`, the
name-to-id cache):

    _client_observe         logs, metrics, wait, diagnose
    _client_query           openapi, query, query_stream (QueryStream)
    _client_permissions     one endpoint's ACL: permissions, grant, revoke, apply_plan
    _client_bulk            many endpoints: access, plan_many, apply_many, grant_many, revoke_many
    _client_principals      SCIM: me, find_principals
    _client_model_versions  Unity Catalog: model_versions
    _client_frames          the *_df methods
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from serving_panel import _checks, config_edits, restore
from serving_panel._acl_writes import AclWrites
from serving_panel._client_bulk import BulkPermissionMethods
from serving_panel._client_core import API, ClientCore
from serving_panel._client_frames import FrameMethods
from serving_panel._client_model_versions import UC_MODELS, ModelVersionMethods
from serving_panel._client_observe import ObserveMethods
from serving_panel._client_permissions import PERMISSIONS, PermissionMethods
from serving_panel._client_principals import SCIM, PrincipalMethods
from serving_panel._client_query import QueryMethods, QueryStream
from serving_panel._history import ConfigHistory
from serving_panel._http import RetryPolicy, Timeout, Transport
from serving_panel.config import Connection, from_sdk, resolve
from serving_panel.errors import (
    ClientValidationError,
    ResourceDoesNotExist,
    RestoreRefused,
    ServingError,
    UpdateInProgress,
)
from serving_panel.types import Endpoint, EndpointConfig, Principal

# QueryStream and the API paths were defined here before the split; still importable from here.
__all__ = ["API", "PERMISSIONS", "SCIM", "UC_MODELS", "QueryStream", "ServingClient"]


class ServingClient(
    FrameMethods,
    ObserveMethods,
    QueryMethods,
    ModelVersionMethods,
    BulkPermissionMethods,
    PermissionMethods,
    PrincipalMethods,
    ClientCore,
):
    """A client for one workspace: a pooled session, timeouts and retries on every call."""

    def __init__(
        self,
        host: str | None = None,
        token: str | None = None,
        *,
        profile: str | None = None,
        timeout: float | Timeout | None = None,
        retries: RetryPolicy | int | None = None,
        max_workers: int = 16,
        connection: Connection | None = None,
    ) -> None:
        self.connection = connection or resolve(host, token, profile=profile)
        if isinstance(retries, int):
            retries = RetryPolicy(attempts=retries + 1)
        self._transport = Transport(
            self.connection, timeout=timeout, retry=retries, pool_size=max(16, max_workers)
        )
        self.max_workers = max_workers
        self._ids: dict[str, str] = {}
        self._me: Principal | None = None
        self._acl = AclWrites(self._read_permissions, self._send_permissions)
        self._history = ConfigHistory()

    @classmethod
    def from_sdk(cls, workspace_client_or_config: object, **options: Any) -> ServingClient:
        """Borrows databricks-sdk's authentication (any auth type it supports, including the
        runtime's inside a Databricks notebook) instead of re-implementing it."""
        return cls(connection=from_sdk(workspace_client_or_config), **options)

    @property
    def host(self) -> str:
        return self.connection.host

    def __repr__(self) -> str:
        return f"ServingClient(host={self.host!r}, auth={self.connection.auth_type!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> ServingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Endpoints -----------------------------------------------------------------------------

    def create(
        self,
        name: str,
        served_entities: Sequence[Mapping[str, Any]] | None = None,
        *,
        traffic: Mapping[str, int] | None = None,
        tags: Mapping[str, str | None] | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> Endpoint:
        """Creates an endpoint; its first config builds in the background (see `wait`).

        `traffic` maps served entity names to percentages; other create fields (ai_gateway,
        email_notifications, route_optimized, ...) pass through as keyword arguments.
        """
        _checks.new_endpoint_name(name)
        body: dict[str, Any] = {"name": name, **fields}
        if served_entities is not None:
            body["config"] = _checks.config(served_entities, traffic, "config")
        if tags:
            body["tags"] = [_tag(key, value) for key, value in tags.items()]
        if description is not None:
            body["description"] = description
        return self._seen(Endpoint.from_json(self._json("POST", API, body)))

    def update_config(
        self,
        name: str,
        served_entities: Sequence[Mapping[str, Any]],
        *,
        traffic: Mapping[str, int] | None = None,
        **fields: Any,
    ) -> Endpoint:
        """Replaces the endpoint's config (PUT); the new one builds in the background."""
        _checks.endpoint_name(name)
        body = {**_checks.config(served_entities, traffic, ""), **fields}
        return self._put_config(name, body)

    def _put_config(self, name: str, body: Mapping[str, Any]) -> Endpoint:
        return self._seen(Endpoint.from_json(self._json("PUT", f"{API}/{name}/config", body)))

    def set_traffic(self, name: str, traffic: Mapping[str, int]) -> Endpoint:
        """Routes traffic as `traffic` says ({served entity name: percentage}), keeping every
        served entity as it is: a PUT config of the current config with new routes
        (`config_edits.traffic_body`, the body the panel previews). The update builds like any
        other (see `wait`).

        Refuses, sending nothing: a percentage that is not an integer from 0 to 100, a name
        that is not a served entity of the current config, a total other than 100
        (`ClientValidationError`, naming the field); an update in progress (`UpdateInProgress`).
        An entity left out gets no route."""
        endpoint = self._editable(name)
        assert endpoint.config is not None
        body = config_edits.traffic_body(endpoint.config.to_json(), traffic)
        return self._put_config(name, body)

    def rollback(self, name: str, config_version: int) -> Endpoint:
        """Sends a config this client has seen again (its served entities and traffic), as a
        new config version: the API keeps no history, so only versions seen in this session
        (`seen_configs`) can come back, the current one after a failed update included.
        `ClientValidationError` naming the known versions for any other;
        `UpdateInProgress` while an update runs."""
        if isinstance(config_version, bool) or not isinstance(config_version, int):
            raise ClientValidationError(
                f"config_version: must be an integer, got {config_version!r}"
            )
        self._editable(name)
        config = self._history.config(name, config_version)
        if config is None:
            known = ", ".join(str(v) for v in self._history.versions(name)) or "none"
            raise ClientValidationError(
                f"config_version: {name} config {config_version} was not seen by this client "
                f"(the API returns only the current and pending configs); known: {known}"
            )
        return self._put_config(name, config_edits.config_body(config))

    def seen_configs(self, name: str) -> dict[int, EndpointConfig]:
        """The configs of `name` this client has seen in its session, by config_version: what
        `rollback` can send again."""
        found = {}
        for version in self._history.versions(name):
            config = self._history.config(name, version)
            if config is not None:
                found[version] = EndpointConfig.from_json(config)
        return found

    def _editable(self, name: str) -> Endpoint:
        """The endpoint read fresh, when its config can be changed now."""
        endpoint = self.get(name)
        if endpoint.updating:
            pending = endpoint.pending_config
            version = f" to config {pending.config_version}" if pending is not None else ""
            raise UpdateInProgress(
                f"{name}: an update{version} is in progress, and the service refuses another "
                "until it ends (409); nothing was sent. Wait for it (client.wait) and try again"
            )
        if endpoint.config is None or not endpoint.config.served_entities:
            raise ClientValidationError(
                f"{name}: the endpoint has no current config to change ({endpoint.state}); "
                "nothing was sent"
            )
        return endpoint

    def stop(self, name: str) -> Endpoint:
        """Stops a custom-model endpoint (`POST .../config:stop`): it keeps its config and
        serves nothing until `start`; `state` reads "Not ready (stopped)". Refused while an
        update is in progress (`ResourceConflict`). Raw REST: databricks-sdk has no method, and
        the route is known from third-party notes only (see docs/local-workspace.md)."""
        return self._stop_or_start(name, "stop")

    def start(self, name: str) -> Endpoint:
        """Starts a stopped endpoint (`POST .../config:start`): its config comes back as a new
        config version, built as an update is (see `wait`)."""
        return self._stop_or_start(name, "start")

    def _stop_or_start(self, name: str, action: str) -> Endpoint:
        _checks.endpoint_name(name)
        answer = self._json("POST", f"{API}/{name}/config:{action}", {})
        # The service's answer body is not documented: when it is not the endpoint, read it.
        if isinstance(answer, Mapping) and isinstance(answer.get("state"), Mapping):
            return self._seen(Endpoint.from_json(answer))
        return self.get(name)

    def delete(self, name: str) -> None:
        _checks.endpoint_name(name)
        self._json("DELETE", f"{API}/{name}", accept="*/*")
        self._ids.pop(name, None)
        self._history.forget(name)

    def restore(
        self, backup: Mapping[str, Any] | str, *, name: str | None = None
    ) -> restore.RestoreReport:
        """Re-creates an endpoint from the backup the panel's delete dialog saves (the object
        or its JSON text), under its own name or `name`: its config, tags, AI gateway, rate
        limits, notifications and settings in one create, then each direct grant (a PATCH
        each, so one that fails does not stop the others). Inherited grants are the
        workspace's and are not sent.

        Refuses before doing anything (`RestoreRefused`): a malformed backup, or an endpoint
        of that name existing already. Returns a `RestoreReport` of what was restored and what
        was not, and why (`.to_frame()`); the endpoint builds in the background (see `wait`)."""
        planned = restore.plan(backup, name=name)
        try:
            self.get(planned.name)
        except ResourceDoesNotExist:
            pass
        else:
            raise RestoreRefused(
                f"name: an endpoint named {planned.name!r} exists already; nothing was "
                "restored. Restore under another name (name=...) or delete that one first"
            )
        endpoint = self._seen(Endpoint.from_json(self._json("POST", API, planned.body)))
        items = list(planned.items)
        for grant in planned.grants:
            what = restore.describe_grant(grant)
            try:
                self.grant(
                    endpoint.id,
                    grant.level,
                    user=grant.name if grant.kind == "user" else None,
                    group=grant.name if grant.kind == "group" else None,
                    service_principal=grant.name if grant.kind == "service_principal" else None,
                )
            except ServingError as error:
                items.append(restore.RestoreItem("grant", what, False, str(error)))
            else:
                items.append(restore.RestoreItem("grant", what, True))
        return restore.RestoreReport(
            name=planned.name,
            source_name=planned.source_name,
            endpoint=endpoint,
            items=tuple(items),
        )

    def update_tags(
        self,
        name: str,
        add: Mapping[str, str | None] | None = None,
        remove: Iterable[str] = (),
    ) -> dict[str, str | None]:
        """Adds or replaces tags and deletes others; returns the endpoint's tags afterwards."""
        _checks.endpoint_name(name)
        body: dict[str, Any] = {}
        if add:
            body["add_tags"] = [_tag(key, value) for key, value in add.items()]
        removed = list(remove)
        if removed:
            body["delete_tags"] = removed
        answer = self._json("PATCH", f"{API}/{name}/tags", body)
        return {t["key"]: t.get("value") for t in answer.get("tags") or []}


def _tag(key: str, value: str | None) -> dict[str, str]:
    return {"key": key} if value is None else {"key": key, "value": value}
