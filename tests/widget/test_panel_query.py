"""The Query tab's requests (`query.prefill`, `query.send`, `query.history`, `query.snippets`)
against a live local workspace, sent as the front end sends them; and
`panel.query_history_df()` from Python."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.local.handle import LocalWorkspace
from serving_panel.panel.query import HISTORY_LIMIT, SKELETON


def _ready(client: ServingClient, name: str) -> None:
    client.wait(name, until="ready", poll_s=0.2, progress=False)


@pytest.fixture(scope="module")
def sentiment(client: ServingClient) -> Iterator[str]:
    """The demo classifier: the one demo model logged with a signature."""
    name = unique("query-sentiment")
    client.create(name, [entity("main.default.sentiment", "1")])
    _ready(client, name)
    yield name
    client.delete(name)


@pytest.fixture(scope="module")
def split(client: ServingClient) -> Iterator[str]:
    """Two regressors (no signature), all traffic on ads1-1."""
    name = unique("query-split")
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 100, "ads1-2": 0}
    )
    _ready(client, name)
    yield name
    client.delete(name)


@pytest.fixture(scope="module")
def streamer(client: ServingClient) -> Iterator[str]:
    name = unique("query-streamer")
    client.create(name, [entity("streamer", "1")])
    _ready(client, name)
    yield name
    client.delete(name)


def test_prefill_comes_from_the_openapi_document(
    client: ServingClient, sentiment: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(sentiment, client=client), comms)
    prefill = view.result("query.prefill")
    assert prefill["source"] == "openapi"
    assert prefill["request"] == {"dataframe_records": [{"text": "example"}]}
    assert (prefill["can_query"], prefill["permission_level"]) == (True, "CAN_MANAGE")
    # and the example is one the model takes
    sent = view.result("query.send", request=prefill["request"])
    assert sent["status"] == 200
    assert sent["body"]["predictions"][0] in ("positive", "negative", "neutral")


def test_prefill_without_a_signature_falls_back_to_the_last_request_then_a_skeleton(
    client: ServingClient, split: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(split, client=client), comms)
    first = view.result("query.prefill")
    assert (first["source"], first["request"]) == ("skeleton", SKELETON)
    assert "without a model signature" in first["note"]

    view.result("query.send", request={"dataframe_records": [{"x": 1}]})
    view.result("query.send", request={"dataframe_records": [{"x": 4}]})
    again = view.result("query.prefill")
    assert (again["source"], again["request"]) == ("history", {"dataframe_records": [{"x": 4}]})


def test_send_to_the_endpoint_and_to_one_entity_names_who_answered(
    client: ServingClient, split: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(split, client=client), comms)
    request = {"dataframe_records": [{"x": 1}, {"x": 2}]}

    routed = view.result("query.send", request=request)
    assert (routed["status"], routed["served_entity"]) == (200, "ads1-1")  # 100/0 split
    assert routed["body"] == {"predictions": [3.0, 5.0]}
    assert routed["latency_ms"] > 0
    assert routed["streamed"] is False

    direct = view.result("query.send", request=request, served_entity="ads1-2")
    assert (direct["status"], direct["served_entity"]) == (200, "ads1-2")
    assert direct["entry"]["target"] == "ads1-2"


def test_a_bad_body_is_the_services_400_shown_as_data(
    client: ServingClient, split: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(split, client=client), comms)
    sent = view.result("query.send", request={"dataframe_records": [{"y": 1}]})
    assert sent["status"] == 400
    assert sent["served_entity"] is None
    assert "x" in sent["body"]["message"]
    assert sent["body"]["error_code"]
    # an unknown entity is the service's 404, as data too
    missing = view.result(
        "query.send", request={"dataframe_records": [{"x": 1}]}, served_entity="nope"
    )
    assert missing["status"] == 404
    # what is not a JSON object is never sent
    error = view.error("query.send", request=[1, 2])
    assert (error["status"], error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "request" in error["message"]
    statuses = [entry["status"] for entry in view.result("query.history")["entries"]]
    assert statuses == [400, 404]


def test_streamed_chunks_arrive_in_order_before_the_reply(
    client: ServingClient, streamer: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(streamer, client=client), comms)
    reply, partials = view.ask_in_pieces(
        "query.send",
        request={"dataframe_records": [{"prompt": "one two three four"}], "stream": True},
    )
    assert reply["ok"], reply
    result = reply["result"]
    assert [p["data"]["index"] for p in partials] == [0, 1, 2, 3]
    words = [p["data"]["chunk"]["choices"][0]["delta"]["content"] for p in partials]
    assert "".join(words) == "four three two one"
    assert (result["streamed"], result["chunks"], result["stream_error"]) == (True, 4, None)
    assert result["body"] == [p["data"]["chunk"] for p in partials]
    assert result["served_entity"] == "streamer-1"
    # a body without "stream" gets one answer and no partials
    plain, none = view.ask_in_pieces(
        "query.send", request={"dataframe_records": [{"prompt": "a b"}]}
    )
    assert none == [] and plain["result"]["body"] == {"predictions": ["b a"]}


def test_history_is_bounded_and_reaches_python(
    client: ServingClient, split: str, comms: CommLog
) -> None:
    panel = EndpointPanel(split, client=client)
    view = PanelView(panel, comms)
    for x in range(HISTORY_LIMIT + 2):
        view.result("query.send", request={"dataframe_records": [{"x": x}]})
    history = view.result("query.history")
    entries = history["entries"]
    assert history["limit"] == HISTORY_LIMIT == len(entries)
    assert [e["request"]["dataframe_records"][0]["x"] for e in entries] == list(
        range(2, HISTORY_LIMIT + 2)
    )
    assert all("response" not in e for e in entries)  # the bodies stay in the kernel

    frame = panel.query_history_df()
    assert len(frame) == HISTORY_LIMIT
    last = frame.iloc[-1]
    assert (last["status"], last["served_entity"], last["target"]) == (200, "ads1-1", None)
    assert last["response"] == {"predictions": [2.0 * (HISTORY_LIMIT + 1) + 1.0]}
    assert str(frame["at"].dtype).startswith("datetime64")


def test_no_token_in_any_snippet_reply_or_state(
    workspace: LocalWorkspace, client: ServingClient, streamer: str, comms: CommLog
) -> None:
    panel = EndpointPanel(streamer, client=client)
    view = PanelView(panel, comms)
    request = {"dataframe_records": [{"prompt": "x y"}], "stream": True}
    snippets = view.result("query.snippets", request=request, served_entity="streamer-1")
    assert set(snippets) == {"curl", "serving_client", "sdk", "cli", "sql"}
    assert "$DATABRICKS_TOKEN" in snippets["curl"]
    assert "served-models/streamer-1/invocations" in snippets["curl"]
    view.ask_in_pieces("query.send", request=request)
    view.result("query.prefill")
    view.result("query.history")
    everything = json.dumps([comms.custom(), comms.state_updates(), panel.get_state()], default=str)
    assert workspace.token not in everything
    assert workspace.host not in json.dumps(snippets)


def test_a_can_view_user_is_told_can_query_is_needed(
    workspace: LocalWorkspace, client: ServingClient, split: str, comms: CommLog
) -> None:
    viewer = f"{unique('viewer')}@example.com"
    token = workspace.add_user(viewer)
    client.grant(split, "CAN_VIEW", user=viewer)
    with workspace.client(token) as theirs:
        view = PanelView(EndpointPanel(split, client=theirs), comms)
        prefill = view.result("query.prefill")
        assert prefill["can_query"] is False
        assert (prefill["permission_level"], prefill["needed_level"]) == ("CAN_VIEW", "CAN_QUERY")
        refused = view.result("query.send", request={"dataframe_records": [{"x": 1}]})
    assert refused["status"] == 403
    assert "CAN_QUERY" in refused["body"]["message"]
