"""EndpointPanel's Python side against a live local workspace: synced state, intent traits and
custom messages, no browser."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, front_end_message, front_end_update
from serving_panel import EndpointPanel, ServingClient, __version__
from serving_panel.errors import ResourceDoesNotExist, ServingError
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def ready(client: ServingClient) -> Iterator[str]:
    name = unique("panel")
    client.create(
        name,
        [entity("ads1", "1"), entity("ads1", "2")],
        traffic={"ads1-1": 80, "ads1-2": 20},
        tags={"team": "ads"},
    )
    client.wait(name)
    yield name
    client.delete(name)


def synced_keys(panel: EndpointPanel) -> set[str]:
    framework = {"_esm", "_css", "_anywidget_id", "layout", "tabbable", "tooltip", "_dom_classes"}
    return {k for k in panel.get_state() if not k.startswith(("_model", "_view"))} - framework


def test_synced_state_is_a_small_snapshot(
    comms: CommLog, client: ServingClient, ready: str
) -> None:
    panel = EndpointPanel(ready, client=client)
    assert synced_keys(panel) == {"endpoint_name", "snapshot", "auto_refresh", "_refresh_request"}
    snapshot = panel.get_state()["snapshot"]
    assert snapshot["state"] == "Ready"
    assert snapshot["config"]["version"] == 1
    assert [(e["name"], e["traffic"], e["state"]) for e in snapshot["config"]["entities"]] == [
        ("ads1-1", 80, "DEPLOYMENT_READY"),
        ("ads1-2", 20, "DEPLOYMENT_READY"),
    ]
    assert snapshot["config"]["routes"] == [
        {"entity": "ads1-1", "percentage": 80},
        {"entity": "ads1-2", "percentage": 20},
    ]
    assert snapshot["tags"] == [{"key": "team", "value": "ads"}]
    assert snapshot["permission_level"] == "CAN_MANAGE"
    assert snapshot["pending"] is None


def test_the_token_is_nowhere_the_browser_or_a_notebook_can_see(
    comms: CommLog, workspace: LocalWorkspace, ready: str
) -> None:
    panel = EndpointPanel(ready, host=workspace.host, token=workspace.token)
    panel._handle_msg(front_end_update({"_refresh_request": 1}))
    seen = [
        json.dumps(panel.get_state(), default=str),
        repr(panel),
        str(panel),
        json.dumps([m.data for m in comms.messages], default=str),
    ]
    for text in seen:
        assert workspace.token not in text


def test_a_browser_refresh_publishes_a_new_snapshot(
    comms: CommLog, client: ServingClient, ready: str
) -> None:
    panel = EndpointPanel(ready, client=client)
    before = panel.snapshot["revision"]
    panel._handle_msg(front_end_update({"_refresh_request": 1}))
    assert panel.snapshot["revision"] == before + 1
    panel._handle_msg(front_end_update({"_refresh_request": 2}))
    assert panel.snapshot["revision"] == before + 2
    assert any("snapshot" in update for update in comms.state_updates())
    # The trait is the one road: there is no request kind for it.
    panel._handle_msg(front_end_message({"type": "request", "kind": "refresh", "id": "r-1"}))
    [reply] = [m for m in comms.custom() if m.get("id") == "r-1"]
    assert reply["ok"] is False
    assert reply["error"]["message"].startswith("unknown request kind 'refresh'")
    assert panel.snapshot["revision"] == before + 2


def test_a_pending_update_shows_beside_the_current_config(
    comms: CommLog, client: ServingClient
) -> None:
    name = unique("panel-pending")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    client.update_config(name, [entity("slow", "1")])
    panel = EndpointPanel(name, client=client)
    snapshot = panel.snapshot
    assert snapshot["state"] == "Ready"
    assert snapshot["config_update"] == "IN_PROGRESS"
    assert snapshot["pending"]["version"] == 2
    assert snapshot["pending"]["entities"][0]["entity"] == "slow"
    assert snapshot["pending"]["start_time"] is not None
    client.wait(name, timeout=120)
    assert panel.refresh().config_update == "NOT_UPDATING"
    assert panel.snapshot["pending"] is None
    client.delete(name)


def test_errors_raise_from_python_and_show_inline_from_the_panel(
    comms: CommLog, client: ServingClient
) -> None:
    with pytest.raises(ResourceDoesNotExist):
        EndpointPanel(unique("missing"), client=client)
    name = unique("panel-gone")
    client.create(name)
    panel = EndpointPanel(name, client=client)
    client.delete(name)
    panel._handle_msg(front_end_update({"_refresh_request": 1}))
    assert panel.snapshot["error"] == {
        "message": f"Endpoint with name '{name}' does not exist.",
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "status": 404,
    }
    assert panel.snapshot["name"] == name  # what was shown before stays
    with pytest.raises(ResourceDoesNotExist):
        panel.refresh()


def open_models() -> set[str]:
    """Model ids of every widget whose comm is open, as ipywidgets keeps them."""
    from ipywidgets.widgets.widget import _instances

    return set(_instances)


@pytest.mark.parametrize("failure", ["misspelt name", "bad token"])
def test_a_panel_whose_first_read_fails_leaves_no_live_widget(
    comms: CommLog, client: ServingClient, workspace: LocalWorkspace, failure: str
) -> None:
    """JupyterLab saves every open model into the notebook; a failed panel must not be one."""
    before = open_models()
    if failure == "misspelt name":
        with pytest.raises(ResourceDoesNotExist):
            EndpointPanel(unique("missing"), client=client)
    else:
        with pytest.raises(ServingError) as raised:
            EndpointPanel(unique("any"), host=workspace.host, token="dapi-not-a-token")
        assert "dapi-not-a-token" not in str(raised.value)
    assert open_models() == before
    kinds = [m.msg_type for m in comms.messages]
    assert kinds.count("comm_open") >= 1  # the panel did open before its read failed
    assert kinds.count("comm_close") == kinds.count("comm_open")


def test_connection_arguments_or_a_client_not_both(
    comms: CommLog, client: ServingClient, workspace: LocalWorkspace, ready: str
) -> None:
    with pytest.raises(TypeError, match="either client= or connection arguments"):
        EndpointPanel(ready, client=client, host=workspace.host)
    with pytest.raises(ValueError, match="name: must be a non-empty endpoint name"):
        EndpointPanel("", client=client)


def test_python_accessors(
    comms: CommLog, client: ServingClient, workspace: LocalWorkspace, ready: str
) -> None:
    panel = EndpointPanel(ready, client=client)
    assert panel.endpoint.name == ready
    assert list(panel.entities_df()["name"]) == ["ads1-1", "ads1-2"]
    assert list(panel.routes_df()["traffic_percentage"]) == [80, 20]
    assert "admins" in set(panel.permissions_df()["principal"])
    assert "build finished" in " ".join(panel.logs_df("ads1-1", kind="build")["message"])
    email = f"{unique('panel-user')}@example.com"
    workspace.add_user(email)
    assert panel.grant("CAN_QUERY", user=email).level_of("user", email) == "CAN_QUERY"
    assert panel.revoke(user=email).level_of("user", email) is None


def test_hello_answers_with_the_version(comms: CommLog, client: ServingClient, ready: str) -> None:
    panel = EndpointPanel(ready, client=client)
    panel._handle_msg(front_end_message({"type": "request", "kind": "hello", "id": "v1-1"}))
    assert {
        "type": "reply",
        "id": "v1-1",
        "ok": True,
        "result": {"version": __version__},
    } in comms.custom()


def test_repr_and_mimebundle(comms: CommLog, client: ServingClient, ready: str) -> None:
    panel = EndpointPanel(ready, client=client)
    assert repr(panel) == f"EndpointPanel(name={ready!r}, Ready)"
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data is not None
    assert "application/vnd.jupyter.widget-view+json" in data
