"""restore.plan: a delete-dialog backup to the create body, the direct grants, and the parts
that can't come back, said before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from serving_panel import restore
from serving_panel.errors import ClientValidationError, RestoreRefused


def served(name: str, version: str) -> dict[str, Any]:
    return {
        "name": name,
        "entity_name": "ads1",
        "entity_version": version,
        "workload_size": "Small",
        "scale_to_zero_enabled": False,
        "state": {"deployment": "DEPLOYMENT_READY"},
        "creator": "a@example.com",
    }


def backup(**endpoint: Any) -> dict[str, Any]:
    body = {
        "name": "ads",
        "id": "0" * 32,
        "creator": "a@example.com",
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "config": {
            "config_version": 3,
            "served_entities": [served("ads1-1", "1")],
            "traffic_config": {
                "routes": [{"served_entity_name": "ads1-1", "traffic_percentage": 100}]
            },
        },
        "tags": [{"key": "team", "value": "ads"}],
        "description": "",
        "route_optimized": False,
        "permission_level": "CAN_MANAGE",
        **endpoint,
    }
    return {
        "endpoint": body,
        "permissions": {
            "access_control_list": [
                {
                    "user_name": "a@example.com",
                    "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
                },
                {
                    "group_name": "admins",
                    "all_permissions": [
                        {
                            "permission_level": "CAN_MANAGE",
                            "inherited": True,
                            "inherited_from_object": ["/serving-endpoints/"],
                        }
                    ],
                },
            ]
        },
    }


def test_the_create_body_holds_the_config_as_input_and_the_settings() -> None:
    planned = restore.plan(backup())
    assert planned.body == {
        "name": "ads",
        "config": {
            "served_entities": [
                {
                    "name": "ads1-1",
                    "entity_name": "ads1",
                    "entity_version": "1",
                    "workload_size": "Small",
                    "scale_to_zero_enabled": False,
                }
            ],
            "traffic_config": {
                "routes": [{"served_entity_name": "ads1-1", "traffic_percentage": 100}]
            },
        },
        "tags": [{"key": "team", "value": "ads"}],
    }
    assert [(g.kind, g.name, g.level) for g in planned.grants] == [
        ("user", "a@example.com", "CAN_MANAGE")
    ]
    [inherited] = [i for i in planned.items if i.part == "inherited_grant"]
    assert inherited.item == "group admins CAN_MANAGE" and not inherited.restored
    assert "/serving-endpoints/" in inherited.reason
    assert planned.items[0] == restore.RestoreItem(
        "config", "v3: ads1@1; traffic ads1-1 100%", True
    )


def test_what_cannot_come_back_is_said_up_front() -> None:
    pending = {"config_version": 4, "served_entities": [served("ads1-2", "2")]}
    planned = restore.plan(
        backup(
            pending_config=pending,
            effective_budget_policy_id="policy-1",
            state={"ready": "NOT_READY", "config_update": "NOT_UPDATING"},
        ),
        name="ads-copy",
    )
    assert planned.name == "ads-copy" and planned.source_name == "ads"
    assert planned.body["name"] == "ads-copy"
    assert planned.body["config"]["served_entities"][0]["name"] == "ads1-1"  # not the pending
    missing = {i.part: i.reason for i in planned.items if not i.restored}
    assert "config it was to replace (v3) was restored" in missing["pending_config"]
    assert "policy in effect" in missing["budget_policy"]
    assert "stopped" in missing["state"]


def test_only_a_pending_config_is_used_when_there_is_no_current_one() -> None:
    pending = {"config_version": 1, "served_entities": [served("ads1-2", "2")]}
    planned = restore.plan(backup(config=None, pending_config=pending))
    assert planned.body["config"]["served_entities"][0]["name"] == "ads1-2"
    assert planned.items[0].restored and "only a pending config" in planned.items[0].reason


@pytest.mark.parametrize(
    ("given", "name", "field"),
    [
        ({"endpoint": {"name": "ads"}}, "databricks-x", "name"),
        ({"endpoint": {"name": "ads"}}, "a b", "name"),
        ({"endpoint": {"name": 3}}, None, "backup.endpoint.name"),
        ({"endpoint": "ads"}, None, "backup.endpoint"),
        ({"endpoint": {"name": "ads"}, "permissions": []}, None, "backup.permissions"),
    ],
)
def test_refusals_name_the_field(given: Any, name: str | None, field: str) -> None:
    with pytest.raises(RestoreRefused) as refused:
        restore.plan(given, name=name)
    assert str(refused.value).startswith(f"{field}: ")
    assert isinstance(refused.value, ClientValidationError)
