"""Typed, immutable views of the service's JSON.

Each view keeps the document it was read from (`.raw`, read-only), so fields this version does
not know about survive and `to_json()` gives them back. Enum values stay plain strings: a value
the service adds later is kept as it came, never turned into None.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving_panel.acl import Grant

#: The five states the Databricks UI shows, derived from `state.ready` x `state.config_update`.
UI_STATES = (
    "Ready",
    "Ready (update failed)",
    "Not ready (updating)",
    "Not ready (update failed)",
    "Not ready (stopped)",
)


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


def timestamp(value: Any) -> datetime | None:
    """Epoch milliseconds (as the API writes times) → an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


@dataclass(frozen=True)
class _View:
    raw: Mapping[str, Any] = field(repr=False, compare=True)

    def to_json(self) -> dict[str, Any]:
        """The document as the service sent it, unknown fields included."""
        thawed: dict[str, Any] = _thawed(self.raw)
        return thawed

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass(frozen=True)
class Route(_View):
    served_entity_name: str = ""
    traffic_percentage: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Route:
        return cls(
            raw=_frozen(data),
            served_entity_name=str(
                data.get("served_entity_name") or data.get("served_model_name") or ""
            ),
            traffic_percentage=int(data.get("traffic_percentage") or 0),
        )


@dataclass(frozen=True)
class ServedEntity(_View):
    name: str = ""
    entity_name: str | None = None
    entity_version: str | None = None
    workload_size: str | None = None
    workload_type: str | None = None
    scale_to_zero_enabled: bool | None = None
    deployment_state: str | None = None
    deployment_message: str = ""
    creator: str | None = None
    created: datetime | None = None
    external_model: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServedEntity:
        state = data.get("state") or {}
        return cls(
            raw=_frozen(data),
            name=str(data.get("name", "")),
            entity_name=data.get("entity_name") or data.get("model_name"),
            entity_version=_str_or_none(data.get("entity_version") or data.get("model_version")),
            workload_size=data.get("workload_size"),
            workload_type=data.get("workload_type"),
            scale_to_zero_enabled=data.get("scale_to_zero_enabled"),
            deployment_state=state.get("deployment"),
            deployment_message=str(state.get("deployment_state_message") or ""),
            creator=data.get("creator"),
            created=timestamp(data.get("creation_timestamp")),
            external_model=_frozen(data["external_model"]) if "external_model" in data else None,
        )

    @property
    def label(self) -> str:
        """`entity@version`, or `provider/name` for an external model."""
        if self.external_model is not None:
            return f"{self.external_model.get('provider')}/{self.external_model.get('name')}"
        return f"{self.entity_name}@{self.entity_version}"


@dataclass(frozen=True)
class EndpointConfig(_View):
    config_version: int | None = None
    served_entities: tuple[ServedEntity, ...] = ()
    routes: tuple[Route, ...] = ()
    start_time: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EndpointConfig:
        entities = data.get("served_entities")
        if not entities:
            entities = data.get("served_models") or []
        routes = (data.get("traffic_config") or {}).get("routes") or []
        version = data.get("config_version")
        return cls(
            raw=_frozen(data),
            config_version=int(version) if isinstance(version, int) else None,
            served_entities=tuple(ServedEntity.from_json(e) for e in entities),
            routes=tuple(Route.from_json(r) for r in routes),
            start_time=timestamp(data.get("start_time")),
        )

    def traffic(self) -> dict[str, int]:
        return {route.served_entity_name: route.traffic_percentage for route in self.routes}

    def traffic_summary(self) -> str:
        """`ads1-1 80% / ads1-2 20%`, in route order."""
        return " / ".join(f"{r.served_entity_name} {r.traffic_percentage}%" for r in self.routes)

    def entity(self, name: str) -> ServedEntity | None:
        return next((e for e in self.served_entities if e.name == name), None)


