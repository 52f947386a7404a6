"""The Events tab's timeline (panel/events.py) against a live local workspace: a failing update
observed while the panel refreshes, a permission change made through the panel, the
``events.list`` cursor and `events_df`.

The update is paced by the workspace's fault control, not by sleeps: a slow build keeps the
broken entity creating long enough for the panel's first look, and a held update keeps it
IN_PROGRESS after its build failed until the test releases it, so the entity's failure is
always observed before the update's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from harness.api import entity, unique, wait_for
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.local.handle import LocalWorkspace

#: Long enough that the panel's first refresh after the update sees the build still running.
SLOW_BUILD_S = 8


@pytest.fixture
def endpoint(client: ServingClient) -> Iterator[str]:
    name = unique("panel-events")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    yield name
    client.delete(name)


def refreshed_until(panel: EndpointPanel, view: PanelView, found: Any, what: str) -> Any:
    """Refreshes the panel (as the view's polls do) until `found(events)` holds."""

    def look() -> Any:
        panel.refresh()
        return found(view.result("events.list", since=0)["events"])

    return wait_for(look, timeout_s=120, what=what)


def by_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (e["time"], e["seq"]))


def index(events: list[dict[str, Any]], kind: str, words: str, entity: str | None = None) -> int:
    """The position of the first event of `kind` whose summary holds `words`."""
    for position, event in enumerate(events):
        if (
            event["kind"] == kind
            and words in event["summary"]
            and (entity is None or event["entity"] == entity)
        ):
            return position
    raise AssertionError(f"no {kind} event saying {words!r} in {[e['summary'] for e in events]}")


def test_a_failing_update_makes_its_events_in_order(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    panel = EndpointPanel(endpoint, client=client, auto_refresh=False)
    view = PanelView(panel, comms)
    workspace.faults.hold_updates(endpoint)
    workspace.faults.slow_build(endpoint, SLOW_BUILD_S, served_entity="broken-1", times=1)
    try:
        client.update_config(endpoint, [entity("broken", "1")])
        panel.refresh()
        refreshed_until(
            panel,
            view,
            lambda events: any(
                e["kind"] == "entity" and e["entity"] == "broken-1" and "failed" in e["summary"]
                for e in events
            ),
            "the entity's failure",
        )
        assert panel.snapshot["config_update"] == "IN_PROGRESS"  # held: the update has not ended
    finally:
        workspace.faults.release(endpoint)
        workspace.faults.clear()
    events = refreshed_until(
        panel,
        view,
        lambda events: any("UPDATE_FAILED" in e["summary"] for e in events) and events,
        "the update's failure",
    )
    timeline = by_time(events)
    order = [
        index(timeline, "config", "Config v2 pending"),
        index(timeline, "entity", "broken-1 creating", "broken-1"),
        index(timeline, "build", "loading the model", "broken-1"),
        index(timeline, "build", "build failed", "broken-1"),
        index(timeline, "entity", "broken-1 failed", "broken-1"),
        index(timeline, "state", "Update failed (config_update: IN_PROGRESS → UPDATE_FAILED)"),
    ]
    assert order == sorted(order), [e["summary"] for e in timeline]
    assert index(timeline, "build", "build started", "broken-1") < order[3]
    assert timeline[0]["summary"].startswith("Panel opened")

    started = timeline[index(timeline, "config", "Update to config v2 started")]
    assert started["time"] == panel.snapshot["pending"]["start_time"]
    build_log = client.build_logs(endpoint, "broken-1", config_version=2).split("\n")
    failed = timeline[order[3]]
    assert failed["link"]["tab"] == "logs" and failed["link"]["kind"] == "build"
    assert (failed["link"]["entity"], failed["link"]["version"]) == ("broken-1", 2)
    assert failed["summary"] in build_log[failed["link"]["line"] - 1]  # the line it names
    milestones = [e["summary"] for e in events if e["kind"] == "build"]
    assert len(milestones) == len(set(milestones))  # each line once: logs are read incrementally
    assert timeline[order[5]]["config_version"] == 2
    assert timeline[order[5]]["link"] == {"tab": "overview"}


def test_the_list_is_a_cursor(client: ServingClient, endpoint: str, comms: CommLog) -> None:
    panel = EndpointPanel(endpoint, client=client, auto_refresh=False)
    view = PanelView(panel, comms)
    first = view.result("events.list", since=0)
    assert [e["summary"] for e in first["events"]] == ["Panel opened: Ready; config v1 current"]
    assert first["reset"] is False and first["last"] == first["events"][-1]["seq"]
    panel.refresh()  # nothing changed: no event
    assert view.result("events.list", since=first["last"]) == {
        "events": [],
        "last": first["last"],
        "reset": False,
    }
    panel.stop()
    after = view.result("events.list", since=first["last"])
    assert after["events"] and all(e["seq"] > first["last"] for e in after["events"])
    assert {e["kind"] for e in after["events"]} >= {"state"}
    ahead = view.result("events.list", since=after["last"] + 10)  # a view of an older kernel
    assert ahead["reset"] is True and len(ahead["events"]) == len(panel.events_df())
    assert view.error("events.list", since=-1)["error_code"] == "INVALID_PARAMETER_VALUE"
    panel.start()
    client.wait(endpoint)


def test_a_permission_change_made_in_the_panel_is_an_event(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    grantee = f"{unique('events-user')}@example.com"
    workspace.add_user(grantee)
    panel = EndpointPanel(endpoint, client=client, auto_refresh=False)
    view = PanelView(panel, comms)
    read = view.result("acl.read")
    change = [{"kind": "user", "name": grantee, "level": "CAN_QUERY"}]
    view.result("acl.apply", fingerprint=read["fingerprint"], changes=change)
    [event] = [
        e for e in view.result("events.list", since=0)["events"] if e["kind"] == "permissions"
    ]
    assert event["summary"] == f"Permissions changed: user {grantee} none → CAN_QUERY"
    assert event["link"] == {"tab": "permissions"}
    assert event["entity"] is None and event["config_version"] is None
    # A refused change (stale fingerprint) is not an event.
    view.error("acl.apply", fingerprint="stale", changes=change)
    assert int((panel.events_df()["kind"] == "permissions").sum()) == 1


def test_events_df(client: ServingClient, endpoint: str, comms: CommLog) -> None:
    panel = EndpointPanel(endpoint, client=client, auto_refresh=False)
    panel.stop()
    frame = panel.events_df()
    assert list(frame.columns) == ["time", "kind", "entity", "config_version", "summary"]
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["config_version"].dtype) == "Int64"
    assert frame["time"].is_monotonic_increasing
    assert set(frame["kind"]) <= {"state", "entity", "config", "permissions", "build"}
    assert frame["summary"].iloc[0].startswith("Panel opened")
    assert len(frame) >= 2  # the stop changed the endpoint's state
    assert isinstance(frame["time"].iloc[0], pd.Timestamp)
    panel.start()
    client.wait(endpoint)
