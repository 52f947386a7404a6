"""Slow requests do not hold the kernel: `query.send` and the explorer's reads run on the
widget's own threads, so the panel answers other requests (and the user's cells run) while a
query waits on the workspace. Shown with latency the local workspace injects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient, ServingExplorer
from serving_panel.local.handle import LocalWorkspace

#: Each HTTP request to the workspace waits this long: far longer than answering from memory.
LATENCY_MS = 2_000


@pytest.fixture(scope="module")
def endpoint(client: ServingClient) -> Iterator[str]:
    name = unique("background")
    client.create(name, [entity("ads1", "1")])
    client.wait(name, until="ready", poll_s=0.2, progress=False)
    yield name
    client.delete(name)


@pytest.fixture
def slow(workspace: LocalWorkspace) -> Iterator[LocalWorkspace]:
    workspace.faults.latency(LATENCY_MS)
    try:
        yield workspace
    finally:
        workspace.faults.clear()


def _replied(comms: CommLog, request_id: str) -> bool:
    return any(m.get("id") == request_id and m.get("type") == "reply" for m in comms.custom())


def test_a_slow_query_leaves_the_panel_answering(
    client: ServingClient, endpoint: str, comms: CommLog, slow: LocalWorkspace
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client), comms)
    sending = view.send("query.send", request={"dataframe_records": [{"x": 1}]})
    # Sending returned at once; the history (kept in the kernel) answers while the query
    # still waits on the workspace.
    assert view.result("query.history")["entries"] == []
    assert not _replied(comms, sending)

    sent = view.wait_reply(sending)
    assert sent["ok"], sent.get("error")
    assert sent["result"]["status"] == 200
    assert sent["result"]["latency_ms"] >= LATENCY_MS
    assert [e["status"] for e in view.result("query.history")["entries"]] == [200]


def test_queries_at_once_each_get_their_own_history_entry(
    client: ServingClient, endpoint: str, comms: CommLog, slow: LocalWorkspace
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client), comms)
    sending = [view.send("query.send", request={"dataframe_records": [{"x": x}]}) for x in range(6)]
    replies = [view.wait_reply(request_id) for request_id in sending]
    assert all(reply["ok"] for reply in replies), replies
    ids = [reply["result"]["entry"]["id"] for reply in replies]
    assert sorted(ids) == list(range(1, 7))
    entries = view.result("query.history")["entries"]
    assert sorted(e["id"] for e in entries) == sorted(ids)


def test_the_explorer_lists_off_the_kernels_thread(
    client: ServingClient, endpoint: str, comms: CommLog, slow: LocalWorkspace
) -> None:
    explorer = ServingExplorer(client=client)
    view = PanelView(explorer, comms)
    listing = view.send("explorer.list")
    details = view.send("explorer.details", names=[endpoint])
    # A request answered on the kernel's thread gets its answer meanwhile.
    assert view.result("hello")["version"]
    assert not _replied(comms, listing) and not _replied(comms, details)

    listed = view.wait_reply(listing)
    assert listed["ok"] and endpoint in [row["name"] for row in listed["result"]["rows"]]
    detailed = view.wait_reply(details)
    assert detailed["ok"]
    [row] = detailed["result"]["rows"]
    assert row["name"] == endpoint and row["detailed"] is True
