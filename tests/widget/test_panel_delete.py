"""The delete dialog's requests (`delete.summary`, `delete.confirm`) against a live local
workspace, sent as the front end sends them and answered through the recording comm."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest

from harness.api import Api, entity, unique
from harness.comms import CommLog, PanelView, front_end_update
from serving_panel import EndpointPanel, ServingClient
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def split(client: ServingClient) -> Iterator[str]:
    """ads1 v1 and v2 at 80/20, ready; a user may query it, a group may view it."""
    name = unique("panel-delete-split")
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 80, "ads1-2": 20}
    )
    client.wait(name)
    yield name
    client.delete(name)


@pytest.fixture
def doomed(client: ServingClient) -> Iterator[str]:
    """One ads1 v1 entity, ready, for a test that may delete it."""
    name = unique("panel-delete")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    yield name
    with contextlib.suppress(ResourceDoesNotExist):
        client.delete(name)


class View(PanelView):
    """A front end of one panel: sends requests, returns Python's replies."""


# delete.summary ------------------------------------------------------------------------------


def test_the_summary_says_what_will_be_lost(
    workspace: LocalWorkspace, client: ServingClient, split: str, comms: CommLog
) -> None:
    querier = f"{unique('querier')}@example.com"
    workspace.add_user(querier)
    viewers = unique("viewers")
    workspace.add_group(viewers)
    client.grant(split, "CAN_QUERY", user=querier)
    client.grant(split, "CAN_VIEW", group=viewers)

    summary = View(EndpointPanel(split, client=client), comms).result("delete.summary")

    endpoint = client.get(split)
    assert (summary["name"], summary["id"]) == (split, endpoint.id)
    assert summary["entities"] == ["ads1-1", "ads1-2"]
    assert sorted(summary["routes"], key=lambda r: r["entity"]) == [
        {"entity": "ads1-1", "percentage": 80},
        {"entity": "ads1-2", "percentage": 20},
    ]
    who = {(p["kind"], p["name"]): p for p in summary["who_can_query"]}
    assert who[("user", querier)] == {
        "kind": "user",
        "name": querier,
        "level": "CAN_QUERY",
        "inherited": False,
    }
    assert who[("group", "admins")] == {
        "kind": "group",
        "name": "admins",
        "level": "CAN_MANAGE",
        "inherited": True,
    }
    assert ("group", viewers) not in who  # CAN_VIEW cannot query
    assert (summary["can_manage"], summary["permission_level"]) == (True, "CAN_MANAGE")
    assert summary["permissions_error"] is None


def test_the_export_is_the_endpoint_and_permissions_json_as_the_service_gave_them(
    workspace: LocalWorkspace, client: ServingClient, split: str, comms: CommLog
) -> None:
    summary = View(EndpointPanel(split, client=client), comms).result("delete.summary")
    export = summary["export"]
    assert set(export) == {"endpoint", "permissions"}

    api = Api(workspace.host, workspace.token)
    endpoint_json = api.get(f"/api/2.0/serving-endpoints/{split}").json()
    permissions_json = api.get(f"/api/2.0/permissions/serving-endpoints/{summary['id']}").json()
    assert export["endpoint"] == endpoint_json
    assert export["permissions"] == permissions_json
    assert export["endpoint"]["config"]["served_entities"][0]["entity_name"] == "ads1"
    assert export["permissions"]["object_id"] == f"/serving-endpoints/{summary['id']}"

    text = json.dumps(summary)
    assert workspace.token not in text
    assert "Bearer" not in json.dumps(export)
    # The Copy-as snippets name the token's variable, never a token.
    assert "Bearer $DATABRICKS_TOKEN" in summary["snippets"]["curl"]


def test_the_summary_of_a_missing_endpoint_is_a_404_reply_error(
    client: ServingClient, doomed: str, comms: CommLog
) -> None:
    view = View(EndpointPanel(doomed, client=client), comms)
    client.delete(doomed)
    reply = view.ask("delete.summary")
    assert reply["ok"] is False
    assert (reply["error"]["status"], reply["error"]["error_code"]) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    assert doomed in reply["error"]["message"]


