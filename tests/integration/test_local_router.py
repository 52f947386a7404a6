"""The router keeps one slow model from stopping everyone's queries (issue 10, finding 11).

The "gated" model (`harness/gated.py`) holds requests inside a model server until the test opens
its gate, so these tests wait on events, never on the clock.
"""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from harness.api import Api, create_ready, entity, unique, wait_for
from harness.gated import SMALL, Caller, Gate, save_gated_model
from harness.workspaces import start_workspace
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def gated_model() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gated-model-") as directory:
        yield save_gated_model(Path(directory))


@pytest.fixture(scope="module")
def api_module(workspace: LocalWorkspace, gated_model: Path) -> Api:
    workspace.register_model("router-gated", gated_model)
    return Api(workspace.host, workspace.token)


@pytest.fixture(scope="module")
def gated(api_module: Api) -> Iterator[dict[str, Any]]:
    """An endpoint serving the gated model at workload size Small."""
    body = create_ready(api_module, unique("gated"), entity("router-gated", "1", name="gated"))
    assert body["state"]["ready"] == "READY", body
    yield body
    api_module.delete(f"/api/2.0/serving-endpoints/{body['name']}")


@pytest.fixture
def gate() -> Iterator[Gate]:
    opened = Gate()
    yield opened
    opened.close()


def inflight(api: Api, endpoint_id: str) -> int:
    listed = api.get("/__local/workers").json()["workers"]
    return sum(int(w["inflight"]) for w in listed if w["endpoint_id"] == endpoint_id)


def url(api: Api, name: str) -> str:
    return f"{api.host}/serving-endpoints/{name}/invocations"


def test_a_saturated_model_refuses_past_its_queue_and_other_endpoints_keep_answering(
    api_module: Api, gated: dict[str, Any], gate: Gate
) -> None:
    healthy = unique("healthy")
    create_ready(api_module, healthy, entity("ads1", "1"))
    token = str(api_module.token)
    inside = [Caller(url(api_module, gated["name"]), token, gate.body()) for _ in range(SMALL)]
    gate.wait_arrivals(SMALL)
    queued = [Caller(url(api_module, gated["name"]), token, gate.body()) for _ in range(SMALL)]
    wait_for(lambda: inflight(api_module, gated["id"]) == 2 * SMALL, what="a full queue")

    # Past the queue: refused at once, as many as come (finding 11 saw about 40 pile up).
    for _ in range(32):
        refused = api_module.post(
            f"/serving-endpoints/{gated['name']}/invocations", json=gate.body()
        )
        assert refused.status_code == 429, refused.text
        assert refused.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert int(refused.headers["Retry-After"]) >= 1
    for _ in range(20):
        answer = api_module.post(
            f"/serving-endpoints/{healthy}/invocations", json={"dataframe_records": [{"x": 1.0}]}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"predictions": [3.0]}

    gate.open()
    for caller in inside + queued:
        caller.join(timeout=120)
        assert caller.answer is not None and caller.answer.status_code == 200
        assert caller.answer.json() == {"predictions": ["through the gate"]}
        assert caller.answer.headers["served-model-name"] == "gated"
    wait_for(lambda: inflight(api_module, gated["id"]) == 0, what="every slot given back")
    api_module.delete(f"/api/2.0/serving-endpoints/{healthy}")


def raw_query(api: Api, name: str, body: dict[str, Any]) -> socket.socket:
    """Sends a whole query on a socket of its own and returns the socket, unread."""
    address = urlsplit(api.host)
    data = json.dumps(body).encode()
    connection = socket.create_connection((str(address.hostname), int(address.port or 80)))
    connection.sendall(
        f"POST /serving-endpoints/{name}/invocations HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\nAuthorization: Bearer {api.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    return connection


def test_a_caller_who_leaves_frees_the_slot_while_the_model_still_runs(
    api_module: Api, gated: dict[str, Any], gate: Gate
) -> None:
    leaving = raw_query(api_module, gated["name"], gate.body())
    gate.wait_arrivals(1)
    assert inflight(api_module, gated["id"]) == 1
    leaving.close()  # the model is still inside predict, waiting at the gate
    wait_for(lambda: inflight(api_module, gated["id"]) == 0, what="the left caller's slot")
    answer = api_module.post(
        f"/serving-endpoints/{gated['name']}/invocations", json={"dataframe_records": [{"x": 1}]}
    )
    assert answer.status_code == 200, answer.text


def test_a_caller_who_leaves_the_queue_gives_up_its_place(
    api_module: Api, gated: dict[str, Any], gate: Gate
) -> None:
    token = str(api_module.token)
    inside = [Caller(url(api_module, gated["name"]), token, gate.body()) for _ in range(SMALL)]
    gate.wait_arrivals(SMALL)
    leaving = raw_query(api_module, gated["name"], gate.body())
    wait_for(lambda: inflight(api_module, gated["id"]) == SMALL + 1, what="one queued query")
    leaving.close()
    wait_for(lambda: inflight(api_module, gated["id"]) == SMALL, what="the queue to empty")
    gate.open()
    for caller in inside:
        caller.join(timeout=120)
        assert caller.answer is not None and caller.answer.status_code == 200
    assert gate.arrived == SMALL  # the caller who left never reached the model
    wait_for(lambda: inflight(api_module, gated["id"]) == 0, what="every slot given back")


def test_a_stream_is_relayed_as_the_model_yields(
    api_module: Api, gated: dict[str, Any], gate: Gate
) -> None:
    response = requests.post(
        url(api_module, gated["name"]),
        json=gate.body(stream=True),
        headers={"Authorization": f"Bearer {api_module.token}"},
        stream=True,
        timeout=120,
    )
    assert response.status_code == 200
    assert response.headers["served-model-name"] == "gated"
    lines = (line for line in response.iter_lines(decode_unicode=True) if line)
    assert json.loads(next(lines).removeprefix("data: ")) == {"part": 1}
    gate.wait_arrivals(1)  # the first part came while the model waits at the gate
    gate.open()
    assert [json.loads(next(lines).removeprefix("data: ")), next(lines)] == [
        {"part": 2},
        "data: [DONE]",
    ]
    wait_for(lambda: inflight(api_module, gated["id"]) == 0, what="the stream's slot")


def test_a_query_past_the_request_timeout_is_answered_504_and_frees_its_slot(
    tmp_path: Path, demo_models: dict[str, Path], gated_model: Path, gate: Gate
) -> None:
    ws = start_workspace(tmp_path / "ws", demo_models, env={"SERVING_PANEL_REQUEST_TIMEOUT_S": "1"})
    try:
        ws.register_model("router-gated", gated_model)
        api = Api(ws.host, ws.token)
        body = create_ready(api, "timeout", entity("router-gated", "1", name="gated"))
        answer = api.post("/serving-endpoints/timeout/invocations", json=gate.body())
        assert answer.status_code == 504, answer.text
        assert answer.json()["error_code"] == "DEADLINE_EXCEEDED"
        assert "request timeout (1 s)" in answer.json()["message"]
        wait_for(lambda: inflight(api, body["id"]) == 0, what="the timed-out query's slot")
        fast = api.post(
            "/serving-endpoints/timeout/invocations", json={"dataframe_records": [{"x": 1}]}
        )
        assert fast.status_code == 200, fast.text
    finally:
        gate.open()
        ws.stop()