@dataclass(frozen=True)
class Endpoint(_View):
    """One serving endpoint: a list item (summary) or a GET answer (detailed)."""

    name: str = ""
    id: str = ""
    creator: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    description: str = ""
    ready: str | None = None
    config_update: str | None = None
    config: EndpointConfig | None = None
    pending_config: EndpointConfig | None = None
    permission_level: str | None = None
    tags: Mapping[str, str | None] = field(default_factory=lambda: MappingProxyType({}))
    budget_policy_id: str | None = None
    """The budget policy in effect: the service answers `effective_budget_policy_id`; older
    answers (and older local workspaces) said `budget_policy_id`."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Endpoint:
        state = data.get("state") or {}
        return cls(
            raw=_frozen(data),
            name=str(data.get("name", "")),
            id=str(data.get("id", "")),
            creator=data.get("creator"),
            created=timestamp(data.get("creation_timestamp")),
            updated=timestamp(data.get("last_updated_timestamp")),
            description=str(data.get("description") or ""),
            ready=state.get("ready"),
            config_update=state.get("config_update"),
            config=EndpointConfig.from_json(data["config"]) if data.get("config") else None,
            pending_config=(
                EndpointConfig.from_json(data["pending_config"])
                if data.get("pending_config")
                else None
            ),
            permission_level=data.get("permission_level"),
            tags=MappingProxyType({t["key"]: t.get("value") for t in data.get("tags") or []}),
            budget_policy_id=_str_or_none(
                data.get("effective_budget_policy_id") or data.get("budget_policy_id")
            ),
        )

    @property
    def state(self) -> str:
        """The UI's label for the endpoint's state: one of `UI_STATES`."""
        if self.ready == "READY":
            return "Ready (update failed)" if self.config_update == "UPDATE_FAILED" else "Ready"
        if self.config_update == "IN_PROGRESS":
            return "Not ready (updating)"
        if self.config_update in ("UPDATE_FAILED", "UPDATE_CANCELED"):
            return "Not ready (update failed)"
        return "Not ready (stopped)"

    @property
    def updating(self) -> bool:
        return self.config_update == "IN_PROGRESS"

    def __repr__(self) -> str:
        version = self.config.config_version if self.config else None
        pending = f", pending v{self.pending_config.config_version}" if self.pending_config else ""
        return f"Endpoint({self.name!r}, {self.state}, config v{version}{pending})"

    def _repr_html_(self) -> str:
        """A small table for notebooks; every server string is escaped."""
        e = html.escape
        rows = []
        for label, config in (("current", self.config), ("pending", self.pending_config)):
            if config is None:
                continue
            traffic = config.traffic()
            for entity in config.served_entities:
                share = traffic.get(entity.name)
                rows.append(
                    "<tr>"
                    f"<td>{e(label)} v{config.config_version}</td><td>{e(entity.name)}</td>"
                    f"<td>{e(entity.label)}</td><td>{e(str(entity.workload_size or ''))}</td>"
                    f"<td>{e(str(entity.deployment_state or ''))}</td>"
                    f"<td>{'' if share is None else f'{share}%'}</td>"
                    f"<td>{e(entity.deployment_message)}</td></tr>"
                )
        return (
            f"<div><strong>{e(self.name)}</strong> · {e(self.state)} · "
            f"creator {e(str(self.creator or ''))} · you: {e(str(self.permission_level or ''))}"
            "<table><thead><tr><th>config</th><th>name</th><th>entity</th><th>size</th>"
            "<th>state</th><th>traffic</th><th>message</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )


@dataclass(frozen=True)
class PermissionLevel(_View):
    permission_level: str = ""
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PermissionLevel:
        return cls(
            raw=_frozen(data),
            permission_level=str(data.get("permission_level", "")),
            description=str(data.get("description") or ""),
        )


@dataclass(frozen=True)
class QueryResult(_View):
    """An invocation's answer; `served_entity` comes from the `served-model-name` header."""

    predictions: Any = None
    served_entity: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], served_entity: str | None) -> QueryResult:
        return cls(
            raw=_frozen(data),
            predictions=_thawed(_frozen(data.get("predictions"))),
            served_entity=served_entity,
        )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Permissions(_View):
    """An endpoint's ACL: every grant, direct and inherited (parsed once, here), and the
    fingerprint of the direct part (what a write could clobber), for the stale-ACL check before
    every write."""

    object_id: str = ""
    object_type: str = ""
    grants: tuple[Grant, ...] = ()
    fingerprint: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Permissions:
        from serving_panel import acl

        grants = tuple(acl.grants_from_json(data))
        return cls(
            raw=_frozen(data),
            object_id=str(data.get("object_id", "")),
            object_type=str(data.get("object_type", "")),
            grants=grants,
            fingerprint=acl.fingerprint(grants),
        )

    @property
    def endpoint_id(self) -> str:
        return self.object_id.rsplit("/", 1)[-1]

    def level_of(self, kind: str, name: str) -> str | None:
        """The principal's highest level from its own grants (direct or inherited)."""
        from serving_panel import acl

        levels = [g.level for g in self.grants if g.kind == kind and g.name == name]
        ranked = [level for level in acl.LEVELS if level in levels]
        return ranked[-1] if ranked else None

    def __repr__(self) -> str:
        return f"Permissions({self.object_id!r}, {len(self.grants)} grants)"


