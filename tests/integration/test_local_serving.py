"""The local workspace serves real predictions from real model server processes."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from databricks.sdk import WorkspaceClient

from harness.api import Api, create_ready, entity, settle, unique, wait_for
from harness.workspaces import start_workspace
from serving_panel.local.handle import LocalWorkspace


def workers(api: Api, endpoint_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.get("/__local/workers").json()["workers"]
    return [w for w in listed if w["endpoint_id"] == endpoint_id]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def split(api_module: Api) -> Iterator[str]:
    """ads1 v1 and v2 at 80/20, ready."""
    name = unique("serve")
    api_module.post(
        "/api/2.0/serving-endpoints",
        json={
            "name": name,
            "config": {
                "served_entities": [entity("ads1", "1"), entity("ads1", "2")],
                "traffic_config": {
                    "routes": [
                        {"served_entity_name": "ads1-1", "traffic_percentage": 80},
                        {"served_entity_name": "ads1-2", "traffic_percentage": 20},
                    ]
                },
            },
        },
    ).raise_for_status()
    body = settle(api_module, name)
    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}, body
    yield name
    api_module.delete(f"/api/2.0/serving-endpoints/{name}")


@pytest.fixture(scope="module")
def api_module(workspace: LocalWorkspace) -> Api:
    return Api(workspace.host, workspace.token)


def test_sdk_query_gets_real_predictions(workspace: LocalWorkspace, split: str) -> None:
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    answer = sdk.serving_endpoints.query(split, dataframe_records=[{"x": 1.0}, {"x": 2.5}])
    assert answer.predictions == [3.0, 6.0]
    assert answer.served_model_name in {"ads1-1", "ads1-2"}


def test_every_input_format(api_module: Api, split: str) -> None:
    path = f"/serving-endpoints/{split}/invocations"
    bodies = [
        {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}},
        {"dataframe_records": [{"x": 1.0}, {"x": 2.0}]},
        {"instances": [{"x": 1.0}, {"x": 2.0}]},
        {"inputs": {"x": [1.0, 2.0]}},
    ]
    for body in bodies:
        answer = api_module.post(path, json=body)
        assert answer.status_code == 200, (body, answer.text)
        assert answer.json() == {"predictions": [3.0, 5.0]}, body
        assert answer.headers["served-model-name"] in {"ads1-1", "ads1-2"}


def test_mlflow_predict_and_predict_stream(
    workspace: LocalWorkspace, api_module: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.deployments import get_deploy_client

    monkeypatch.setenv("DATABRICKS_HOST", workspace.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", workspace.token)
    name = unique("stream")
    assert create_ready(api_module, name, entity("streamer", "1"))["state"]["ready"] == "READY"
    client = get_deploy_client("databricks")  # type: ignore[no-untyped-call]
    prompt = {"dataframe_records": [{"prompt": "one two three"}]}
    whole = client.predict(endpoint=name, inputs=prompt)
    assert whole["predictions"] == ["three two one"]
    chunks = list(client.predict_stream(endpoint=name, inputs=prompt))
    assert len(chunks) == 3
    raw = api_module.post(
        f"/serving-endpoints/{name}/invocations", json={**prompt, "stream": True}, stream=True
    )
    lines = [line for line in raw.iter_lines(decode_unicode=True) if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)
    api_module.delete(f"/api/2.0/serving-endpoints/{name}")


def test_traffic_splits_80_20(api_module: Api, split: str) -> None:
    # 1000 draws of a fair 80% coin: sd = sqrt(1000 * 0.8 * 0.2) = 12.6, so +-50 is ~4 sd
    # (a false failure about once in 16,000 runs).
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_module.token}"
    url = f"{api_module.host}/serving-endpoints/{split}/invocations"
    counts: Counter[str] = Counter()
    for _ in range(1000):
        answer = session.post(url, json={"dataframe_records": [{"x": 1.0}]}, timeout=30)
        assert answer.status_code == 200
        counts[answer.headers["served-model-name"]] += 1
    assert 750 <= counts["ads1-1"] <= 850, counts
    assert counts["ads1-1"] + counts["ads1-2"] == 1000


def test_one_entity_can_be_targeted(api_module: Api, split: str) -> None:
    for served in ("ads1-1", "ads1-2"):
        answer = api_module.post(
            f"/serving-endpoints/{split}/served-models/{served}/invocations",
            json={"dataframe_records": [{"x": 0.0}]},
        )
        assert answer.status_code == 200
        assert answer.headers["served-model-name"] == served
    missing = api_module.post(
        f"/serving-endpoints/{split}/served-models/nope/invocations",
        json={"dataframe_records": [{"x": 0.0}]},
    )
    assert missing.status_code == 404


def test_a_query_body_sent_in_chunks_is_read_whole_and_limited(api_module: Api, split: str) -> None:
    """A body without Content-Length arrives in pieces: the query sees all of it, and one past
    16 MB is refused by its size as read (no length was declared to check first)."""
    path = f"/serving-endpoints/{split}/served-models/ads1-1/invocations"
    pieces = [b'{"dataframe_records": [', b'{"x": 1.0}, ', b'{"x": 2.0}', b"]}"]
    answer = api_module.post(path, data=iter(pieces), headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["predictions"]) == 2

    megabyte = b" " * (1024 * 1024)
    too_big = api_module.post(path, data=(megabyte for _ in range(17)))
    assert too_big.status_code == 400
    assert too_big.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "16 MB" in too_big.json()["message"]


def test_bad_input_gets_the_models_own_error(api_module: Api) -> None:
    name = unique("classify")
    create_ready(api_module, name, entity("main.default.sentiment", "1"))
    path = f"/serving-endpoints/{name}/invocations"
    good = api_module.post(path, json={"dataframe_records": [{"text": "I love it"}]})
    assert good.json() == {"predictions": ["positive"]}
    bad = api_module.post(path, json={"dataframe_records": [{"wrong": "column"}]})
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "BAD_REQUEST"
    assert "text" in bad.json()["message"]
    not_json = api_module.post(path, data=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert api_module.post(path, data=b"x" * (16 * 1024 * 1024 + 1)).status_code == 400
    api_module.delete(f"/api/2.0/serving-endpoints/{name}")


def test_querying_needs_can_query(workspace: LocalWorkspace, api_module: Api, split: str) -> None:
    endpoint_id = api_module.get(f"/api/2.0/serving-endpoints/{split}").json()["id"]
    viewer_email = f"{unique('viewer')}@example.com"
    querier_email = f"{unique('querier')}@example.com"
    viewer = api_module.as_user(workspace.add_user(viewer_email))
    querier = api_module.as_user(workspace.add_user(querier_email))
    api_module.patch(
        f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
        json={
            "access_control_list": [
                {"user_name": viewer_email, "permission_level": "CAN_VIEW"},
                {"user_name": querier_email, "permission_level": "CAN_QUERY"},
            ]
        },
    ).raise_for_status()
    path = f"/serving-endpoints/{split}/invocations"
    refused = viewer.post(path, json={"dataframe_records": [{"x": 1.0}]})
    assert refused.status_code == 403
    assert "CAN_QUERY" in refused.json()["message"]
    assert querier.post(path, json={"dataframe_records": [{"x": 1.0}]}).status_code == 200


def test_metrics_count_requests_per_entity(api_module: Api) -> None:
    name = unique("metered")
    create_ready(api_module, name, entity("ads1", "1"))
    path = f"/serving-endpoints/{name}/invocations"
    for _ in range(5):
        api_module.post(path, json={"dataframe_records": [{"x": 1.0}]}).raise_for_status()
    api_module.post(path, json={"dataframe_records": [{"nope": "x"}]})
    text = api_module.get(f"/api/2.0/serving-endpoints/{name}/metrics").text
    labels = 'served_entity_name="ads1-1",served_model_name="ads1-1"'
    assert "# TYPE request_count_total gauge" in text  # the last minute's, as the service
    assert f"request_count_total{{{labels}}} 6.0" in text
    assert f"request_4xx_count_total{{{labels}}} 1.0" in text
    assert f"request_latency_ms_count{{{labels}}} 6.0" in text
    assert f"model_queue_time_ms_count{{{labels}}} 6.0" in text
    assert "endpoint_id" not in text
    api_module.delete(f"/api/2.0/serving-endpoints/{name}")


def test_a_killed_worker_recovers_and_the_crash_is_logged(api_module: Api) -> None:
    name = unique("crash")
    created = api_module.post(
        "/api/2.0/serving-endpoints",
        json={
            "name": name,
            "config": {"served_entities": [entity("ads1", "1")]},
        },
    ).json()
    settle(api_module, name)
    [worker] = workers(api_module, created["id"])
    os.kill(worker["pid"], 9)

    def entity_state() -> str:
        body = api_module.get(f"/api/2.0/serving-endpoints/{name}").json()
        return str(body["config"]["served_entities"][0]["state"]["deployment"])

    wait_for(lambda: entity_state() == "DEPLOYMENT_RECOVERING", what="RECOVERING")
    wait_for(lambda: entity_state() == "DEPLOYMENT_READY", what="READY again")
    [again] = workers(api_module, created["id"])
    assert again["pid"] != worker["pid"]
    assert again["restarts"] == 1
    logs = api_module.get(f"/api/2.0/serving-endpoints/{name}/served-models/ads1-1/logs").json()
    assert "model server exited unexpectedly (signal 9)" in logs["logs"]
    answer = api_module.post(
        f"/serving-endpoints/{name}/invocations", json={"dataframe_records": [{"x": 1.0}]}
    )
    assert answer.status_code == 200
    api_module.delete(f"/api/2.0/serving-endpoints/{name}")


def test_server_logs_hold_access_lines_and_what_the_model_prints(
    api_module: Api, split: str
) -> None:
    api_module.post(
        f"/serving-endpoints/{split}/served-models/ads1-2/invocations",
        json={"dataframe_records": [{"x": 1.0}]},
    ).raise_for_status()
    logs = api_module.get(f"/api/2.0/serving-endpoints/{split}/served-models/ads1-2/logs").json()
    assert '"POST /invocations" 200' in logs["logs"]
    assert "model loaded in" in logs["logs"]


def test_no_request_fails_during_a_config_update(api_module: Api) -> None:
    """Bounded load (4 clients, until the update is live) across a v1 -> v2 switch."""
    name = unique("rolling")
    create_ready(api_module, name, entity("ads1", "1", name="live"))
    url = f"{api_module.host}/serving-endpoints/{name}/invocations"
    stop = threading.Event()
    failures: list[str] = []
    served: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {api_module.token}"
        for _ in range(20_000):  # bounded even if stop never comes
            if stop.is_set():
                return
            answer = session.post(url, json={"dataframe_records": [{"x": 1.0}]}, timeout=60)
            with lock:
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                served[answer.headers.get("served-model-name", "?")] += 1

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        api_module.put(
            f"/api/2.0/serving-endpoints/{name}/config",
            json={
                "served_entities": [entity("ads1", "2", name="live-v2")],
            },
        ).raise_for_status()
        body = settle(api_module, name)
        assert body["config"]["config_version"] == 2
        wait_for(lambda: served["live-v2"] > 20, what="traffic on the new version")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    assert served["live"] > 0
    endpoint_id = body["id"]
    wait_for(
        lambda: [w["served_entity_name"] for w in workers(api_module, endpoint_id)] == ["live-v2"],
        what="the old version's worker to drain and stop",
    )
    api_module.delete(f"/api/2.0/serving-endpoints/{name}")


def test_scale_to_zero_stops_idle_workers_and_wakes_them(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    ws = start_workspace(
        tmp_path / "ws", demo_models, env={"SERVING_PANEL_SCALE_TO_ZERO_IDLE_S": "1"}
    )
    try:
        api = Api(ws.host, ws.token)
        created = api.post(
            "/api/2.0/serving-endpoints",
            json={
                "name": "sleepy",
                "config": {"served_entities": [entity("ads1", "1", scale_to_zero_enabled=True)]},
            },
        ).json()
        settle(api, "sleepy")

        def message() -> str:
            body = api.get("/api/2.0/serving-endpoints/sleepy").json()
            assert body["state"]["ready"] == "READY"  # scaled to zero is still ready
            return str(body["config"]["served_entities"][0]["state"]["deployment_state_message"])

        wait_for(lambda: "Scaled to zero" in message(), what="scale to zero")
        assert workers(api, created["id"])[0]["state"] == "IDLE"
        answer = api.post(
            "/serving-endpoints/sleepy/invocations", json={"dataframe_records": [{"x": 2.0}]}
        )
        assert answer.status_code == 200
        assert answer.json() == {"predictions": [5.0]}
        assert workers(api, created["id"])[0]["state"] == "RUNNING"
        logs = api.get("/api/2.0/serving-endpoints/sleepy/served-models/ads1-1/logs").json()["logs"]
        assert "scaling to zero" in logs and "request arrived while scaled to zero" in logs
    finally:
        ws.stop()


def test_restart_brings_workers_back_and_stop_leaves_no_orphans(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    data_dir = tmp_path / "ws"
    first = start_workspace(data_dir, demo_models)
    api = Api(first.host, first.token)
    created = api.post(
        "/api/2.0/serving-endpoints",
        json={
            "name": "durable",
            "config": {"served_entities": [entity("ads1", "1")]},
        },
    ).json()
    settle(api, "durable")
    [worker] = workers(api, created["id"])
    first.stop()
    assert not alive(worker["pid"])

    second = LocalWorkspace.start(data_dir=data_dir)
    try:
        api = Api(second.host, second.token)
        answer = api.post(
            "/serving-endpoints/durable/invocations", json={"dataframe_records": [{"x": 1.0}]}
        )
        assert answer.status_code == 200
        [back] = workers(api, created["id"])
        assert back["state"] == "RUNNING"
        pid = back["pid"]
        second.kill()  # SIGKILL: the worker must notice its parent is gone and exit
        wait_for(lambda: not alive(pid), timeout_s=30, what="orphaned worker to exit")
    finally:
        second.stop()


def test_deleting_an_endpoint_stops_its_workers(api_module: Api) -> None:
    name = unique("short-lived")
    created = api_module.post(
        "/api/2.0/serving-endpoints",
        json={
            "name": name,
            "config": {"served_entities": [entity("ads1", "1")]},
        },
    ).json()
    settle(api_module, name)
    [worker] = workers(api_module, created["id"])
    api_module.delete(f"/api/2.0/serving-endpoints/{name}").raise_for_status()
    wait_for(lambda: not alive(worker["pid"]), timeout_s=30, what="worker to stop")
    wait_for(lambda: workers(api_module, created["id"]) == [], what="worker to be forgotten")
