"""Stopping and starting from the panel (`power.stop`, `power.start`) against a live local
workspace, sent as the front end sends them; and `panel.stop()`/`panel.start()` from Python."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.errors import PermissionDenied
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture
def endpoint(client: ServingClient) -> Iterator[str]:
    name = unique("panel-power")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    yield name
    client.delete(name)


def test_stop_then_start_from_the_view(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    panel = EndpointPanel(endpoint, client=client)
    view = PanelView(panel, comms)

    assert view.result("power.stop") == {"state": "Not ready (stopped)"}
    assert panel.snapshot["state"] == "Not ready (stopped)"  # published, not only answered
    assert client.get(endpoint).state == "Not ready (stopped)"
    config = client.get(endpoint).config
    assert config is not None and config.config_version is not None
    version = config.config_version

    started = view.result("power.start")
    assert started["state"] in ("Not ready (updating)", "Ready")
    assert client.wait(endpoint).state == "Ready"
    after = client.get(endpoint).config
    assert after is not None and after.config_version == version + 1


def test_a_stop_during_an_update_is_the_services_409_as_a_reply_error(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    workspace.faults.hold_updates(endpoint)
    try:
        client.update_config(endpoint, [entity("ads1", "2")])
        error = PanelView(EndpointPanel(endpoint, client=client), comms).error("power.stop")
        assert error["status"] == 409
        assert error["error_code"] == "RESOURCE_CONFLICT"
    finally:
        workspace.faults.release(endpoint)
    client.wait(endpoint)
    assert client.get(endpoint).state == "Ready"


def test_without_can_manage_the_view_gets_the_403(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    viewer = f"{unique('viewer')}@example.com"
    token = workspace.add_user(viewer)
    client.grant(endpoint, "CAN_VIEW", user=viewer)
    with workspace.client(token) as theirs:
        error = PanelView(EndpointPanel(endpoint, client=theirs), comms).error("power.stop")
    assert error["status"] == 403
    assert client.get(endpoint).state == "Ready"


def test_stop_and_start_from_python(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str
) -> None:
    panel = EndpointPanel(endpoint, client=client)
    assert panel.stop().state == "Not ready (stopped)"
    assert panel.snapshot["state"] == "Not ready (stopped)"
    panel.start()
    assert client.wait(endpoint).state == "Ready"
    viewer = f"{unique('viewer')}@example.com"
    token = workspace.add_user(viewer)
    with workspace.client(token) as theirs, pytest.raises(PermissionDenied):
        EndpointPanel(endpoint, client=theirs).stop()


def test_the_preview_gives_copy_as_equivalents_without_a_token(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client), comms)
    snippets = view.result("power.preview", action="stop")["snippets"]
    assert set(snippets) == {"curl", "sdk", "cli"}
    assert f"/api/2.0/serving-endpoints/{endpoint}/config:stop" in snippets["curl"]
    assert all(workspace.token not in text for text in snippets.values())
    assert client.get(endpoint).state == "Ready"  # a preview sends nothing
    error = view.error("power.preview", action="pause")
    assert error["status"] == 400 and error["message"].startswith("action: ")
