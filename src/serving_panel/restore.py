"""Restoring a deleted endpoint from the backup the panel's delete dialog saves.

The backup is `{"endpoint": <the endpoint's GET answer>, "permissions": <the permissions GET
answer> or null, "permissions_note"?: why it is null}` (panel/delete.py). `plan` turns it into
the create body and the direct grants to send, and lists up front what can't come back and why;
`ServingClient.restore` sends them and returns a `RestoreReport` of the whole story.

What comes back: the config (its served entities as input, its routes), tags, AI gateway,
legacy rate limits (when the answer had them), e-mail notifications, telemetry config,
description and route optimization; then each DIRECT grant, one at a time (a principal that no
longer exists is refused by itself, the others still land). Inherited grants come from the
workspace, not the endpoint, and are not sent. What does not: the id, creator and timestamps
(a new endpoint gets its own), a pending config (the config it was replacing is restored), the
budget policy (the answer shows the policy in effect, which may be inherited), a stopped state.

Pure, except `RestoreReport.to_frame`, which asks `frames` for a DataFrame.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serving_panel import _wire, acl, config_edits
from serving_panel.errors import ClientValidationError, RestoreRefused
from serving_panel.types import EndpointConfig

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.types import Endpoint

__all__ = ["RestoreItem", "RestorePlan", "RestoreReport", "describe_grant", "plan"]

#: Endpoint settings the create body takes as the GET answer gives them.
_SETTINGS = (
    "tags",
    "ai_gateway",
    "rate_limits",
    "email_notifications",
    "telemetry_config",
    "description",
    "route_optimized",
)


@dataclass(frozen=True)
class RestoreItem:
    """One part of the backup: restored, or not and why."""

    part: str
    """config, pending_config, tags, ai_gateway, rate_limits, email_notifications,
    telemetry_config, description, route_optimized, budget_policy, state, permissions, grant,
    inherited_grant."""
    item: str
    restored: bool
    reason: str = ""


@dataclass(frozen=True)
class RestorePlan:
    """What a restore will send: the create body, then one PATCH per direct grant."""

    name: str
    source_name: str
    body: dict[str, Any]
    grants: tuple[acl.Grant, ...]
    items: tuple[RestoreItem, ...]
    """Known before sending: what goes in the create body, and what can't be restored."""