def test_an_unreadable_acl_leaves_the_permissions_out_with_a_note(
    workspace: LocalWorkspace, split: str, comms: CommLog
) -> None:
    api = Api(workspace.host, workspace.token)
    endpoint_id = api.get(f"/api/2.0/serving-endpoints/{split}").json()["id"]
    path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
    api.post(
        "/__local/faults",
        json={"rules": [{"method": "GET", "path": path, "status": 503, "retry_after": 0}]},
    ).raise_for_status()
    try:
        with workspace.client(retries=0) as impatient:
            summary = View(EndpointPanel(split, client=impatient), comms).result("delete.summary")
    finally:
        api.delete("/__local/faults")
    assert summary["who_can_query"] is None  # unknown, not nobody
    assert summary["permissions_error"]["status"] == 503
    assert summary["permissions_error"]["error_code"] == "TEMPORARILY_UNAVAILABLE"
    export = summary["export"]
    assert export["permissions"] is None
    assert export["permissions_note"].startswith("The permissions could not be read: ")
    assert "TEMPORARILY_UNAVAILABLE, 503" in export["permissions_note"]
    assert export["endpoint"]["name"] == split
    assert summary["entities"] == ["ads1-1", "ads1-2"]


# delete.confirm ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "wrong-name",
        "UPPER",  # replaced below by the name in upper case
        "SPACED",  # replaced below by the name with a trailing space
        "",
    ],
)
def test_a_wrong_name_deletes_nothing(
    client: ServingClient, split: str, comms: CommLog, typed: str
) -> None:
    typed = {"UPPER": split.upper(), "SPACED": f"{split} "}.get(typed, typed)
    panel = EndpointPanel(split, client=client)
    before = dict(panel.snapshot)
    reply = View(panel, comms).ask("delete.confirm", typed_name=typed)
    assert reply["ok"] is False
    assert reply["error"] == {
        "message": "typed_name: type the endpoint's name exactly to delete it",
        "error_code": "INVALID_PARAMETER_VALUE",
        "status": 400,
    }
    assert client.get(split).name == split
    assert panel.snapshot == before
    assert panel.auto_refresh is True


def test_a_missing_typed_name_names_the_field(
    client: ServingClient, split: str, comms: CommLog
) -> None:
    reply = View(EndpointPanel(split, client=client), comms).ask("delete.confirm")
    assert reply["ok"] is False
    assert reply["error"]["status"] == 400
    assert reply["error"]["message"] == "typed_name: must be a string, got None"
    assert client.get(split).name == split


def test_the_right_name_deletes_the_endpoint_and_marks_the_snapshot(
    client: ServingClient, doomed: str, comms: CommLog
) -> None:
    panel = EndpointPanel(doomed, client=client)
    auto_before = panel.auto_refresh
    before = dict(panel.snapshot)

    result = View(panel, comms).result("delete.confirm", typed_name=doomed)

    assert result == {"deleted": True}
    with pytest.raises(ResourceDoesNotExist):
        client.get(doomed)
    snapshot = panel.snapshot
    assert snapshot["deleted"] is True
    assert snapshot["revision"] == before["revision"] + 1
    assert snapshot["error"] == {
        "message": "This endpoint was deleted.",
        "error_code": "DELETED",
        "status": 404,
    }
    # What was shown is kept.
    assert snapshot["config"] == before["config"]
    assert snapshot["name"] == doomed
    assert (auto_before, panel.auto_refresh) == (True, False)
    # The front end was told both.
    pushed = comms.state_updates()
    assert any(u.get("snapshot", {}).get("deleted") is True for u in pushed)
    assert any(u.get("auto_refresh") is False for u in pushed)

    # A refresh the view asks for afterwards keeps the panel marked as deleted.
    panel._handle_msg(front_end_update({"_refresh_request": panel._refresh_request + 1}))
    assert panel.snapshot["deleted"] is True
    assert panel.snapshot["error"]["status"] == 404


def test_a_can_view_user_is_told_deleting_needs_can_manage(
    workspace: LocalWorkspace, client: ServingClient, doomed: str, comms: CommLog
) -> None:
    email = f"{unique('viewer')}@example.com"
    token = workspace.add_user(email)
    client.grant(doomed, "CAN_VIEW", user=email)
    with workspace.client(token) as viewer:
        panel = EndpointPanel(doomed, client=viewer)
        view = View(panel, comms)

        summary = view.result("delete.summary")
        assert (summary["can_manage"], summary["permission_level"]) == (False, "CAN_VIEW")
        assert summary["entities"] == ["ads1-1"]

        before = dict(panel.snapshot)
        reply = view.ask("delete.confirm", typed_name=doomed)
        assert reply["ok"] is False
        error = reply["error"]
        assert (error["status"], error["error_code"]) == (403, "PERMISSION_DENIED")
        assert "CAN_MANAGE" in error["message"]
        assert token not in json.dumps(reply)
        assert panel.snapshot == before
        assert "deleted" not in panel.snapshot
        assert panel.auto_refresh is True
    assert client.get(doomed).name == doomed
