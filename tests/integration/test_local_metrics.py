"""Metrics move with real queries through real model servers (issue 11, item 2).

The gated model (`harness/gated.py`) holds queries inside the model server, so the test sees the
provisioned concurrency while they are held and a query waiting at the router's gate (its queue
time) without a clock: it waits on arrivals and the workspace's in-flight count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.api import Api, create_ready, entity, unique, wait_for
from harness.gated import SMALL, Caller, Gate, save_gated_model
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace
from serving_panel.metrics import MetricSample, parse_prometheus_text


@pytest.fixture(scope="module")
def api_module(workspace: LocalWorkspace, tmp_path_factory: pytest.TempPathFactory) -> Api:
    model = save_gated_model(tmp_path_factory.mktemp("gated-model"))
    workspace.register_model("metrics-gated", model)
    return Api(workspace.host, workspace.token)


@pytest.fixture
def gated(api_module: Api) -> Iterator[dict[str, Any]]:
    """A fresh endpoint per test: its counts start at zero and cover only the test's queries
    (which take seconds, well within the minute they are counted for)."""
    body = create_ready(api_module, unique("metered"), entity("metrics-gated", "1", name="gated"))
    yield body
    api_module.delete(f"/api/2.0/serving-endpoints/{body['name']}")


@pytest.fixture
def gate() -> Iterator[Gate]:
    opened = Gate()
    yield opened
    opened.close()


def samples(api: Api, name: str) -> list[MetricSample]:
    answer = api.get(f"/api/2.0/serving-endpoints/{name}/metrics")
    assert answer.status_code == 200, answer.text
    return parse_prometheus_text(answer.text)


def value(found: list[MetricSample], name: str, **labels: str) -> float:
    [sample] = [
        s for s in found if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sample.value


def inflight(api: Api, endpoint_id: str) -> int:
    listed = api.get("/__local/workers").json()["workers"]
    return sum(int(w["inflight"]) for w in listed if w["endpoint_id"] == endpoint_id)


def test_queries_move_the_request_counts_latency_and_queue_time(
    api_module: Api, gated: dict[str, Any]
) -> None:
    name, path = gated["name"], f"/serving-endpoints/{gated['name']}/invocations"
    before = samples(api_module, name)
    for counted in ("request_count_total", "request_latency_ms_count", "model_queue_time_ms_count"):
        assert value(before, counted) == 0, counted

    for _ in range(3):
        api_module.post(path, json={"dataframe_records": [{"x": 1}]}).raise_for_status()
    bad = api_module.post(path, json={"inputs": "not a frame the model reads"})
    assert 400 <= bad.status_code < 500, bad.text

    after = samples(api_module, name)
    assert value(after, "request_count_total") == 4
    assert value(after, "request_4xx_count_total") == 1
    assert value(after, "request_5xx_count_total") == 0
    assert value(after, "request_latency_ms_count") == 4
    assert value(after, "request_latency_ms_bucket", le="+Inf") == 4
    assert value(after, "request_latency_ms_sum") > 0
    assert value(after, "model_queue_time_ms_count") == 4  # each was admitted at the gate
    assert value(after, "mem_usage_percentage") > 0  # a Python process with MLflow loaded
    for sample in after:
        assert sample.labels.get("served_entity_name") == "gated"
        assert sample.labels.get("served_model_name") == "gated"
    assert "endpoint_id" not in {label for s in after for label in s.labels}


def test_capacity_shows_while_queries_are_held_and_a_queued_one_records_its_wait(
    api_module: Api, gated: dict[str, Any], gate: Gate
) -> None:
    name, token = gated["name"], str(api_module.token)
    url = f"{api_module.host}/serving-endpoints/{name}/invocations"
    queued_before = 0  # a fresh endpoint
    inside = [Caller(url, token, gate.body()) for _ in range(SMALL)]
    gate.wait_arrivals(SMALL)
    waiting = Caller(url, token, gate.body())
    wait_for(lambda: inflight(api_module, gated["id"]) == SMALL + 1, what="one queued query")

    held = samples(api_module, name)
    assert value(held, "provisioned_concurrent_requests_total") == SMALL
    # Queue time is recorded when a query ends: the four inside and the one waiting have not.
    assert value(held, "model_queue_time_ms_count") == queued_before

    gate.open()
    for caller in [*inside, waiting]:
        caller.join(timeout=120)
        assert caller.answer is not None and caller.answer.status_code == 200
    done = samples(api_module, name)
    assert value(done, "model_queue_time_ms_count") == queued_before + SMALL + 1
    # The fifth waited at the gate until a slot was handed over: more than nothing.
    assert value(done, "model_queue_time_ms_sum") > value(held, "model_queue_time_ms_sum")


def test_cpu_use_shows_once_the_model_server_works(
    api_module: Api, gated: dict[str, Any], workspace: LocalWorkspace
) -> None:
    path = f"/serving-endpoints/{gated['name']}/invocations"

    def busy() -> bool:
        api_module.post(path, json={"dataframe_records": [{"x": 1}] * 200}).raise_for_status()
        return value(samples(api_module, gated["name"]), "cpu_usage_percentage") > 0

    wait_for(busy, what="the model server's CPU use over the last minute")


def test_the_client_reads_the_export(
    api_module: Api, gated: dict[str, Any], workspace: LocalWorkspace
) -> None:
    api_module.post(
        f"/serving-endpoints/{gated['name']}/invocations", json={"dataframe_records": [{"x": 1}]}
    ).raise_for_status()
    client = ServingClient(host=workspace.host, token=workspace.token)
    [summary] = client.metrics_summary(gated["name"])
    assert summary.served_entity == "gated"
    assert summary.window == "last_minute"
    assert summary.provisioned_concurrency == SMALL
    assert summary.requests == 1
    assert summary.request_rate == 1 / 60
    assert summary.latency_ms is not None and summary.latency_ms.count == 1
    assert summary.queue_time_ms is not None and summary.queue_time_ms.count == 1
    frame = client.metrics_summary_df(gated["name"])
    assert list(frame["served_entity"]) == ["gated"]
    assert str(frame["request_rate"].dtype) == "Float64"
    assert frame["provisioned_concurrency"].iloc[0] == SMALL
