"""DataFrames of what ServingClient reads, with real dtypes: strings as `string`, states and
levels as categoricals (ordered where order means something), counts as nullable `Int64`,
flags as nullable `boolean`, and times as UTC datetimes. pandas is imported here only, and this
module only when a DataFrame is asked for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from serving_panel import _wire
from serving_panel.types import (
    UI_STATES,
    Endpoint,
    EndpointConfig,
    ModelVersion,
    Permissions,
    Principal,
)

if TYPE_CHECKING:
    from serving_panel.logs import LogRecord
    from serving_panel.metrics import EntityMetrics, MetricSample

READY = ("READY", "NOT_READY")
CONFIG_UPDATE = ("NOT_UPDATING", "IN_PROGRESS", "UPDATE_FAILED", "UPDATE_CANCELED")
DEPLOYMENT = (
    "DEPLOYMENT_CREATING",
    "DEPLOYMENT_RECOVERING",
    "DEPLOYMENT_READY",
    "DEPLOYMENT_FAILED",
    "DEPLOYMENT_ABORTED",
)
LEVELS = _wire.PERMISSION_LEVELS
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
KINDS = _wire.PRINCIPAL_KINDS
MODEL_VERSION_STATUSES = (
    "PENDING_REGISTRATION",
    "READY",
    "FAILED_REGISTRATION",
    "MODEL_VERSION_STATUS_UNKNOWN",
)


def _category(values: Sequence[Any], known: Sequence[str], *, ordered: bool = False) -> pd.Series:
    """A categorical over the known values plus any new ones the service sent (kept, not NaN)."""
    extra = sorted({v for v in values if v is not None and v not in known})
    dtype = pd.CategoricalDtype([*known, *extra], ordered=ordered)
    series: pd.Series = pd.Series(values, dtype=dtype)
    return series


def _times(values: Sequence[Any]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[ns, UTC]")


def _frame(columns: dict[str, pd.Series], order: Sequence[str]) -> pd.DataFrame:
    frame: pd.DataFrame = pd.DataFrame(
        {name: columns[name].reset_index(drop=True) for name in order}
    )
    return frame


def endpoints_frame(endpoints: Iterable[Endpoint]) -> pd.DataFrame:
    """One row per endpoint: state, what it serves, traffic, creator and times."""
    rows = list(endpoints)

    def config_of(e: Endpoint) -> EndpointConfig | None:
        return e.config

    def entities(e: Endpoint) -> str | None:
        config = config_of(e)
        if config is None:
            return None
        return ", ".join(entity.label for entity in config.served_entities)

    def traffic(e: Endpoint) -> str | None:
        config = config_of(e)
        return config.traffic_summary() or None if config is not None else None

    columns = {
        "name": pd.Series([e.name for e in rows], dtype="string"),
        "state": _category([e.state for e in rows], UI_STATES),
        "ready": _category([e.ready for e in rows], READY),
        "config_update": _category([e.config_update for e in rows], CONFIG_UPDATE),
        "config_version": pd.Series(
            [e.config.config_version if e.config else None for e in rows], dtype="Int64"
        ),
        "pending_version": pd.Series(
            [e.pending_config.config_version if e.pending_config else None for e in rows],
            dtype="Int64",
        ),
        "entities": pd.Series([entities(e) for e in rows], dtype="string"),
        "traffic": pd.Series([traffic(e) for e in rows], dtype="string"),
        "creator": pd.Series([e.creator for e in rows], dtype="string"),
        "permission_level": _category([e.permission_level for e in rows], LEVELS, ordered=True),
        "created": _times([e.created for e in rows]),
        "updated": _times([e.updated for e in rows]),
        "id": pd.Series([e.id for e in rows], dtype="string"),
    }
    return _frame(columns, list(columns))


def entities_frame(endpoint: Endpoint) -> pd.DataFrame:
    """One row per served entity of the current config and, while updating, the pending one."""
    records: list[dict[str, Any]] = []
    for label, config in (("current", endpoint.config), ("pending", endpoint.pending_config)):
        if config is None:
            continue
        traffic = config.traffic()
        for entity in config.served_entities:
            records.append(
                {
                    "config": label,
                    "config_version": config.config_version,
                    "name": entity.name,
                    "entity_name": entity.entity_name,
                    "entity_version": entity.entity_version,
                    "workload_size": entity.workload_size,
                    "workload_type": entity.workload_type,
                    "scale_to_zero": entity.scale_to_zero_enabled,
                    "deployment_state": entity.deployment_state,
                    "message": entity.deployment_message or None,
                    "traffic_percentage": traffic.get(entity.name),
                    "creator": entity.creator,
                    "created": entity.created,
                }
            )

    def col(key: str) -> list[Any]:
        return [r[key] for r in records]

    columns = {
        "endpoint": pd.Series([endpoint.name] * len(records), dtype="string"),
        "config": _category(col("config"), ("current", "pending")),
        "config_version": pd.Series(col("config_version"), dtype="Int64"),
        "name": pd.Series(col("name"), dtype="string"),
        "entity_name": pd.Series(col("entity_name"), dtype="string"),
        "entity_version": pd.Series(col("entity_version"), dtype="string"),
        "workload_size": _category(col("workload_size"), ("Small", "Medium", "Large")),
        "workload_type": pd.Series(col("workload_type"), dtype="string").astype("category"),
        "scale_to_zero": pd.Series(col("scale_to_zero"), dtype="boolean"),
        "deployment_state": _category(col("deployment_state"), DEPLOYMENT),
        "message": pd.Series(col("message"), dtype="string"),
        "traffic_percentage": pd.Series(col("traffic_percentage"), dtype="Int64"),
        "creator": pd.Series(col("creator"), dtype="string"),
        "created": _times(col("created")),
    }
    return _frame(columns, list(columns))


def routes_frame(endpoint: Endpoint) -> pd.DataFrame:
    """One row per traffic route of the current config and of the pending one."""
    records = [
        (label, config.config_version, route.served_entity_name, route.traffic_percentage)
        for label, config in (("current", endpoint.config), ("pending", endpoint.pending_config))
        if config is not None
        for route in config.routes
    ]
    columns = {
        "endpoint": pd.Series([endpoint.name] * len(records), dtype="string"),
        "config": _category([r[0] for r in records], ("current", "pending")),
        "config_version": pd.Series([r[1] for r in records], dtype="Int64"),
        "served_entity_name": pd.Series([r[2] for r in records], dtype="string"),
        "traffic_percentage": pd.Series([r[3] for r in records], dtype="Int64"),
    }
    return _frame(columns, list(columns))


def permissions_frame(permissions: Permissions, endpoint: str | None = None) -> pd.DataFrame:
    """One row per principal and level, direct and inherited, with where it comes from."""
    grants = permissions.grants
    columns = {
        "endpoint": pd.Series([endpoint] * len(grants), dtype="string"),
        "principal": pd.Series([g.name for g in grants], dtype="string"),
        "kind": _category([g.kind for g in grants], KINDS),
        "level": _category([g.level for g in grants], LEVELS, ordered=True),
        "inherited": pd.Series([g.inherited for g in grants], dtype="boolean"),
        "source": pd.Series(
            [", ".join(g.inherited_from) if g.inherited else "direct" for g in grants],
            dtype="string",
        ),
        "display_name": pd.Series([g.display_name for g in grants], dtype="string"),
    }
    return _frame(columns, list(columns))


def principals_frame(principals: Sequence[Principal]) -> pd.DataFrame:
    """One row per principal found: its kind, the name a grant takes, and its display name."""
    columns = {
        "kind": _category([p.kind for p in principals], KINDS),
        "name": pd.Series([p.name for p in principals], dtype="string"),
        "display_name": pd.Series([p.display_name for p in principals], dtype="string"),
    }
    return _frame(columns, list(columns))


def model_versions_frame(versions: Sequence[ModelVersion]) -> pd.DataFrame:
    """One row per model version: full name, version, status, when and by whom created."""
    columns = {
        "full_name": pd.Series([v.full_name for v in versions], dtype="string"),
        "version": pd.Series([v.version for v in versions], dtype="string"),
        "status": _category([v.status for v in versions], MODEL_VERSION_STATUSES),
        "created": _times([v.created for v in versions]),
        "created_by": pd.Series([v.created_by for v in versions], dtype="string"),
        "comment": pd.Series([v.comment for v in versions], dtype="string"),
    }
    return _frame(columns, list(columns))


def logs_frame(records: Sequence[LogRecord], served_entity: str | None = None) -> pd.DataFrame:
    """One row per log line: number, time, level, entity and message (unparsed lines kept)."""
    columns = {
        "line": pd.Series([r.line for r in records], dtype="Int64"),
        "timestamp": _times([r.timestamp for r in records]),
        "level": _category([r.level for r in records], LOG_LEVELS, ordered=True),
        "served_entity": pd.Series([served_entity] * len(records), dtype="string"),
        "message": pd.Series([r.message for r in records], dtype="string"),
        "continuation": pd.Series([r.continuation for r in records], dtype="boolean"),
    }
    return _frame(columns, list(columns))


def metrics_frame(samples: Sequence[MetricSample]) -> pd.DataFrame:
    """One row per sample, with the labels as a dict column and each label as its own column."""
    label_names = sorted({name for s in samples for name in dict(s.labels)})
    columns: dict[str, pd.Series] = {
        "family": pd.Series([s.family for s in samples], dtype="string"),
        "name": pd.Series([s.name for s in samples], dtype="string"),
        "type": pd.Series([s.type for s in samples], dtype="string").astype("category"),
        "value": pd.Series([s.value for s in samples], dtype="float64"),
        "labels": pd.Series([dict(s.labels) for s in samples], dtype="object"),
    }
    for label in label_names:
        columns[f"label_{label}"] = pd.Series(
            [dict(s.labels).get(label) for s in samples], dtype="string"
        )
    return _frame(columns, list(columns))


def metrics_summary_frame(entities: Sequence[EntityMetrics]) -> pd.DataFrame:
    """One row per served entity: the service's figures, the request rate (a minute's requests
    / 60, empty for lifetime counters) and the mean latency and queue time in milliseconds."""

    def floats(values: list[float | None]) -> pd.Series:
        return pd.Series(values, dtype="Float64")

    columns: dict[str, pd.Series] = {
        "served_entity": pd.Series([e.served_entity for e in entities], dtype="string"),
        "window": pd.Series([e.window for e in entities], dtype="string"),
        "cpu_usage_percentage": floats([e.cpu_usage_percentage for e in entities]),
        "mem_usage_percentage": floats([e.mem_usage_percentage for e in entities]),
        "provisioned_concurrency": floats([e.provisioned_concurrency for e in entities]),
        "requests": floats([e.requests for e in entities]),
        "requests_4xx": floats([e.requests_4xx for e in entities]),
        "requests_5xx": floats([e.requests_5xx for e in entities]),
        "request_rate": floats([e.request_rate for e in entities]),
        "latency_ms_mean": floats([e.latency_ms.mean if e.latency_ms else None for e in entities]),
        "queue_time_ms_mean": floats(
            [e.queue_time_ms.mean if e.queue_time_ms else None for e in entities]
        ),
    }
    return _frame(columns, list(columns))


class _RestoreRow(Protocol):
    """A `restore.RestoreItem`, by shape (restore sits above this module)."""

    @property
    def part(self) -> str: ...
    @property
    def item(self) -> str: ...
    @property
    def restored(self) -> bool: ...
    @property
    def reason(self) -> str: ...


def restore_frame(items: Sequence[_RestoreRow]) -> pd.DataFrame:
    """One row per part of a restored backup: part, item, restored, and why not."""
    columns: dict[str, pd.Series] = {
        "part": pd.Series([i.part for i in items], dtype="string").astype("category"),
        "item": pd.Series([i.item for i in items], dtype="string"),
        "restored": pd.Series([i.restored for i in items], dtype="boolean"),
        "reason": pd.Series([i.reason for i in items], dtype="string"),
    }
    return _frame(columns, list(columns))


class _AccessRow(Protocol):
    """A `bulk.AccessRow`, by shape (bulk sits above this module)."""

    @property
    def endpoint(self) -> str: ...
    @property
    def endpoint_id(self) -> str | None: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def principal(self) -> str | None: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def level(self) -> str | None: ...
    @property
    def direct_level(self) -> str | None: ...
    @property
    def inherited(self) -> bool | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def readable(self) -> bool: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


def access_frame(rows: Sequence[_AccessRow]) -> pd.DataFrame:
    """One row per endpoint and principal: the effective level (the highest held, direct or
    inherited), the direct one, and where the effective level comes from ("direct", or the
    objects it is inherited from); an endpoint whose ACL could not be read has one row saying
    why (`readable` false, `error_code`, `error`)."""
    columns = {
        "endpoint": pd.Series([r.endpoint for r in rows], dtype="string"),
        "endpoint_id": pd.Series([r.endpoint_id for r in rows], dtype="string"),
        "kind": _category([r.kind for r in rows], KINDS),
        "principal": pd.Series([r.principal for r in rows], dtype="string"),
        "display_name": pd.Series([r.display_name for r in rows], dtype="string"),
        "level": _category([r.level for r in rows], LEVELS, ordered=True),
        "direct_level": _category([r.direct_level for r in rows], LEVELS, ordered=True),
        "inherited": pd.Series([r.inherited for r in rows], dtype="boolean"),
        "source": pd.Series([r.source for r in rows], dtype="string"),
        "fingerprint": pd.Series([r.fingerprint for r in rows], dtype="string"),
        "readable": pd.Series([r.readable for r in rows], dtype="boolean"),
        "error_code": pd.Series([r.error_code for r in rows], dtype="string"),
        "error": pd.Series([r.error for r in rows], dtype="string"),
    }
    return _frame(columns, list(columns))


class _WriteRow(Protocol):
    """A `bulk.WriteRow`, by shape."""

    @property
    def endpoint(self) -> str: ...
    @property
    def endpoint_id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def principal(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def sent(self) -> bool: ...
    @property
    def method(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def body(self) -> str | None: ...
    @property
    def before(self) -> str | None: ...
    @property
    def after(self) -> str | None: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def warnings(self) -> str | None: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...


def writes_frame(rows: Sequence[_WriteRow], outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per endpoint of a bulk grant or revoke (or of its preview): the outcome (or the
    preview's status), whether the request was sent, the exact call (method, path, body as
    JSON text), the target's direct level before and after, the fingerprint of the ACL it was
    planned from, the plan's warnings, and the error's code and message, if any."""
    columns = {
        "endpoint": pd.Series([r.endpoint for r in rows], dtype="string"),
        "endpoint_id": pd.Series([r.endpoint_id for r in rows], dtype="string"),
        "kind": _category([r.kind for r in rows], KINDS),
        "principal": pd.Series([r.principal for r in rows], dtype="string"),
        "action": _category([r.action for r in rows], ("grant", "revoke")),
        "outcome": _category([r.outcome for r in rows], outcomes),
        "sent": pd.Series([r.sent for r in rows], dtype="boolean"),
        "method": _category([r.method for r in rows], ("PATCH", "PUT")),
        "path": pd.Series([r.path for r in rows], dtype="string"),
        "body": pd.Series([r.body for r in rows], dtype="string"),
        "before": _category([r.before for r in rows], LEVELS, ordered=True),
        "after": _category([r.after for r in rows], LEVELS, ordered=True),
        "fingerprint": pd.Series([r.fingerprint for r in rows], dtype="string"),
        "warnings": pd.Series([r.warnings for r in rows], dtype="string"),
        "error_code": pd.Series([r.error_code for r in rows], dtype="string"),
        "message": pd.Series([r.message for r in rows], dtype="string"),
    }
    return _frame(columns, list(columns))