@dataclass(frozen=True)
class RestoreReport:
    """What `ServingClient.restore` did: the endpoint it created (building, as after `create`;
    see `wait`), and every part of the backup, restored or not and why."""

    name: str
    source_name: str
    endpoint: Endpoint
    items: tuple[RestoreItem, ...]

    @property
    def restored(self) -> list[RestoreItem]:
        return [item for item in self.items if item.restored]

    @property
    def not_restored(self) -> list[RestoreItem]:
        return [item for item in self.items if not item.restored]

    @property
    def complete(self) -> bool:
        """Whether every direct grant and setting came back (inherited grants never do)."""
        return all(item.restored or item.part == "inherited_grant" for item in self.items)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: part, item, restored, reason."""
        from serving_panel import frames

        return frames.restore_frame(self.items)

    def __str__(self) -> str:
        lines = [f"Restored {self.source_name!r} as {self.name!r} ({self.endpoint.state})"]
        for entry in self.items:
            mark = "✓" if entry.restored else "✗"
            why = f": {entry.reason}" if entry.reason else ""
            lines.append(f"  {mark} {entry.part} {entry.item}{why}")
        return "\n".join(lines)


def _fail(field: str, rule: str) -> RestoreRefused:
    return RestoreRefused(f"{field}: {rule}; nothing was restored")


def describe_grant(grant: acl.Grant) -> str:
    return f"{grant.kind.replace('_', ' ')} {grant.name} {grant.level}"


def plan(backup: Mapping[str, Any] | str, *, name: str | None = None) -> RestorePlan:
    """The create body, the direct grants and the parts known not to come back, from a backup
    (its JSON text or the parsed object). `name` restores under another name. Refuses
    (`RestoreRefused`, naming the field) anything that is not such a backup."""
    if isinstance(backup, str):
        try:
            backup = json.loads(backup)
        except json.JSONDecodeError as error:
            raise _fail("backup", f"is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(backup, Mapping):
        raise _fail("backup", "must be the JSON object the delete dialog saves")
    endpoint = backup.get("endpoint")
    if not isinstance(endpoint, Mapping):
        raise _fail("backup.endpoint", "must be the endpoint's GET answer (a JSON object)")
    source = endpoint.get("name")
    if not isinstance(source, str) or _wire.name_problem(source, "endpoint name") is not None:
        raise _fail("backup.endpoint.name", "must be the endpoint's name")
    target = source if name is None else name
    problem = _wire.new_endpoint_name_problem(target)
    if problem is not None:
        raise _fail("name", problem)

    items: list[RestoreItem] = []
    body: dict[str, Any] = {"name": target}
    config_item = _config(endpoint, body, items)
    items.insert(0, config_item)
    for key in _SETTINGS:
        value = endpoint.get(key)
        if value in (None, "", [], {}, False):
            continue
        body[key] = value
        items.append(RestoreItem(key, _summary(key, value), True))
    policy = endpoint.get("effective_budget_policy_id") or endpoint.get("budget_policy_id")
    if policy:
        items.append(
            RestoreItem(
                "budget_policy",
                str(policy),
                False,
                "the backup shows the policy in effect, which may be the workspace's default; "
                "pass it to create(budget_policy_id=...) if it was set on the endpoint",
            )
        )
    grants = _grants(backup, items)
    return RestorePlan(
        name=target, source_name=source, body=body, grants=grants, items=tuple(items)
    )


def _config(endpoint: Mapping[str, Any], body: dict[str, Any], items: list[RestoreItem]) -> Any:
    """Puts the config to restore in `body`; returns its item and notes the pending one."""
    current = endpoint.get("config")
    pending = endpoint.get("pending_config")
    chosen = current if isinstance(current, Mapping) else None
    if chosen is None and isinstance(pending, Mapping):
        chosen = pending
    elif isinstance(pending, Mapping):
        items.append(
            RestoreItem(
                "pending_config",
                _version(pending),
                False,
                f"an update to it was in progress or had failed when the backup was made; the "
                f"config it was to replace ({_version(current)}) was restored. Send it with "
                "update_config if it is still wanted",
            )
        )
    state = endpoint.get("state")
    if (
        isinstance(state, Mapping)
        and state.get("ready") == "NOT_READY"
        and state.get("config_update") == "NOT_UPDATING"
        and chosen is not None
    ):
        items.append(
            RestoreItem(
                "state",
                "stopped",
                False,
                "the endpoint was stopped; it is restored serving (stop it with client.stop)",
            )
        )
    if chosen is None:
        return RestoreItem("config", "", False, "the backup has no config: created without one")
    try:
        config = config_edits.config_body(chosen)
    except ClientValidationError as error:
        raise _fail("backup.endpoint.config", str(error)) from None
    body["config"] = config
    view = EndpointConfig.from_json(chosen)
    entities = ", ".join(entity.label for entity in view.served_entities)
    traffic = view.traffic_summary()
    what = f"{_version(chosen)}: {entities}" + (f"; traffic {traffic}" if traffic else "")
    reason = "" if chosen is current else "the backup had only a pending config; that was used"
    return RestoreItem("config", what, True, reason)


def _grants(backup: Mapping[str, Any], items: list[RestoreItem]) -> tuple[acl.Grant, ...]:
    if "permissions" not in backup:
        items.append(RestoreItem("permissions", "", False, "the backup has no permissions part"))
        return ()
    permissions = backup["permissions"]
    if permissions is None:
        note = backup.get("permissions_note")
        why = str(note) if note else "the backup holds no permissions"
        items.append(RestoreItem("permissions", "", False, why))
        return ()
    if not isinstance(permissions, Mapping):
        raise _fail("backup.permissions", "must be the permissions GET answer or null")
    try:
        grants = acl.grants_from_json(permissions)
    except acl.AclError as error:
        raise _fail("backup.permissions", str(error)) from None
    direct: list[acl.Grant] = []
    for grant in grants:
        if grant.inherited:
            source = ", ".join(grant.inherited_from) or "a parent object"
            items.append(
                RestoreItem(
                    "inherited_grant",
                    describe_grant(grant),
                    False,
                    f"inherited from {source}: it comes from there, not from the endpoint",
                )
            )
        else:
            direct.append(grant)
    return tuple(direct)


def _version(config: Any) -> str:
    version = config.get("config_version") if isinstance(config, Mapping) else None
    return f"v{version}" if version is not None else "v?"


def _summary(key: str, value: Any) -> str:
    if key == "tags" and isinstance(value, list):
        return ", ".join(
            f"{t.get('key')}={t.get('value')}" if t.get("value") is not None else str(t.get("key"))
            for t in value
            if isinstance(t, Mapping)
        )
    if isinstance(value, (str, bool, int)):
        return str(value)
    return json.dumps(value, sort_keys=True)[:200]