@dataclass(frozen=True)
class ModelVersion(_View):
    """A Unity Catalog model version (ModelVersionInfo): what `model_versions` lists and a
    served entity's `entity_version` names. `full_name` is catalog.schema.model; `status` is
    the service's string (only READY versions can be served); `created` is `created_at`."""

    full_name: str = ""
    version: str = ""
    status: str | None = None
    created: datetime | None = None
    created_by: str | None = None
    comment: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], full_name: str = "") -> ModelVersion:
        parts = [_text(data, key) for key in ("catalog_name", "schema_name", "model_name")]
        named = ".".join(p for p in parts if p is not None) if all(parts) else full_name
        version = data.get("version")
        return cls(
            raw=_frozen(data),
            full_name=named or full_name,
            version="" if version is None or isinstance(version, bool) else str(version),
            status=_text(data, "status"),
            created=timestamp(data.get("created_at")),
            created_by=_text(data, "created_by"),
            comment=_text(data, "comment"),
        )

    @property
    def ready(self) -> bool:
        return self.status == "READY"


_SP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
# A service principal's application id; SCIM Me may give it as the userName.
_APPLICATION_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


@dataclass(frozen=True)
class Principal(_View):
    """A user, group or service principal from SCIM, named the way an ACL names it: a user by
    userName, a group by displayName, a service principal by applicationId."""

    kind: str = ""
    name: str = ""
    display_name: str = ""

    @classmethod
    def from_scim(cls, kind: str, data: Mapping[str, Any]) -> Principal | None:
        """One SCIM resource of `kind` (user, group or service_principal); None when it lacks
        the attribute an ACL would name it by."""
        key = {"user": "userName", "group": "displayName", "service_principal": "applicationId"}
        name = _text(data, key[kind])
        if name is None:
            return None
        display = _text(data, "displayName") or name
        return cls(raw=_frozen(data), kind=kind, name=name, display_name=display)

    @classmethod
    def from_scim_me(cls, data: Mapping[str, Any]) -> Principal | None:
        """The caller from SCIM ``Me``: a service principal when it says so (its schema, or an
        applicationId and no e-mail, or a userName that is an application id), else a user."""
        schemas = data.get("schemas") or []
        application = _text(data, "applicationId")
        if application is not None and (_SP_SCHEMA in schemas or not data.get("emails")):
            return cls.from_scim("service_principal", data)
        name = _text(data, "userName")
        if name is None:
            return None
        kind = "service_principal" if _APPLICATION_ID.match(name) else "user"
        display = _text(data, "displayName") or name
        return cls(raw=_frozen(data), kind=kind, name=name, display_name=display)

    @property
    def key(self) -> tuple[str, str]:
        """(kind, name), as permission plans address a principal."""
        return (self.kind, self.name)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None
