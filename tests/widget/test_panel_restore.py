"""Restoring from the panel (`restore.run`) against a live local workspace: the backup the
delete dialog offers, the endpoint deleted, then re-created from the panel with its config and
direct grants; bad payloads refused by field with nothing created."""

from __future__ import annotations

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace


def test_delete_then_restore_from_the_panel(
    workspace: LocalWorkspace, client: ServingClient, comms: CommLog
) -> None:
    name = unique("panel-restore")
    client.create(name, [entity("ads1", "1")], tags={"team": "ads"})
    client.wait(name)
    querier = f"{unique('querier')}@example.com"
    workspace.add_user(querier)
    client.grant(name, "CAN_QUERY", user=querier)
    before = client.get(name)

    panel = EndpointPanel(name, client=client)
    view = PanelView(panel, comms)
    summary = view.result("delete.summary")
    assert set(summary["snippets"]) == {"curl", "sdk", "cli"}
    assert view.result("delete.confirm", typed_name=name) == {"deleted": True}
    assert panel.snapshot.get("deleted") is True

    report = view.result("restore.run", backup=summary["export"])
    assert report["name"] == name and report["complete"] is True, report
    assert {item["part"] for item in report["restored"]} >= {"config", "grant"}
    assert "deleted" not in panel.snapshot  # the panel shows the endpoint again
    after = client.wait(name)
    assert after.tags == before.tags
    assert before.config is not None and after.config is not None
    assert [e.entity_version for e in after.config.served_entities] == ["1"]
    assert client.permissions(name).level_of("user", querier) == "CAN_QUERY"
    client.delete(name)


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"backup": "not an object"}, "backup"), ({"backup": {"endpoint": {}}, "name": 5}, "name")],
)
def test_a_bad_restore_payload_is_refused_by_field(
    client: ServingClient, comms: CommLog, payload: dict[str, object], field: str
) -> None:
    name = unique("panel-restore-bad")
    client.create(name)
    try:
        error = PanelView(EndpointPanel(name, client=client), comms).error("restore.run", **payload)
        assert error["status"] == 400 and error["message"].startswith(f"{field}: "), error
    finally:
        client.delete(name)


def test_a_backup_of_an_existing_name_is_refused_and_nothing_changes(
    client: ServingClient, comms: CommLog
) -> None:
    name = unique("panel-restore-taken")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    view = PanelView(EndpointPanel(name, client=client), comms)
    backup = view.result("delete.summary")["export"]
    error = view.error("restore.run", backup=backup)
    assert "exists already" in error["message"], error  # refused in the kernel: nothing sent
    other = unique("panel-restore-other")
    report = view.result("restore.run", backup=backup, name=other)
    assert report["name"] == other
    client.wait(other)
    client.delete(other)
    client.delete(name)
    with pytest.raises(ResourceDoesNotExist):
        client.get(other)
