"""The config editor (`config.history`, `config.preview`, `config.apply`) against a live local
workspace, sent as the front end sends them: what is previewed is what is sent (read back with
the client), a stale preview and bad input are refused with nothing sent, an update in progress
and a missing CAN_MANAGE are explained, and a failed update is rolled back. Also
`panel.set_traffic` and `panel.rollback` from Python."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.api import entity, unique, wait_for
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.config_edits import config_body
from serving_panel.errors import UpdateFailed
from serving_panel.local.handle import LocalWorkspace
from serving_panel.types import Endpoint


def sent_config(endpoint: Endpoint) -> dict[str, Any]:
    """The config the service stored for the last PUT (pending while it builds, else current),
    back in input form: what was sent."""
    config = endpoint.pending_config or endpoint.config
    assert config is not None
    return config_body(config.to_json())


def two_entities(client: ServingClient, prefix: str) -> str:
    name = unique(prefix)
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 100, "ads1-2": 0}
    )
    client.wait(name, poll_s=0.2, progress=False)
    return name


@pytest.fixture(scope="module")
def shared(client: ServingClient) -> Iterator[str]:
    """ads1 v1 and v2 at 100/0, for the tests that send nothing."""
    name = two_entities(client, "panel-config-ro")
    yield name
    client.delete(name)


def unchanged(client: ServingClient, name: str, version: int) -> None:
    after = client.get(name)
    assert after.config is not None and after.config.config_version == version
    assert after.pending_config is None
    assert after.config.traffic() == {"ads1-1": 100, "ads1-2": 0}


def test_the_previewed_body_is_the_one_sent(
    workspace: LocalWorkspace, client: ServingClient, comms: CommLog
) -> None:
    name = two_entities(client, "panel-config")
    panel = EndpointPanel(name, client=client)
    view = PanelView(panel, comms)

    preview = view.result("config.preview", edit={"traffic": {"ads1-1": 80, "ads1-2": 20}})
    assert preview["refusals"] == []
    assert preview["blocked"] is None
    assert preview["base_version"] == 1
    assert preview["changes"] == ["ads1-1 100% → 80%", "ads1-2 0% → 20%"]
    assert preview["body"]["traffic_config"] == {
        "routes": [
            {"served_entity_name": "ads1-1", "traffic_percentage": 80},
            {"served_entity_name": "ads1-2", "traffic_percentage": 20},
        ]
    }
    assert set(preview["snippets"]) == {"curl", "sdk", "cli"}
    assert f"/api/2.0/serving-endpoints/{name}/config" in preview["snippets"]["curl"]
    assert workspace.token not in json.dumps(preview)

    applied = view.result("config.apply", preview_id=preview["preview_id"])
    assert applied["config_version"] == 2
    # Published (a traffic-only update may already be done): the header follows it.
    assert (panel.snapshot["pending"] or panel.snapshot["config"])["version"] == 2
    assert sent_config(client.get(name)) == preview["body"]
    client.wait(name, poll_s=0.2, progress=False)

    # An entity's version, size and scale-to-zero, one removed and one added, in one edit.
    edit = {
        "entities": {"ads1-2": {"workload_size": "Medium", "scale_to_zero_enabled": True}},
        "remove": ["ads1-1"],
        "add": [{"entity_name": "ads1", "entity_version": "1", "name": "ads1-again"}],
        "traffic": {"ads1-2": 50, "ads1-again": 50},
    }
    preview = view.result("config.preview", edit=edit)
    assert preview["refusals"] == []
    assert preview["changes"] == [
        "ads1-2: workload_size Small → Medium",
        "ads1-2: scale_to_zero_enabled false → true",
        "add ads1-again: ads1 v1",
        "remove ads1-1",
        "ads1-1 80% → 0%",
        "ads1-2 20% → 50%",
        "ads1-again 0% → 50%",
    ]
    assert view.result("config.apply", preview_id=preview["preview_id"])["config_version"] == 3
    assert sent_config(client.get(name)) == preview["body"]
    done = client.wait(name, poll_s=0.2, progress=False)
    assert done.config is not None
    assert done.config.traffic() == {"ads1-2": 50, "ads1-again": 50}
    # A preview is applied once: the same id again is refused.
    error = view.error("config.apply", preview_id=preview["preview_id"])
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    client.delete(name)


@pytest.mark.parametrize(
    ("edit", "field", "rule"),
    [
        (
            {"traffic": {"ads1-1": 70, "ads1-2": 20}},
            "traffic",
            "traffic percentages must add up to 100, got 90",
        ),
        ({"traffic": {"ads1-1": 120, "ads1-2": -20}}, "traffic['ads1-1']", "must be between"),
        ({"traffic": {"ads1-1": 80.5, "ads1-2": 19.5}}, "traffic['ads1-1']", "must be an integer"),
        ({"traffic": {"ads1-1": 80, "ads1-9": 20}}, "traffic['ads1-9']", "not a served entity"),
        (
            {"entities": {"ads1-1": {"workload_size": "Huge"}}},
            "entities['ads1-1'].workload_size",
            "one of Small",
        ),
        (
            {"add": [{"entity_name": "ads1", "entity_version": "v2"}]},
            "add[0].entity_version",
            "version number",
        ),
        ({"remove": ["ads1-1"]}, "traffic", "must add up to 100, got 0"),
        ({"traffic": {"ads1-1": 100, "ads1-2": 0}}, "edit", "changes nothing"),
    ],
)
def test_bad_edits_are_refused_naming_the_field_and_rule_and_nothing_is_sent(
    client: ServingClient,
    shared: str,
    comms: CommLog,
    edit: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    view = PanelView(EndpointPanel(shared, client=client), comms)
    preview = view.result("config.preview", edit=edit)
    assert preview["preview_id"] is None and preview["body"] is None
    first = preview["refusals"][0]
    assert first["field"] == field
    assert rule in first["rule"]
    unchanged(client, shared, 1)


def test_every_problem_is_named_at_once(client: ServingClient, shared: str, comms: CommLog) -> None:
    view = PanelView(EndpointPanel(shared, client=client), comms)
    preview = view.result(
        "config.preview",
        edit={
            "entities": {"ads1-1": {"entity_version": 2, "colour": "red"}},
            "traffic": {"ads1-1": 101, "ads1-2": 0},
        },
    )
    assert [p["field"] for p in preview["refusals"]] == [
        "entities['ads1-1'].entity_version",
        "entities['ads1-1'].colour",
        "traffic['ads1-1']",
    ]
    unchanged(client, shared, 1)


def test_a_stale_preview_is_refused_and_nothing_is_sent(
    client: ServingClient, comms: CommLog
) -> None:
    name = two_entities(client, "panel-config-stale")
    view = PanelView(EndpointPanel(name, client=client), comms)
    preview = view.result("config.preview", edit={"traffic": {"ads1-1": 80, "ads1-2": 20}})
    # Someone else changes the config after the preview.
    client.set_traffic(name, {"ads1-1": 50, "ads1-2": 50})
    client.wait(name, poll_s=0.2, progress=False)

    error = view.error("config.apply", preview_id=preview["preview_id"])
    assert error["error_code"] == "STALE_PREVIEW"
    assert error["status"] == 409
    assert "made from config v1" in error["message"]
    assert "now at config v2" in error["message"]
    after = client.get(name)
    assert after.config is not None and after.config.config_version == 2
    assert after.pending_config is None
    assert after.config.traffic() == {"ads1-1": 50, "ads1-2": 50}
    client.delete(name)


def test_an_update_in_progress_is_explained_and_nothing_is_sent(
    workspace: LocalWorkspace, client: ServingClient, comms: CommLog
) -> None:
    name = two_entities(client, "panel-config-held")
    view = PanelView(EndpointPanel(name, client=client), comms)
    preview = view.result("config.preview", edit={"traffic": {"ads1-1": 80, "ads1-2": 20}})
    control = workspace.faults
    control.hold_updates(name)
    try:
        client.set_traffic(name, {"ads1-1": 50, "ads1-2": 50})
        wait_for(lambda: name in control.state()["held_updates"], what="the update to be held")
        error = view.error("config.apply", preview_id=preview["preview_id"])
        assert error["status"] == 409
        assert error["error_code"] == "RESOURCE_CONFLICT"
        assert "Another update to config v2 is in progress" in error["message"]
        assert "Nothing was sent" in error["message"]
        # A preview made now says Apply would be refused, and why.
        again = view.result("config.preview", edit={"traffic": {"ads1-1": 80, "ads1-2": 20}})
        assert again["blocked"] is not None and "in progress" in again["blocked"]
        held = client.get(name)
        assert held.pending_config is not None and held.pending_config.config_version == 2
        assert held.pending_config.traffic() == {"ads1-1": 50, "ads1-2": 50}
    finally:
        control.release(name)
    done = client.wait(name, poll_s=0.2, progress=False)
    assert done.config is not None and done.config.config_version == 2
    client.delete(name)


def test_without_can_manage_preview_says_so_and_apply_explains_the_403(
    workspace: LocalWorkspace, client: ServingClient, shared: str, comms: CommLog
) -> None:
    viewer = f"{unique('viewer')}@example.com"
    token = workspace.add_user(viewer)
    client.grant(shared, "CAN_QUERY", user=viewer)
    with workspace.client(token) as theirs:
        view = PanelView(EndpointPanel(shared, client=theirs), comms)
        preview = view.result("config.preview", edit={"traffic": {"ads1-1": 80, "ads1-2": 20}})
        assert preview["blocked"] == (
            "Changing the config needs CAN_MANAGE on this endpoint; you have CAN_QUERY."
        )
        error = view.error("config.apply", preview_id=preview["preview_id"])
    assert error["status"] == 403
    assert error["message"].startswith("Changing the config needs CAN_MANAGE")
    assert "you have CAN_QUERY" in error["message"]
    unchanged(client, shared, 1)


def test_a_failed_update_is_rolled_back_from_the_view(
    client: ServingClient, comms: CommLog
) -> None:
    name = unique("panel-rollback")
    client.create(name, [entity("ads1", "1")])
    good = client.wait(name, poll_s=0.2, progress=False)
    panel = EndpointPanel(name, client=client)
    view = PanelView(panel, comms)
    assert view.result("config.history")["targets"] == []  # nothing to roll back to yet

    client.update_config(name, [entity("broken", "1")])
    with pytest.raises(UpdateFailed):
        client.wait(name, poll_s=0.2, progress=False, timeout=120)
    history = view.result("config.history")
    assert history["config_update"] == "UPDATE_FAILED"
    # The current config is offered (sending it again ends the failure); the failed one is not.
    assert [(t["version"], t["current"]) for t in history["targets"]] == [(1, True)]
    assert history["targets"][0]["entities"] == [
        {"name": "ads1-1", "entity": "ads1", "version": "1"}
    ]

    refused = view.result("config.preview", rollback=2)
    assert refused["refusals"][0]["field"] == "rollback"
    assert "it can: v1" in refused["refusals"][0]["rule"]

    preview = view.result("config.preview", rollback=1)
    assert preview["kind"] == "rollback"
    assert preview["body"] == sent_config(good)
    assert view.result("config.apply", preview_id=preview["preview_id"])["config_version"] == 3
    assert sent_config(client.get(name)) == preview["body"]
    back = client.wait(name, poll_s=0.2, progress=False)
    assert back.state == "Ready"
    assert back.config is not None and back.config.config_version == 3
    assert config_body(back.config.to_json()) == sent_config(good)
    client.delete(name)


def test_set_traffic_and_rollback_from_python(client: ServingClient) -> None:
    name = two_entities(client, "panel-config-py")
    panel = EndpointPanel(name, client=client)
    shown = panel.set_traffic({"ads1-1": 80, "ads1-2": 20})
    newest = shown.pending_config or shown.config
    assert newest is not None and newest.config_version == 2
    assert newest.traffic() == {"ads1-1": 80, "ads1-2": 20}
    assert (panel.snapshot["pending"] or panel.snapshot["config"])["version"] == 2
    client.wait(name, poll_s=0.2, progress=False)
    panel.rollback(1)
    seen = panel.snapshot["pending"] or panel.snapshot["config"]
    assert seen["version"] == 3
    done = client.wait(name, poll_s=0.2, progress=False)
    assert done.config is not None and done.config.traffic() == {"ads1-1": 100, "ads1-2": 0}
    client.delete(name)
