"""ServingExplorer against a live local workspace, its requests sent as the front end sends them:
the list then the details, opening an endpoint (the panel's features answer for it, afresh per
endpoint) and going back; from Python, `open`, `selected`, `endpoints_df`; no token in synced
state; EndpointPanel's synced state as it was."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, PanelView, front_end_message, front_end_update
from serving_panel import EndpointPanel, ServingClient, ServingExplorer
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def endpoints(client: ServingClient) -> Iterator[list[str]]:
    """Two endpoints: one serving two versions 80/20, tagged; one stopped-free and untagged."""
    first, second = unique("explorer-a"), unique("explorer-b")
    client.create(
        first,
        [entity("ads1", "1"), entity("ads1", "2")],
        traffic={"ads1-1": 80, "ads1-2": 20},
        tags={"team": "ads", "tier": "gold"},
    )
    client.create(second, [entity("ads1", "1")])
    client.wait(first)
    client.wait(second)
    yield [first, second]
    for name in (first, second):
        with contextlib.suppress(ResourceDoesNotExist):
            client.delete(name)


def rows_by_name(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(row["name"]): row for row in rows}


def test_the_list_comes_first_then_the_details_per_name(
    client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    first, second = endpoints
    view = PanelView(ServingExplorer(client=client), comms)

    listed = view.result("explorer.list")
    rows = rows_by_name(listed["rows"])
    assert listed["me"] == client.me().name
    row = rows[first]
    assert row["state"] == "Ready"
    assert row["detailed"] is False
    assert row["traffic"] is None and row["permission_level"] is None  # the list gives neither
    assert {tag["key"]: tag["value"] for tag in row["tags"]} == {"team": "ads", "tier": "gold"}  # type: ignore[attr-defined]
    assert [(e["entity"], e["version"]) for e in row["entities"]] == [  # type: ignore[attr-defined]
        ("ads1", "1"),
        ("ads1", "2"),
    ]
    assert row["creator"] == client.me().name

    details = view.result("explorer.details", names=[first, second, unique("gone")])
    detailed = rows_by_name(details["rows"])
    assert set(detailed) == {first, second}
    assert detailed[first]["detailed"] is True
    assert detailed[first]["traffic"] == [
        {"entity": "ads1-1", "percentage": 80},
        {"entity": "ads1-2", "percentage": 20},
    ]
    assert detailed[first]["permission_level"] == "CAN_MANAGE"
    assert [e["state"] for e in detailed[second]["entities"]] == ["DEPLOYMENT_READY"]  # type: ignore[attr-defined]
    assert len(details["missing"]) == 1 and details["errors"] == []


def test_details_refuse_a_bad_batch(client: ServingClient, comms: CommLog) -> None:
    view = PanelView(ServingExplorer(client=client), comms)
    assert view.error("explorer.details", names=[])["error_code"] == "INVALID_PARAMETER_VALUE"
    too_many = view.error("explorer.details", names=[f"e{i}" for i in range(201)])
    assert "at most 200" in too_many["message"]


def test_a_429_the_retries_cannot_pass_is_one_rows_error_not_the_batchs(
    workspace: LocalWorkspace, endpoints: list[str], comms: CommLog
) -> None:
    first, second = endpoints
    with workspace.client(retries=0) as impatient:
        view = PanelView(ServingExplorer(client=impatient), comms)
        workspace.faults.fail(f"/api/2.0/serving-endpoints/{first}", 429, method="GET")
        try:
            details = view.result("explorer.details", names=[first, second])
        finally:
            workspace.faults.clear()
    assert [row["name"] for row in details["rows"]] == [second]
    [error] = details["errors"]
    assert error["name"] == first
    assert error["error"]["status"] == 429


def test_open_shows_the_panel_then_back_shows_the_list(
    client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    first, second = endpoints
    explorer = ServingExplorer(client=client)
    view = PanelView(explorer, comms)
    assert explorer.endpoint_name == "" and explorer.snapshot == {}
    # No endpoint open: the panel's kinds are not there.
    assert view.error("acl.read")["message"].startswith("unknown request kind 'acl.read'")

    assert view.result("explorer.open", name=first) == {"name": first, "state": "Ready"}
    assert explorer.endpoint_name == first
    assert explorer.snapshot["name"] == first and explorer.snapshot["state"] == "Ready"
    features = explorer.hosted
    acl = view.result("acl.read")
    assert acl["endpoint_id"] == client.get(first).id
    assert view.result("hello")["version"]

    # Opening another endpoint installs the features afresh: nothing of the first's is kept.
    explorer.open(second)
    assert explorer.hosted is not features
    assert view.result("acl.read")["endpoint_id"] == client.get(second).id
    # A request the view tagged for the endpoint no longer open is refused, not answered for
    # the one open now.
    stale = view_tagged(explorer, comms, "acl.read", first)
    assert stale["ok"] is False and stale["error"]["error_code"] == "STALE_VIEW"
    fresh = view_tagged(explorer, comms, "acl.read", second)
    assert fresh["ok"] is True

    # The refresh road reads the endpoint open now.
    revision = explorer.snapshot["revision"]
    explorer._refresh_request += 1
    assert explorer.snapshot["revision"] == revision + 1
    assert explorer.snapshot["name"] == second

    assert view.result("explorer.close") == {}
    assert explorer.endpoint_name == "" and explorer.snapshot == {} and explorer.hosted is None
    assert view.error("acl.read")["status"] == 400


def view_tagged(explorer: ServingExplorer, comms: CommLog, kind: str, endpoint: str) -> dict:  # type: ignore[type-arg]
    request_id = f"tagged-{unique('id')}"
    message = {
        "type": "request",
        "kind": kind,
        "id": request_id,
        "payload": {},
        "endpoint": endpoint,
    }
    explorer._handle_msg(front_end_message(message))
    [reply] = [m for m in comms.custom() if m.get("id") == request_id]
    return reply


def test_deleting_the_opened_endpoint_pauses_auto_refresh_until_back(
    client: ServingClient, comms: CommLog
) -> None:
    doomed = unique("explorer-doomed")
    client.create(doomed, [entity("ads1", "1")])
    client.wait(doomed)
    explorer = ServingExplorer(client=client)
    view = PanelView(explorer, comms)
    view.result("explorer.open", name=doomed)
    assert view.result("delete.confirm", typed_name=doomed) == {"deleted": True}
    assert not following(explorer)  # nothing left to poll for this endpoint
    # Back at the list (or opening another), the list follows along again.
    view.result("explorer.close")
    assert following(explorer)

    # Auto refresh the user turned off stays off.
    quiet = ServingExplorer(client=client, auto_refresh=False)
    quiet.back()
    assert not following(quiet)


def following(explorer: ServingExplorer) -> bool:
    """The synced auto_refresh as the view reads it now."""
    return bool(explorer.auto_refresh)


def test_the_list_restores_an_endpoint_deleted_from_an_opened_panel(
    client: ServingClient, comms: CommLog
) -> None:
    name = unique("explorer-restore")
    client.create(name, [entity("ads1", "1")], tags={"team": "ads"})
    client.wait(name)
    explorer = ServingExplorer(client=client)
    view = PanelView(explorer, comms)
    view.result("explorer.open", name=name)
    backup = view.result("delete.summary")["export"]
    assert view.result("delete.confirm", typed_name=name) == {"deleted": True}
    view.result("explorer.close")
    assert name not in {row["name"] for row in view.result("explorer.list")["rows"]}

    report = view.result("explorer.restore", backup=backup)
    assert report["name"] == name and report["complete"] is True, report
    assert name in {row["name"] for row in view.result("explorer.list")["rows"]}
    assert client.wait(name).tags == {"team": "ads"}
    # Refused by field, nothing created: the list's restore checks as the panel's does.
    error = view.error("explorer.restore", backup="not an object")
    assert error["status"] == 400 and error["message"].startswith("backup: "), error
    client.delete(name)


def test_a_failed_open_leaves_the_view_as_it_was(
    client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    first, _ = endpoints
    explorer = ServingExplorer(client=client)
    view = PanelView(explorer, comms)
    explorer.open(first)
    missing = unique("missing")
    error = view.error("explorer.open", name=missing)
    assert error["status"] == 404 and error["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(ResourceDoesNotExist):
        explorer.open(missing)
    assert explorer.endpoint_name == first and explorer.snapshot["name"] == first
    assert view.error("explorer.open", name="")["error_code"] == "INVALID_PARAMETER_VALUE"


def test_from_python_selected_and_endpoints_df(
    client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    first, second = endpoints
    explorer = ServingExplorer(client=client)
    assert explorer.selected == []
    # The browser writes the selection as a trait (so marimo re-runs cells reading it).
    explorer._handle_msg(front_end_update({"selection": [second, first, second]}))
    assert explorer.selected == [second, first]
    assert explorer.get_state()["selection"] == [second, first, second]
    frame = explorer.endpoints_df()
    assert {first, second} <= set(frame["name"])
    assert frame.set_index("name").loc[first, "permission_level"] == "CAN_MANAGE"
    with pytest.raises(ValueError, match="no endpoint is open"):
        explorer.refresh()
    assert repr(explorer).startswith("ServingExplorer(host=")


def test_no_token_in_synced_state_or_repr(
    workspace: LocalWorkspace, client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    explorer = ServingExplorer(client=client)
    view = PanelView(explorer, comms)
    view.result("explorer.list")
    explorer.open(endpoints[0])
    view.result("explorer.close")
    sent = json.dumps([m.data for m in comms.messages], default=str)
    assert workspace.token not in sent
    assert workspace.token not in repr(explorer)
    synced = set(explorer.get_state()) - {"_esm", "_css"}
    assert {"endpoint_name", "snapshot", "auto_refresh", "_refresh_request"} <= synced
    # Rows travel as replies, never as state.
    assert all("rows" not in json.dumps(state) for state in comms.state_updates())


def test_endpoint_panel_syncs_what_it_synced(
    client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    panel = EndpointPanel(endpoints[0], client=client)
    ours = {
        name
        for name in panel.trait_names(sync=True)
        if not name.startswith("_") or name == "_refresh_request"
    }
    widget_traits = {"endpoint_name", "snapshot", "auto_refresh", "_refresh_request"}
    assert widget_traits <= ours
    assert panel.trait_metadata("endpoint_name", "sync")
    assert panel.endpoint_name == endpoints[0]
    assert (
        PanelView(panel, comms).error("explorer.list")["message"].startswith("unknown request kind")
    )
