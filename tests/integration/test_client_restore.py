"""ServingClient.restore against a live local workspace over real HTTP: delete an endpoint,
restore it from the backup the panel's delete dialog saves, and find the same config, settings
and direct grants; refusals leave everything as it was; what can't come back is reported."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from harness.api import entity, unique
from serving_panel import ServingClient, acl
from serving_panel.config_edits import config_body
from serving_panel.errors import ResourceDoesNotExist, RestoreRefused
from serving_panel.local.handle import LocalWorkspace
from serving_panel.types import Endpoint


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with ServingClient(workspace.host, workspace.token) as serving:
        yield serving


def backup_of(client: ServingClient, name: str) -> dict[str, Any]:
    """What the delete dialog saves (panel/delete.py): both GET answers as the service gave them."""
    endpoint = client.get(name)
    return {"endpoint": endpoint.to_json(), "permissions": client.permissions(name).to_json()}


def settings(endpoint: Endpoint) -> dict[str, Any]:
    body = endpoint.to_json()
    assert endpoint.config is not None
    return {
        "config": config_body(endpoint.config.to_json()),
        **{
            key: body.get(key)
            for key in ("tags", "ai_gateway", "email_notifications", "description")
        },
    }


@pytest.fixture(scope="module")
def principals(workspace: LocalWorkspace) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    user = f"restore-{suffix}@example.com"
    group = f"restore-readers-{suffix}"
    workspace.add_user(user)
    workspace.add_group(group)
    application_id, _ = workspace.add_service_principal(f"restore-sp-{suffix}")
    return {"user": user, "group": group, "service_principal": application_id}


def make_endpoint(client: ServingClient, principals: dict[str, str]) -> str:
    name = unique("restore")
    client.create(
        name,
        [entity("ads1", "1"), entity("ads1", "2", environment_vars={"MODE": 'it\'s "$x"'})],
        traffic={"ads1-1": 80, "ads1-2": 20},
        tags={"team": "ads", "flag": None},
        description="restored?",
        ai_gateway={"usage_tracking_config": {"enabled": True}},
        email_notifications={"on_update_failure": ["oncall@example.com"]},
    )
    client.grant(name, "CAN_QUERY", user=principals["user"])
    client.grant(name, "CAN_VIEW", group=principals["group"])
    client.grant(name, "CAN_MANAGE", service_principal=principals["service_principal"])
    client.wait(name, poll_s=0.2, progress=False)
    return name


def test_delete_then_restore_gives_the_same_config_settings_and_direct_grants(
    client: ServingClient, principals: dict[str, str]
) -> None:
    name = make_endpoint(client, principals)
    backup = backup_of(client, name)
    before = client.get(name)
    before_acl = acl.direct_acl(client.permissions(name).grants)
    assert len(before_acl) == 4  # the creator, and the three granted above
    client.delete(name)
    with pytest.raises(ResourceDoesNotExist):
        client.get(name)

    report = client.restore(json.dumps(backup))  # the saved file's text, as it is
    assert report.name == name and report.source_name == name
    assert report.complete, str(report)
    restored = client.wait(name, until="ready", poll_s=0.2, progress=False)
    assert restored.id != before.id  # a new endpoint, its config built again as v1
    assert restored.config is not None and restored.config.config_version == 1
    assert settings(restored) == settings(before)
    assert acl.direct_acl(client.permissions(name).grants) == before_acl

    parts = {(item.part, item.restored) for item in report.items}
    assert {("config", True), ("tags", True), ("ai_gateway", True)} <= parts
    assert {("email_notifications", True), ("description", True)} <= parts
    granted = [item.item for item in report.items if item.part == "grant"]
    assert f"user {principals['user']} CAN_QUERY" in granted
    assert f"group {principals['group']} CAN_VIEW" in granted
    inherited = [item for item in report.items if item.part == "inherited_grant"]
    assert inherited and not any(item.restored for item in inherited)
    frame = report.to_frame()
    assert list(frame.columns) == ["part", "item", "restored", "reason"]
    assert len(frame) == len(report.items)
    assert str(frame["restored"].dtype) == "boolean"
    client.delete(name)


def test_restore_refuses_a_name_that_exists_and_changes_nothing(
    client: ServingClient, principals: dict[str, str]
) -> None:
    name = make_endpoint(client, principals)
    backup = backup_of(client, name)
    before = client.get(name)
    before_acl = client.permissions(name).fingerprint
    with pytest.raises(RestoreRefused) as refused:
        client.restore(backup)
    assert str(refused.value).startswith("name: an endpoint named ")
    after = client.get(name)
    assert after.id == before.id
    assert after.config is not None and after.config.config_version == 1
    assert after.pending_config is None
    assert client.permissions(name).fingerprint == before_acl
    client.delete(name)


def test_what_could_not_be_restored_is_reported_and_the_rest_lands(
    client: ServingClient, principals: dict[str, str]
) -> None:
    name = make_endpoint(client, principals)
    backup = backup_of(client, name)
    client.delete(name)
    # A principal removed from the workspace since the backup was saved.
    backup["permissions"]["access_control_list"].append(
        {
            "user_name": "gone@example.com",
            "all_permissions": [{"permission_level": "CAN_QUERY", "inherited": False}],
        }
    )
    other = unique("restored-as")
    report = client.restore(backup, name=other)
    assert report.name == other and report.source_name == name
    assert not report.complete
    [missing] = [item for item in report.not_restored if item.part == "grant"]
    assert missing.item == "user gone@example.com CAN_QUERY"
    assert "gone@example.com" in missing.reason and "does not exist" in missing.reason
    direct = acl.direct_acl(client.permissions(other).grants)
    assert direct[("user", principals["user"])] == "CAN_QUERY"
    assert ("user", "gone@example.com") not in direct
    with pytest.raises(ResourceDoesNotExist):
        client.get(name)  # restored under the other name only
    client.delete(other)


def test_a_backup_without_permissions_restores_the_endpoint_and_says_why(
    client: ServingClient, principals: dict[str, str]
) -> None:
    name = make_endpoint(client, principals)
    backup = backup_of(client, name)
    client.delete(name)
    backup["permissions"] = None
    backup["permissions_note"] = "The permissions could not be read: no (PERMISSION_DENIED, 403)"
    report = client.restore(backup)
    [item] = [i for i in report.items if i.part == "permissions"]
    assert not item.restored
    assert item.reason == backup["permissions_note"]
    assert not any(i.part == "grant" for i in report.items)
    client.delete(name)


@pytest.mark.parametrize(
    ("backup", "field"),
    [
        ("{not json", "backup"),
        ([], "backup"),
        ({"permissions": None}, "backup.endpoint"),
        ({"endpoint": {"name": "bad name!"}}, "backup.endpoint.name"),
        ({"endpoint": {"name": "ok-name", "config": {"served_entities": []}}}, "backup.endpoint"),
        (
            {"endpoint": {"name": "ok-name"}, "permissions": {"access_control_list": "x"}},
            "backup.permissions",
        ),
    ],
)
def test_a_malformed_backup_is_refused_naming_the_field_and_nothing_is_created(
    client: ServingClient, backup: Any, field: str
) -> None:
    with pytest.raises(RestoreRefused) as refused:
        client.restore(backup)
    assert str(refused.value).startswith(f"{field}")
    assert "nothing was restored" in str(refused.value)
    with pytest.raises(ResourceDoesNotExist):
        client.get("ok-name")
