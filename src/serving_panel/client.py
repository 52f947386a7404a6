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
"""

from __future__ import annotations

import builtins
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from serving_panel import _checks, acl, bulk, config_edits, restore
from serving_panel._acl_writes import AclWrites, Planner, grant_planner, revoke_planner
from serving_panel._history import ConfigHistory
from serving_panel._http import RetryPolicy, Timeout, Transport
from serving_panel.config import Connection, from_sdk, resolve
from serving_panel.errors import (
    ApiError,
    ClientValidationError,
    NotFound,
    ResourceDoesNotExist,
    RestoreRefused,
    ServingError,
    UnexpectedResponse,
    UpdateFailed,
    UpdateInProgress,
    WaitTimedOut,
)
from serving_panel.types import (
    Endpoint,
    EndpointConfig,
    ModelVersion,
    PermissionLevel,
    Permissions,
    Principal,
    QueryResult,
)

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.logs import LogRecord
    from serving_panel.metrics import EntityMetrics, MetricSample
    from serving_panel.triage import Diagnosis

API = "/api/2.0/serving-endpoints"
PERMISSIONS = "/api/2.0/permissions/serving-endpoints"
SCIM = "/api/2.0/preview/scim/v2"
UC_MODELS = "/api/2.1/unity-catalog/models"
#: Pages of model versions read at most (the service's pages hold up to 100 by default).
_MAX_PAGES = 1000
#: SCIM resources a principal search reads, with the filter each takes (`{q}` is the quoted query).
_SEARCHES = (
    ("user", "Users", "userName co {q} or displayName co {q}"),
    ("group", "Groups", "displayName co {q}"),
    ("service_principal", "ServicePrincipals", "displayName co {q} or applicationId co {q}"),
)
_T = TypeVar("_T")
_S = TypeVar("_S")
_ENDPOINT_ID = re.compile(r"^[0-9a-f]{32}$")
_WAIT_UNTIL = ("not_updating", "ready")
#: Failed entities whose logs an UpdateFailed reads, at most, looking for the cause.
_DIAGNOSED_ENTITIES = 3


class ServingClient:
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

    # Plumbing ------------------------------------------------------------------------------

    def _json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self._transport.request(method, path, json_body=body, **kwargs).json()

    def _seen(self, endpoint: Endpoint) -> Endpoint:
        """Remembers the endpoint's id and configs (for permissions and rollback)."""
        if endpoint.id:
            self._ids[endpoint.name] = endpoint.id
        self._history.record(endpoint)
        return endpoint

    def endpoint_id(self, endpoint: str) -> str:
        """The id the permissions API needs, from an endpoint's name (or the id itself)."""
        if _ENDPOINT_ID.match(endpoint):
            return endpoint
        cached = self._ids.get(endpoint)
        if cached is None:
            cached = self.get(endpoint).id
        return cached

    def _by_id(self, endpoint: str, call: Callable[[str], _T]) -> _T:
        """`call(endpoint_id)`. When the id came from the name cache and is gone (another
        client deleted the endpoint and made a new one of that name), resolves the name once
        more and calls again: the user named the endpoint, and that is the one it names now.
        Safe for writes too: every write re-reads the ACL before it sends."""
        cached = None if _ENDPOINT_ID.match(endpoint) else self._ids.get(endpoint)
        try:
            return call(self.endpoint_id(endpoint))
        except NotFound:
            if cached is None:
                raise
            self._ids.pop(endpoint, None)
            fresh = self.endpoint_id(endpoint)  # raises ResourceDoesNotExist if gone for good
            if fresh == cached:
                raise
            return call(fresh)

    # Endpoints -----------------------------------------------------------------------------

    def list(self) -> builtins.list[Endpoint]:
        """Every endpoint the caller can see (the API returns them in one page)."""
        answer = self._json("GET", API)
        return [self._seen(Endpoint.from_json(item)) for item in answer.get("endpoints") or []]

    def get(self, name: str) -> Endpoint:
        _checks.endpoint_name(name)
        return self._seen(Endpoint.from_json(self._json("GET", f"{API}/{name}")))

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

    def build_logs(
        self, name: str, served_entity: str, *, config_version: int | None = None
    ) -> str:
        return self._logs(name, served_entity, "build-logs", config_version)

    def logs(self, name: str, served_entity: str, *, config_version: int | None = None) -> str:
        """The most recent server log lines of a served entity."""
        return self._logs(name, served_entity, "logs", config_version)

    def _logs(self, name: str, served: str, kind: str, version: int | None) -> str:
        _checks.endpoint_name(name)
        _checks.served_entity_name(served, "served_entity")
        params = {"config_version": version} if version is not None else None
        answer = self._json("GET", f"{API}/{name}/served-models/{served}/{kind}", params=params)
        return str(answer.get("logs") or "")

    def log_records(
        self,
        name: str,
        served_entity: str,
        *,
        kind: str = "server",
        config_version: int | None = None,
    ) -> builtins.list[LogRecord]:
        from serving_panel.logs import parse_log_text

        if kind not in ("server", "build"):
            raise ClientValidationError(f"kind: must be 'server' or 'build', got {kind!r}")
        fetch = self.logs if kind == "server" else self.build_logs
        return parse_log_text(fetch(name, served_entity, config_version=config_version))

    def metrics_text(self, name: str) -> str:
        _checks.endpoint_name(name)
        return self._transport.request("GET", f"{API}/{name}/metrics", accept="text/plain").text

    def metrics(self, name: str) -> builtins.list[MetricSample]:
        """The endpoint's current metrics, parsed from Prometheus text."""
        from serving_panel.metrics import parse_prometheus_text

        return parse_prometheus_text(self.metrics_text(name))

    def metrics_summary(self, name: str) -> builtins.list[EntityMetrics]:
        """The endpoint's metrics by served entity, under the service's names: CPU and memory
        %, provisioned concurrency, requests (and 4xx, 5xx) over the last minute, latency and
        queue-time histograms. Reads older exports too (lifetime counters: `window` says)."""
        from serving_panel.metrics import summarize

        return summarize(self.metrics(name))

    def openapi(self, name: str) -> dict[str, Any]:
        _checks.endpoint_name(name)
        answer: dict[str, Any] = self._json("GET", f"{API}/{name}/openapi", accept="text/plain")
        return answer

    def query(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        served_entity: str | None = None,
        **inputs: Any,
    ) -> QueryResult:
        """Invokes the endpoint (CAN_QUERY); `served_entity` targets one entity directly.

        Give the body as `payload` or as keywords: dataframe_split=, dataframe_records=,
        instances=, inputs=, or a DataFrame as `dataframe=` (sent as dataframe_split).
        A body asking for `"stream": true` goes through `query_stream`.
        """
        path, body = _query_request(name, payload, served_entity, inputs)
        response = self._transport.request("POST", path, json_body=body)
        return QueryResult.from_json(response.json(), response.headers.get("served-model-name"))

    def query_stream(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        served_entity: str | None = None,
        **inputs: Any,
    ) -> QueryStream:
        """Invokes the endpoint with `"stream": true` (added to the body) and returns the
        answer's chunks as they arrive: iterate the `QueryStream` (each chunk is the JSON of
        one `data:` line, up to `data: [DONE]`), or use it as a context manager to close the
        connection early. Errors before the stream starts raise as `query`'s do."""
        path, body = _query_request(name, payload, served_entity, inputs)
        body["stream"] = True
        response = self._transport.request("POST", path, json_body=body, stream=True)
        return QueryStream(response.lines(), response.close, response.headers)

    # Waiting -------------------------------------------------------------------------------

    def wait(
        self,
        name: str,
        *,
        until: str = "not_updating",
        timeout: float = 1200.0,
        poll_s: float = 2.0,
        progress: bool | None = None,
        on_poll: Callable[[Endpoint], None] | None = None,
    ) -> Endpoint:
        """Polls until the endpoint's update is over (`not_updating`) or it is `ready`.

        Raises `UpdateFailed` with each failed entity's message, the tail of its build log and
        the likely cause (`diagnosis`, named in the message) when the update fails, and
        `WaitTimedOut` naming the last state seen; never waits past `timeout`. `progress` shows
        a tqdm bar (default: only inside a notebook).
        """
        if until not in _WAIT_UNTIL:
            raise ClientValidationError(f"until: must be one of {', '.join(_WAIT_UNTIL)}")
        deadline = time.monotonic() + timeout
        bar = _progress_bar(name, progress)
        try:
            while True:
                endpoint = self.get(name)
                if on_poll is not None:
                    on_poll(endpoint)
                if bar is not None:
                    bar.set_postfix_str(endpoint.state, refresh=False)
                    bar.update(1)
                if endpoint.config_update in ("UPDATE_FAILED", "UPDATE_CANCELED"):
                    raise self._update_failed(endpoint)
                if endpoint.config_update != "IN_PROGRESS" and (
                    until == "not_updating" or endpoint.ready == "READY"
                ):
                    return endpoint
                if until == "ready" and endpoint.config_update == "NOT_UPDATING":
                    raise UpdateFailed(
                        f"{name} is not updating and not ready ({endpoint.state}); "
                        "waiting longer would not change that",
                        endpoint=endpoint,
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimedOut(
                        f"{name} still {endpoint.state} (config_update={endpoint.config_update}) "
                        f"after {timeout:g} s"
                    )
                time.sleep(min(poll_s, remaining))
        finally:
            if bar is not None:
                bar.close()

    def _update_failed(self, endpoint: Endpoint) -> UpdateFailed:
        config = endpoint.pending_config or endpoint.config
        version = config.config_version if config else None
        failed = [
            e
            for e in (config.served_entities if config else ())
            if e.deployment_state in ("DEPLOYMENT_FAILED", "DEPLOYMENT_ABORTED")
        ]
        lines = [f"{endpoint.name}: update {endpoint.config_update} ({endpoint.state})"]
        tail = ""
        build_log: str | None = None
        for entity in failed:
            lines.append(f"  {entity.name}: {entity.deployment_message or entity.deployment_state}")
        if failed:
            try:
                build_log = self.build_logs(endpoint.name, failed[0].name, config_version=version)
                tail = "\n".join(build_log.rstrip("\n").splitlines()[-20:])
                lines.append(f"  last build log lines of {failed[0].name}:")
                lines.extend(f"    {line}" for line in tail.splitlines())
            except ServingError as error:
                lines.append(f"  (build log unavailable: {_error_code(error)})")
        diagnosis = None
        # The failed ones first: an aborted entity was stopped because another one failed.
        failed.sort(key=lambda e: e.deployment_state != "DEPLOYMENT_FAILED")
        for entity in failed[:_DIAGNOSED_ENTITIES]:
            diagnosis = self._diagnose(
                endpoint.name,
                entity.name,
                version,
                entity.deployment_message,
                build_log if entity is failed[0] and build_log is not None else None,
            )
            if diagnosis is not None:
                lines.insert(1, f"  likely cause ({entity.name}): {diagnosis.summary()}")
                break
        return UpdateFailed(
            "\n".join(lines), endpoint=endpoint, build_log_tail=tail, diagnosis=diagnosis
        )

    def diagnose(
        self,
        name: str,
        served_entity: str,
        *,
        config_version: int | None = None,
        state_message: str = "",
    ) -> Diagnosis | None:
        """The likely cause of a served entity's failed deployment (`serving_panel.triage`):
        read from its build log and, when that shows none (the build passed), its server log,
        with its `state_message` (`deployment_state_message`) as more evidence. A log that
        cannot be read is skipped; None when nothing known shows."""
        _checks.endpoint_name(name)
        _checks.served_entity_name(served_entity, "served_entity")
        return self._diagnose(name, served_entity, config_version, state_message, None)

    def _diagnose(
        self,
        name: str,
        served: str,
        version: int | None,
        message: str,
        build_log: str | None,
    ) -> Diagnosis | None:
        from serving_panel import triage

        if build_log is None:
            build_log = self._log_or_empty(self.build_logs, name, served, version)
        found = triage.diagnose(build_log, "", message)
        if found is None or found.log is None:
            server_log = self._log_or_empty(self.logs, name, served, version)
            found = triage.diagnose(build_log, server_log, message) or found
        return None if found is None else found.about(served, version)

    @staticmethod
    def _log_or_empty(read: Callable[..., str], name: str, served: str, version: int | None) -> str:
        """A log for triage: a failing read must not hide the failure being explained."""
        try:
            return read(name, served, config_version=version)
        except ServingError:
            return ""

    # Permissions ---------------------------------------------------------------------------

    def permissions(self, endpoint: str) -> Permissions:
        return self._by_id(endpoint, self._read_permissions)

    def _read_permissions(self, endpoint_id: str) -> Permissions:
        return Permissions.from_json(self._json("GET", f"{PERMISSIONS}/{endpoint_id}"))

    def _send_permissions(
        self, endpoint_id: str, method: str, body: Mapping[str, Any]
    ) -> Permissions:
        answer = self._json(method, f"{PERMISSIONS}/{endpoint_id}", dict(body))
        return Permissions.from_json(answer)

    def permission_levels(self, endpoint: str) -> builtins.list[PermissionLevel]:
        def read(endpoint_id: str) -> Any:
            return self._json("GET", f"{PERMISSIONS}/{endpoint_id}/permissionLevels")

        answer = self._by_id(endpoint, read)
        return [PermissionLevel.from_json(level) for level in answer.get("permission_levels") or []]

    def set_permissions(
        self, endpoint: str, access_control_list: Sequence[Mapping[str, Any]]
    ) -> Permissions:
        """PUT: replaces every direct grant with this list. Prefer `grant` and `revoke`."""
        body = {"access_control_list": [dict(entry) for entry in access_control_list]}
        return self._by_id(endpoint, lambda endpoint_id: self._acl.send(endpoint_id, "PUT", body))

    def update_permissions(
        self, endpoint: str, access_control_list: Sequence[Mapping[str, Any]]
    ) -> Permissions:
        """PATCH: adds or changes the listed principals' grants, leaving the others alone."""
        body = {"access_control_list": [dict(entry) for entry in access_control_list]}
        return self._by_id(endpoint, lambda endpoint_id: self._acl.send(endpoint_id, "PATCH", body))

    def apply_plan(
        self,
        endpoint: str,
        plan: acl.AclPlan,
        *,
        expected_fingerprint: str | None = None,
        force: bool = False,
    ) -> Permissions:
        """Sends a plan made from a read of the ACL, PATCH or PUT alike, under one stale-ACL
        rule: the plan must come from the ACL the user reviewed (`expected_fingerprint`, the
        `Permissions.fingerprint` shown, when given), and a re-read just before sending must
        find that ACL unchanged. Otherwise `StaleAclError`, and nothing is sent. Lock-outs
        (`AclPlan.lockouts`, yours included) need `force=True`, else `LockoutError`.
        Returns the ACL read back after the send (`AclWriteLostError` if someone undid it: a
        reviewed plan is never re-planned); a plan without a change sends nothing."""
        return self._by_id(
            endpoint,
            lambda endpoint_id: self._acl.apply(
                endpoint_id,
                plan,
                expected_fingerprint=expected_fingerprint,
                force=force,
                caller=None if force else self._caller(),
            ),
        )

    def grant(
        self,
        endpoint: str,
        level: str,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprint: str | None = None,
        force: bool = False,
    ) -> Permissions:
        """Gives one principal a direct level (a PATCH: nobody else's grant is touched) and
        returns the ACL read back after it. See `revoke` for how concurrent writers are met;
        lowering your own CAN_MANAGE, or the last direct one, needs `force=True`."""
        kind, name = _principal(user, group, service_principal)
        plan = grant_planner(kind, name, level, caller=self._caller())
        return self._write(endpoint, plan, expected_fingerprint, force)

    def revoke(
        self,
        endpoint: str,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprint: str | None = None,
        force: bool = False,
    ) -> Permissions:
        """Removes one principal's direct grant: a PUT of the full direct list without it,
        planned from a read made just before it is sent; returns the ACL read back after it.

        Refuses, sending nothing:
        - `NotGrantedError` when the principal has no direct grant (a typo, or revoked already;
          inherited grants can't be revoked here): the message says what it does hold. Catch
          it to make a revoke idempotent.
        - `LockoutError` when it would remove your own CAN_MANAGE or the last direct
          CAN_MANAGE, unless `force=True`.
        - `StaleAclError` when `expected_fingerprint` (the `Permissions.fingerprint` you
          reviewed) no longer matches.

        This client's writes to one endpoint never interleave (threads sharing it lose
        nothing); a write another process undoes is sent again, a few times at most (never when
        reviewed: `AclWriteLostError`). See `_acl_writes` and the README's permissions section.
        """
        kind, name = _principal(user, group, service_principal)
        plan = revoke_planner(kind, name, caller=self._caller())
        return self._write(endpoint, plan, expected_fingerprint, force)

    def _write(
        self, endpoint: str, plan: Planner, expected_fingerprint: str | None, force: bool
    ) -> Permissions:
        return self._by_id(
            endpoint,
            lambda endpoint_id: self._acl.write(
                endpoint_id, plan, expected_fingerprint=expected_fingerprint, force=force
            ),
        )

    def _caller(self) -> acl.PrincipalKey | None:
        """Who the lock-out guard protects; None when SCIM can't say (the last-manager rule
        still holds then)."""
        try:
            return self.me().key
        except ApiError:
            return None

    # Many endpoints at once (serving_panel.bulk) ---------------------------------------------

    def access(
        self,
        endpoints: Iterable[str] | None = None,
        *,
        on_each: Callable[[bulk.EndpointAccess], None] | None = None,
    ) -> builtins.list[bulk.EndpointAccess]:
        """Every endpoint's ACL (those listed, or the names or ids given), read concurrently
        over the client's bounded pool, in the order listed or given. An ACL that can't be
        read (a 403 for a caller who may not read it, an endpoint deleted meanwhile) is that
        endpoint's `error`, not the call's exception. `on_each` is called with each endpoint's
        access as it arrives (in the calling thread), for progress."""
        targets = self._endpoint_targets(endpoints)

        def read(endpoint: str) -> bulk.EndpointAccess:
            try:
                permissions = self.permissions(endpoint)
            except ServingError as error:
                return bulk.EndpointAccess(endpoint, self._known_id(endpoint), None, error)
            return bulk.EndpointAccess(endpoint, permissions.endpoint_id or None, permissions)

        return self._concurrently(targets, read, on_each)

    def access_df(self, endpoints: Iterable[str] | None = None) -> pd.DataFrame:
        """`access` as a DataFrame: one row per endpoint and principal with its effective
        level, its direct level, and where the effective level comes from ("direct", or the
        objects it is inherited from, such as `/serving-endpoints/`); one row saying why for
        an endpoint whose ACL could not be read (`readable` false, `error_code`, `error`).
        Columns: endpoint, endpoint_id, kind, principal, display_name, level, direct_level,
        inherited, source, fingerprint, readable, error_code, error."""
        from serving_panel import frames

        return frames.access_frame(bulk.access_rows(self.access(endpoints)))

    def plan_many(
        self,
        endpoints: Iterable[str],
        level: str | None,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
    ) -> bulk.BulkPlan:
        """A preview of granting `level` (None: revoking the direct grant) to one principal on
        each endpoint, sending nothing: per endpoint the exact call and the principal's direct
        level before and after, or why nothing would be sent (`BulkPlan.to_frame()`).
        `apply_many(plan)` then sends exactly those calls."""
        kind, name = _principal(user, group, service_principal)
        bulk.check_request(kind, name, level)
        targets = self._endpoint_targets(endpoints)
        caller = self._caller()
        principal = (kind, name)

        def plan_one(endpoint: str) -> bulk.PlannedWrite:
            try:
                permissions = self.permissions(endpoint)
            except ServingError as error:
                return bulk.unreadable(endpoint, self._known_id(endpoint), principal, level, error)
            return bulk.plan_write(endpoint, permissions, kind, name, level, caller=caller)

        writes = self._concurrently(targets, plan_one)
        return bulk.BulkPlan(principal, level, tuple(writes))

    def apply_many(
        self,
        plan: bulk.BulkPlan,
        *,
        force: bool = False,
        on_each: Callable[[bulk.WriteResult], None] | None = None,
    ) -> bulk.BulkResult:
        """Sends a `plan_many` preview, concurrently: each endpoint's previewed call, refused
        (stale, nothing sent) where the ACL changed since the preview, by the endpoint id
        previewed. Lock-outs need `force=True`, as for `apply_plan`; an endpoint the preview
        could not plan (or found nothing to revoke on) keeps that outcome and sends nothing.
        Returns one result per endpoint (`BulkResult.to_frame()`)."""
        caller = None if force else self._caller()
        principal, level = plan.principal, plan.level

        def apply_one(write: bulk.PlannedWrite) -> bulk.WriteResult:
            endpoint_id, planned = write.endpoint_id, write.plan
            seen: builtins.list[tuple[Permissions, acl.AclPlan | None]] = []
            if planned is None or endpoint_id is None or write.status == "not_granted":
                refusal = write.message or "nothing could be planned"
                return bulk.WriteResult(
                    write.endpoint,
                    endpoint_id,
                    principal,
                    level,
                    write.status,
                    False,
                    before=write.before,
                    after=write.before,
                    fingerprint=write.fingerprint,
                    error_code=write.error_code,
                    message=f"refused at the preview, nothing was sent: {refusal}",
                )
            try:
                back = self._acl.apply(
                    endpoint_id,
                    planned,
                    expected_fingerprint=planned.fingerprint,
                    force=force,
                    caller=caller,
                    observe=lambda read, _plan: seen.append((read, _plan)),
                )
                if planned.method is None:
                    acl.check_unchanged(planned.fingerprint, back.fingerprint)
            except ServingError as error:
                sent = _sent(planned if seen else None, error)
                read = seen[-1][0] if seen else None
                return bulk.refused(
                    write.endpoint,
                    endpoint_id,
                    principal,
                    level,
                    error,
                    read=read,
                    plan=planned,
                    sent=sent,
                )
            return bulk.written(write.endpoint, endpoint_id, principal, level, planned, back)

        results = self._concurrently(list(plan.writes), apply_one, on_each)
        return bulk.BulkResult(principal, level, tuple(results))

    def grant_many(
        self,
        endpoints: Iterable[str],
        level: str,
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprints: Mapping[str, str] | None = None,
        force: bool = False,
    ) -> pd.DataFrame:
        """`grant` on each endpoint, concurrently over the client's bounded pool, under the
        same rules per endpoint (lock-out guard unless `force=True`; with
        `expected_fingerprints`, {endpoint: the fingerprint you reviewed} such as
        `plan_many(...).fingerprints`, an endpoint whose ACL changed since, or that has no
        fingerprint there, is refused as stale). A refusal or error on one endpoint is its row;
        the others go on. Returns one row per endpoint, in the order given: outcome (done,
        unchanged, stale, permission_denied, not_granted, locked_out, failed), sent, the exact
        call (method, path, body), the principal's direct level before and after, the
        fingerprint it was planned from, warnings, error_code and message."""
        if level is None:
            raise ClientValidationError("level: required to grant; use revoke_many to remove")
        kind, name = _principal(user, group, service_principal)
        return self._write_many(
            endpoints, kind, name, level, expected_fingerprints, force
        ).to_frame()

    def revoke_many(
        self,
        endpoints: Iterable[str],
        *,
        user: str | None = None,
        group: str | None = None,
        service_principal: str | None = None,
        expected_fingerprints: Mapping[str, str] | None = None,
        force: bool = False,
    ) -> pd.DataFrame:
        """`revoke` on each endpoint, as `grant_many` grants: an endpoint where the principal
        has no direct grant is refused as not_granted (nothing sent), the others go on."""
        kind, name = _principal(user, group, service_principal)
        return self._write_many(
            endpoints, kind, name, None, expected_fingerprints, force
        ).to_frame()

    def _write_many(
        self,
        endpoints: Iterable[str],
        kind: str,
        name: str,
        level: str | None,
        expected_fingerprints: Mapping[str, str] | None,
        force: bool,
    ) -> bulk.BulkResult:
        bulk.check_request(kind, name, level)
        targets = self._endpoint_targets(endpoints)
        caller = self._caller()
        principal = (kind, name)
        planner = (
            revoke_planner(kind, name, caller=caller)
            if level is None
            else grant_planner(kind, name, level, caller=caller)
        )

        def write_one(endpoint: str) -> bulk.WriteResult:
            seen: builtins.list[tuple[Permissions, acl.AclPlan | None]] = []
            expected = None
            if expected_fingerprints is not None:
                expected = expected_fingerprints.get(endpoint)
                if expected is None:
                    error = acl.StaleAclError(
                        f"{endpoint}: expected_fingerprints has no fingerprint for it (its ACL "
                        "was not reviewed); nothing was sent. Preview it and pass its fingerprint"
                    )
                    return bulk.refused(endpoint, self._known_id(endpoint), principal, level, error)

            def observe(read: Permissions, planned: acl.AclPlan | None) -> None:
                seen.append((read, planned))

            try:
                back = self._by_id(
                    endpoint,
                    lambda endpoint_id: self._acl.write(
                        endpoint_id,
                        planner,
                        expected_fingerprint=expected,
                        force=force,
                        observe=observe,
                    ),
                )
            except ServingError as error:
                read, planned = seen[-1] if seen else (None, None)
                if planned is None and read is not None and isinstance(error, acl.StaleAclError):
                    planned = _plan_or_none(planner, read)  # the call refused, for the row
                endpoint_id = read.endpoint_id if read is not None else self._known_id(endpoint)
                return bulk.refused(
                    endpoint,
                    endpoint_id,
                    principal,
                    level,
                    error,
                    read=read,
                    plan=planned,
                    sent=_sent(planned, error),
                )
            read, planned = seen[-1]
            assert planned is not None  # a write returns only once it planned
            return bulk.written(endpoint, back.endpoint_id, principal, level, planned, back)

        return bulk.BulkResult(principal, level, tuple(self._concurrently(targets, write_one)))

    def _endpoint_targets(self, endpoints: Iterable[str] | None) -> builtins.list[str]:
        """The endpoints a many-endpoint call works on: every one listed, or those given
        (names or ids, each once), checked before anything is sent."""
        if endpoints is None:
            return [endpoint.name for endpoint in self.list()]
        if isinstance(endpoints, str):
            raise ClientValidationError(
                f"endpoints: a list of endpoint names or ids, got the string {endpoints!r}"
            )
        targets = builtins.list(endpoints)
        for index, endpoint in enumerate(targets):
            _checks.endpoint_name(endpoint, f"endpoints[{index}]")
        repeated = sorted({e for e in targets if targets.count(e) > 1})
        if repeated:
            raise ClientValidationError(f"endpoints: {', '.join(repeated)} given more than once")
        return targets

    def _known_id(self, endpoint: str) -> str | None:
        return endpoint if _ENDPOINT_ID.match(endpoint) else self._ids.get(endpoint)

    def _concurrently(
        self,
        items: Sequence[_S],
        call: Callable[[_S], _T],
        on_each: Callable[[_T], None] | None = None,
    ) -> builtins.list[_T]:
        """`call` on each item over the client's bounded pool (`max_workers` threads); the
        results in the items' order. `on_each` sees each result as it comes, in this thread."""
        if not items:
            return []
        found: dict[int, _T] = {}
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            futures = {pool.submit(call, item): index for index, item in enumerate(items)}
            for future in as_completed(futures):
                result = future.result()
                found[futures[future]] = result
                if on_each is not None:
                    on_each(result)
        return [found[index] for index in range(len(items))]

    # Principals (SCIM) ---------------------------------------------------------------------

    def me(self) -> Principal:
        """Who this client acts as (SCIM ``Me``), named as an ACL names it. Read once per
        client: a token's identity does not change."""
        if self._me is None:
            path = f"{SCIM}/Me"
            principal = Principal.from_scim_me(_mapping(self._json("GET", path), "GET", path))
            if principal is None:
                raise UnexpectedResponse(
                    "SCIM Me names neither a userName nor an applicationId",
                    method="GET",
                    path=path,
                )
            self._me = principal
        return self._me

    def find_principals(self, query: str, *, limit: int = 10) -> builtins.list[Principal]:
        """Users (userName or displayName contains `query`), groups (displayName) and service
        principals (displayName or applicationId), at most `limit` of each, users first.

        A kind whose search fails is left out (a caller may read users but not groups); when
        all three fail, the last error is raised (say, a workspace without SCIM access).
        """
        text = _checks.principal_query(query, "query")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise ClientValidationError(f"limit: must be an integer from 1 to 100, got {limit!r}")
        quoted = _scim_string(text)
        found: builtins.list[Principal] = []
        seen: set[tuple[str, str]] = set()
        failure: ServingError | None = None
        answered = 0
        for kind, resource, template in _SEARCHES:
            path = f"{SCIM}/{resource}"
            params = {"filter": template.format(q=quoted), "count": limit}
            try:
                answer = _mapping(self._json("GET", path, params=params), "GET", path)
            except ServingError as error:
                failure = error
                continue
            answered += 1
            listed = answer.get("Resources")
            for item in (listed if isinstance(listed, list) else [])[:limit]:
                principal = Principal.from_scim(kind, item) if isinstance(item, Mapping) else None
                if principal is not None and principal.key not in seen:
                    seen.add(principal.key)
                    found.append(principal)
        if answered == 0 and failure is not None:
            raise failure
        return found

    # Unity Catalog model versions ----------------------------------------------------------

    def model_versions(self, name: str) -> builtins.list[ModelVersion]:
        """The versions of the Unity Catalog model `name` (catalog.schema.model) that the
        caller may see, newest first, every page read. What a served entity can name as its
        `entity_version` (`ModelVersion.version`; only READY versions can be served).

        Raises `ClientValidationError` (a ValueError) for a name that is not three-level, and
        `ResourceDoesNotExist` when the workspace has no such model in Unity Catalog (or the
        caller may not see it: the service does not tell the two apart)."""
        full_name = _checks.model_full_name(name)
        path = f"{UC_MODELS}/{quote(full_name, safe='')}/versions"
        found: builtins.list[ModelVersion] = []
        params: dict[str, str] = {}
        tokens: set[str] = set()
        for _ in range(_MAX_PAGES):
            answer = _mapping(self._json("GET", path, params=params or None), "GET", path)
            listed = answer.get("model_versions")
            for item in listed if isinstance(listed, list) else []:
                if isinstance(item, Mapping):
                    found.append(ModelVersion.from_json(item, full_name))
            token = answer.get("next_page_token")
            if not isinstance(token, str) or not token:
                return sorted(found, key=_version_order, reverse=True)
            if token in tokens:
                raise UnexpectedResponse(
                    "the service gave the same next_page_token twice", method="GET", path=path
                )
            tokens.add(token)
            params = {"page_token": token}
        raise UnexpectedResponse(
            f"more than {_MAX_PAGES} pages of model versions", method="GET", path=path
        )

    def model_versions_df(self, name: str) -> pd.DataFrame:
        """`model_versions` as a DataFrame: one row per version, newest first."""
        from serving_panel import frames

        return frames.model_versions_frame(self.model_versions(name))

    # DataFrames ----------------------------------------------------------------------------

    def endpoints_df(self, *, detailed: bool = False) -> pd.DataFrame:
        """One row per endpoint. `detailed=True` also fetches each endpoint's details
        (traffic, per-entity state, your level) concurrently over a bounded pool."""
        from serving_panel import frames

        endpoints = self.list()
        if detailed and endpoints:
            with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
                endpoints = list(pool.map(lambda e: self._get_or_keep(e), endpoints))
        return frames.endpoints_frame(endpoints)

    def _get_or_keep(self, endpoint: Endpoint) -> Endpoint:
        try:
            return self.get(endpoint.name)
        except ResourceDoesNotExist:
            return endpoint  # deleted between the list and the get

    def entities_df(self, name: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.entities_frame(self.get(name))

    def routes_df(self, name: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.routes_frame(self.get(name))

    def permissions_df(self, endpoint: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.permissions_frame(self.permissions(endpoint), endpoint)

    def logs_df(
        self,
        name: str,
        served_entity: str,
        *,
        kind: str = "server",
        config_version: int | None = None,
    ) -> pd.DataFrame:
        from serving_panel import frames

        records = self.log_records(name, served_entity, kind=kind, config_version=config_version)
        return frames.logs_frame(records, served_entity)

    def principals_df(self, query: str, *, limit: int = 10) -> pd.DataFrame:
        """`find_principals` as a DataFrame: kind, name (what a grant takes), display_name."""
        from serving_panel import frames

        return frames.principals_frame(self.find_principals(query, limit=limit))

    def metrics_df(self, name: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.metrics_frame(self.metrics(name))

    def metrics_summary_df(self, name: str) -> pd.DataFrame:
        """`metrics_summary` as a DataFrame: one row per served entity, histograms as means."""
        from serving_panel import frames

        return frames.metrics_summary_frame(self.metrics_summary(name))


def _query_request(
    name: str,
    payload: Mapping[str, Any] | None,
    served_entity: str | None,
    inputs: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    """The path and body of a query: the endpoint's (its traffic split) or one entity's."""
    _checks.endpoint_name(name)
    body = dict(payload or {})
    frame = inputs.pop("dataframe", None)
    if frame is not None:
        body["dataframe_split"] = frame.to_dict(orient="split")
    body.update(inputs)
    if not body:
        raise ClientValidationError(
            "query: give an input (dataframe_split, dataframe_records, instances or inputs)"
        )
    if served_entity is None:
        return f"/serving-endpoints/{name}/invocations", body
    _checks.served_entity_name(served_entity, "served_entity")
    return f"/serving-endpoints/{name}/served-models/{served_entity}/invocations", body


class QueryStream:
    """A streamed query's answer: iterate it for the chunks (the JSON of each `data:` line)
    as they arrive; `served_entity` is the entity that answers (the `served-model-name`
    header). The connection closes at `data: [DONE]`, at the end of the body, or on `close()`
    (a `with` block closes it too)."""

    def __init__(
        self, lines: Iterable[bytes], close: Callable[[], None], headers: Mapping[str, str]
    ) -> None:
        self._lines = iter(lines)
        self._close = close
        self.served_entity: str | None = headers.get("served-model-name")
        self.status = 200

    def __iter__(self) -> QueryStream:
        return self

    def __next__(self) -> Any:
        for line in self._lines:
            if not line.startswith(b"data:"):
                continue  # blank separators, `event:` and `:` comment lines
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            try:
                return json.loads(data)
            except ValueError:
                return data.decode("utf-8", errors="replace")
        self.close()
        raise StopIteration

    def close(self) -> None:
        self._close()

    def __enter__(self) -> QueryStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"QueryStream(served_entity={self.served_entity!r})"


def _mapping(answer: Any, method: str, path: str) -> Mapping[str, Any]:
    if not isinstance(answer, Mapping):
        raise UnexpectedResponse(
            f"expected a JSON object, got {type(answer).__name__}", method=method, path=path
        )
    return answer


def _plan_or_none(planner: Planner, read: Permissions) -> acl.AclPlan | None:
    try:
        return planner(read, True)
    except acl.AclError:
        return None


def _sent(planned: acl.AclPlan | None, error: ServingError) -> bool:
    """Whether a write that raised `error` had sent its request: it had a plan with a call,
    and the error came from the send or the read-back, not a refusal before sending."""
    return (
        planned is not None and planned.method is not None and not isinstance(error, acl.AclError)
    )


def _version_order(version: ModelVersion) -> tuple[int, str]:
    """Numeric versions by number; anything else after them, by text."""
    text = version.version
    return (int(text), "") if text.isascii() and text.isdigit() else (-1, text)


def _scim_string(text: str) -> str:
    """A SCIM filter string literal: quoted, with backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tag(key: str, value: str | None) -> dict[str, str]:
    return {"key": key} if value is None else {"key": key, "value": value}


def _principal(
    user: str | None, group: str | None, service_principal: str | None
) -> tuple[str, str]:
    given = [
        (kind, value)
        for kind, value in (
            ("user", user),
            ("group", group),
            ("service_principal", service_principal),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise ClientValidationError(
            "principal: give exactly one of user=, group= or service_principal="
        )
    return given[0]


def _progress_bar(name: str, progress: bool | None) -> Any:
    if progress is None:
        progress = "ipykernel" in sys.modules and hasattr(sys.stdout, "flush")
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(desc=f"waiting for {name}", unit="poll", leave=False)


def _error_code(error: ServingError) -> str:
    return error.error_code if isinstance(error, ApiError) else type(error).__name__
