"""The Metrics tab's history without a workspace: lifetime counters read by difference, and
the bounds (HISTORY_S, MAX_READS), over a stand-in client and clocks the test moves."""

from __future__ import annotations

import math
from typing import Any

import pytest

from serving_panel.metrics import EntityMetrics, Histogram
from serving_panel.panel.metrics import HISTORY_S, MAX_READS, PanelMetrics


def figures(requests: float, latency: Histogram | None = None, window: str = "lifetime") -> Any:
    return EntityMetrics(
        served_entity="a",
        window=window,
        cpu_usage_percentage=None,
        mem_usage_percentage=None,
        provisioned_concurrency=None,
        requests=requests,
        requests_4xx=0.0,
        requests_5xx=0.0,
        latency_ms=latency,
        queue_time_ms=None,
    )


class Host:
    endpoint_name = "e"

    def __init__(self) -> None:
        self.answers: list[list[EntityMetrics]] = []
        self.client = self
        self.snapshot: dict[str, Any] = {}

    def metrics_summary(self, name: str) -> list[EntityMetrics]:
        return self.answers.pop(0) if self.answers else [figures(0, window="last_minute")]

    def register_request(self, kind: str, handler: Any) -> None:
        pass


def history(host: Host, now: list[float]) -> PanelMetrics:
    return PanelMetrics(host, 10, clock=lambda: now[0], monotonic=lambda: now[0])  # type: ignore[arg-type]


def test_lifetime_counters_are_read_by_difference_with_the_previous_read() -> None:
    host, now = Host(), [1000.0]
    before = Histogram(((10.0, 10.0), (100.0, 10.0), (math.inf, 10.0)), 50.0, 10.0)
    after = Histogram(((10.0, 10.0), (100.0, 20.0), (math.inf, 20.0)), 600.0, 20.0)
    host.answers = [[figures(100, before)], [figures(130, after)], [figures(5, after)]]
    metrics = history(host, now)
    metrics.sample()
    now[0] += 10
    metrics.sample()
    now[0] += 10
    metrics.sample()  # the counter went down: a restart, no rate
    reply = metrics.handle_sample({"after": None})
    values = reply["entities"]["a"]
    assert values["request_rate"] == [None, pytest.approx(3.0), None]
    # The ten requests between the reads all took 10..100 ms: p50 is halfway through.
    assert values["latency_p50_ms"][1] == pytest.approx(55.0)
    assert reply["window"] == "lifetime"


def test_the_history_keeps_six_hours() -> None:
    host, now = Host(), [0.0]
    metrics = history(host, now)
    for _ in range(3):
        metrics.sample()
        now[0] += HISTORY_S / 2 + 1
    frame = metrics.history_df()
    assert frame["time"].nunique() == 2  # the first read was over six hours before the last
    assert metrics.handle_sample({"after": 1})["reset"] is True  # read 1 is gone


def test_the_history_keeps_at_most_max_reads() -> None:
    host, now = Host(), [0.0]
    metrics = history(host, now)
    for _ in range(MAX_READS + 5):
        metrics.sample()
        now[0] += 1
    reply = metrics.handle_sample({"after": None})
    assert len(reply["times"]) == MAX_READS
    assert (reply["last"], reply["reset"]) == (MAX_READS + 5, True)  # the oldest five went
