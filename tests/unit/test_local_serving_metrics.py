"""The local workspace's metrics: last-minute windows on an injected clock, and the export."""

from __future__ import annotations

from typing import Any

import pytest

from serving_panel.local.serving.metrics import BUCKETS_MS, WINDOW_S, Minute, ServingMetrics
from serving_panel.metrics import MetricSample, parse_prometheus_text


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


CONFIG: dict[str, Any] = {
    "served_entities": [
        {"name": "small", "workload_size": "Small"},
        {"name": "pinned", "max_provisioned_concurrency": 12},
        {"name": "gpt", "external_model": {"name": "gpt-4o", "provider": "openai"}},
    ]
}


def export(metrics: ServingMetrics, endpoint_id: str = "e1") -> list[MetricSample]:
    return parse_prometheus_text(metrics.text(endpoint_id, CONFIG))


def value(samples: list[MetricSample], name: str, entity: str = "small", **labels: str) -> float:
    [found] = [
        s
        for s in samples
        if s.name == name
        and s.labels.get("served_entity_name") == entity
        and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return found.value


def test_a_minute_window_keeps_the_last_sixty_seconds() -> None:
    window = Minute(1)
    window.add(100.2, [(0, 1.0)])
    window.add(100.9, [(0, 2.0)])
    assert window.totals(100.9) == [3.0]
    window.add(130.0, [(0, 4.0)])
    assert window.totals(159.99) == [7.0]  # second 100 is still one of the last sixty
    assert window.totals(160.0) == [4.0]
    assert window.totals(190.0) == [0.0]
    window.add(250.0, [(0, 8.0)])
    assert window.totals(250.0) == [8.0]


def test_every_entity_that_runs_here_has_every_series_zeros_included() -> None:
    samples = export(ServingMetrics(clock=Clock()))
    families = {(s.family, s.type) for s in samples}
    assert families == {
        ("cpu_usage_percentage", "gauge"),
        ("mem_usage_percentage", "gauge"),
        ("provisioned_concurrent_requests_total", "gauge"),
        ("request_count_total", "gauge"),
        ("request_4xx_count_total", "gauge"),
        ("request_5xx_count_total", "gauge"),
        ("request_latency_ms", "histogram"),
        ("model_queue_time_ms", "histogram"),
    }
    assert {dict(s.labels).get("served_entity_name") for s in samples} == {"small", "pinned"}
    for sample in samples:
        labels = dict(sample.labels)
        labels.pop("le", None)
        assert labels == {
            "served_entity_name": labels["served_entity_name"],
            "served_model_name": labels["served_entity_name"],
        }
        assert sample.value == 0.0
    buckets = [s for s in samples if s.name == "request_latency_ms_bucket"]
    assert [s.labels["le"] for s in buckets[: len(BUCKETS_MS) + 1]] == [
        *(str(float(b)) for b in BUCKETS_MS),
        "+Inf",
    ]


def test_requests_count_for_the_last_minute_only() -> None:
    clock = Clock()
    metrics = ServingMetrics(clock=clock)
    for status in (200, 200, 404, 429, 499, 500, 503):
        metrics.record("e1", "small", status, latency_ms=3.0, queue_ms=0.0)
    metrics.record("e2", "small", 200, latency_ms=3.0)  # another endpoint
    samples = export(metrics)
    assert value(samples, "request_count_total") == 7
    assert value(samples, "request_4xx_count_total") == 3
    assert value(samples, "request_5xx_count_total") == 2
    assert value(samples, "request_count_total", "pinned") == 0

    clock.now += 30
    metrics.record("e1", "small", 200, latency_ms=3.0)
    assert value(export(metrics), "request_count_total") == 8
    clock.now += WINDOW_S - 30  # the first seven are a minute old
    samples = export(metrics)
    assert value(samples, "request_count_total") == 1
    assert value(samples, "request_4xx_count_total") == 0
    assert value(samples, "request_latency_ms_count") == 1
    clock.now += 30
    assert value(export(metrics), "request_count_total") == 0


def test_latency_and_queue_histograms_cover_the_minute() -> None:
    clock = Clock()
    metrics = ServingMetrics(clock=clock)
    metrics.record("e1", "small", 200, latency_ms=0.5, queue_ms=0.0)
    metrics.record("e1", "small", 200, latency_ms=7.0, queue_ms=4.0)
    metrics.record("e1", "small", 200, latency_ms=99999.0, queue_ms=60000.0)
    metrics.record("e1", "small", 429, latency_ms=1.0)  # refused: it never queued
    samples = export(metrics)
    assert value(samples, "request_latency_ms_bucket", le="1.0") == 2
    assert value(samples, "request_latency_ms_bucket", le="5.0") == 2
    assert value(samples, "request_latency_ms_bucket", le="10.0") == 3
    assert value(samples, "request_latency_ms_bucket", le="30000.0") == 3
    assert value(samples, "request_latency_ms_bucket", le="+Inf") == 4
    assert value(samples, "request_latency_ms_count") == 4
    assert value(samples, "request_latency_ms_sum") == pytest.approx(100007.5)
    assert value(samples, "model_queue_time_ms_bucket", le="1.0") == 1
    assert value(samples, "model_queue_time_ms_bucket", le="5.0") == 2
    assert value(samples, "model_queue_time_ms_bucket", le="+Inf") == 3
    assert value(samples, "model_queue_time_ms_count") == 3
    assert value(samples, "model_queue_time_ms_sum") == pytest.approx(60004.0)
    clock.now += WINDOW_S
    samples = export(metrics)
    assert value(samples, "request_latency_ms_count") == 0
    assert value(samples, "model_queue_time_ms_bucket", le="+Inf") == 0


def test_cpu_and_memory_are_the_minutes_means_and_capacity_shows_while_a_server_runs() -> None:
    clock = Clock()
    metrics = ServingMetrics(clock=clock)
    metrics.usage("e1", "small", None, 10.0)  # a first sample has no CPU share yet
    clock.now += 1
    metrics.usage("e1", "small", 30.0, 20.0)
    clock.now += 1
    metrics.usage("e1", "small", 50.0, 30.0)
    samples = export(metrics)
    assert value(samples, "cpu_usage_percentage") == pytest.approx(40.0)
    assert value(samples, "mem_usage_percentage") == pytest.approx(20.0)
    assert value(samples, "provisioned_concurrent_requests_total") == 4
    assert value(samples, "provisioned_concurrent_requests_total", "pinned") == 0  # never ran

    metrics.usage("e1", "pinned", 5.0, 1.0)
    assert value(export(metrics), "provisioned_concurrent_requests_total", "pinned") == 12

    clock.now += WINDOW_S  # no sample for a minute: scaled to zero, or stopped
    samples = export(metrics)
    assert value(samples, "cpu_usage_percentage") == 0
    assert value(samples, "mem_usage_percentage") == 0
    assert value(samples, "provisioned_concurrent_requests_total") == 0


def test_forget_drops_an_endpoints_series() -> None:
    metrics = ServingMetrics(clock=Clock())
    metrics.record("e1", "small", 200, latency_ms=1.0)
    metrics.usage("e1", "small", 1.0, 1.0)
    metrics.record("e2", "small", 200, latency_ms=1.0)
    metrics.forget("e1")
    assert value(export(metrics), "request_count_total") == 0
    assert value(export(metrics), "provisioned_concurrent_requests_total") == 0
    assert value(export(metrics, "e2"), "request_count_total") == 1


def test_forget_also_sweeps_windows_a_minute_quiet() -> None:
    clock = Clock()
    metrics = ServingMetrics(clock=clock)
    metrics.usage("gone", "small", 1.0, 1.0)  # a late sample of a deleted endpoint's server
    metrics.record("e2", "small", 200, latency_ms=1.0)
    clock.now += WINDOW_S
    metrics.record("e1", "small", 200, latency_ms=1.0)
    metrics.forget("e3")
    assert metrics.tracked() == {("e1", "small")}


def test_an_endpoint_without_a_config_exports_nothing() -> None:
    metrics = ServingMetrics(clock=Clock())
    metrics.record("e1", "small", 200, latency_ms=1.0)
    assert parse_prometheus_text(metrics.text("e1", None)) == []
