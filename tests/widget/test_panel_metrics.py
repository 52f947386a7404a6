"""The Metrics tab's request (`metrics.sample`) against a live local workspace, sent as the
front end sends it and answered through the recording comm: queries move the samples, the
interval spaces the reads, nothing samples without a view, and the history comes back tidy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from harness.api import entity, unique, wait_for
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.panel.metrics import HISTORY_S, METRICS


@pytest.fixture
def endpoint(client: ServingClient) -> Iterator[str]:
    """One ads1 v1 entity, ready, queried by nobody else (its last minute is this test's)."""
    name = unique("panel-metrics")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    yield name
    with contextlib.suppress(ResourceDoesNotExist):
        client.delete(name)


def query(client: ServingClient, name: str, times: int) -> None:
    for x in range(times):
        client.query(name, dataframe_records=[{"x": float(x)}])


def is_utc_time(column: pd.Series[Any]) -> bool:
    return isinstance(column.dtype, pd.DatetimeTZDtype) and str(column.dtype.tz) == "UTC"


def next_read(view: PanelView, after: int) -> dict[str, Any]:
    """Asks as the view's timer does until the answer holds a read newer than `after`."""
    reply: dict[str, Any] = wait_for(
        lambda: (r := view.result("metrics.sample", after=after))["last"] > after and r,
        timeout_s=30,
        what=f"a read after #{after}",
    )
    return reply


def test_samples_move_when_queries_run(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, metrics_interval_s=1), comms)
    first = view.result("metrics.sample", after=None)
    assert (first["last"], first["reset"], first["error"]) == (1, True, None)
    assert first["window"] == "last_minute"
    assert first["started_at"] == first["times"][0]
    [name] = first["entities"]
    assert name == "ads1-1"
    assert set(first["entities"][name]) == set(METRICS)
    assert first["entities"][name]["request_rate"] == [0.0]  # nobody queried it yet
    assert first["entities"][name]["latency_p50_ms"] == [None]  # no request, no latency
    assert first["entities"][name]["provisioned_concurrency"] == [4.0]  # Small: 4 at once

    query(client, endpoint, 6)
    later = next_read(view, first["last"])

    assert later["reset"] is False
    assert later["started_at"] == first["started_at"]
    assert later["times"][0] > first["times"][0]
    values = later["entities"][name]
    # The service's rate: the last minute's requests / 60, so six queries read 0.1 req/s.
    assert values["request_rate"][-1] == pytest.approx(6 / 60)
    assert values["rate_4xx"][-1] == 0.0
    assert values["rate_5xx"][-1] == 0.0
    p50, p95, p99 = (values[f"latency_p{q}_ms"][-1] for q in (50, 95, 99))
    assert 0 < p50 <= p95 <= p99
    assert values["queue_p50_ms"][-1] is not None
    assert values["cpu_percent"][-1] is not None
    assert 0 < values["mem_percent"][-1] <= 100


def test_a_request_within_the_interval_reuses_the_last_read(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    panel = EndpointPanel(endpoint, client=client, metrics_interval_s=3600)
    view = PanelView(panel, comms)
    first = view.result("metrics.sample", after=None)
    again = view.result("metrics.sample", after=first["last"])
    assert (again["last"], again["times"], again["entities"], again["reset"]) == (1, [], {}, False)
    assert again["interval_s"] == 3600

    # A second view asking for everything gets the same one read, not a new one.
    other = PanelView(panel, comms).result("metrics.sample", after=None)
    assert (other["last"], other["times"]) == (1, first["times"])

    panel.metrics_interval_s = 1
    later = next_read(view, first["last"])
    assert later["interval_s"] == 1
    assert later["last"] == 2


def test_nothing_is_sampled_while_no_view_asks(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    panel = EndpointPanel(endpoint, client=client, metrics_interval_s=1)
    query(client, endpoint, 3)
    # The workspace has seen the queries, so a sampler running by itself would have had time
    # to read at least once; the panel has read nothing.
    wait_for(
        lambda: (client.metrics_summary(endpoint)[0].requests or 0) >= 3,
        what="the workspace's metrics to count the queries",
    )
    assert panel.metrics_history_df().empty

    view = PanelView(panel, comms)
    first = view.result("metrics.sample", after=None)
    assert first["entities"]["ads1-1"]["request_rate"] == [pytest.approx(3 / 60)]
    # The view goes away: the next read waits for the next request, however long.
    query(client, endpoint, 2)
    wait_for(
        lambda: (client.metrics_summary(endpoint)[0].requests or 0) >= 5,
        what="the workspace's metrics to count the later queries",
    )
    assert len(panel.metrics_history_df()["time"].unique()) == 1


def test_the_history_is_tidy_and_bounded(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    panel = EndpointPanel(endpoint, client=client, metrics_interval_s=1)
    empty = panel.metrics_history_df()
    assert list(empty.columns) == ["time", "entity", "metric", "value"]
    assert is_utc_time(empty["time"])

    view = PanelView(panel, comms)
    first = view.result("metrics.sample", after=None)
    query(client, endpoint, 2)
    later = next_read(view, first["last"])

    frame = panel.metrics_history_df()
    assert list(frame.columns) == ["time", "entity", "metric", "value"]
    assert is_utc_time(frame["time"])
    assert frame["value"].dtype == "float64"
    assert set(frame["entity"]) == {"ads1-1"}
    assert set(frame["metric"]) <= set(METRICS)
    times = sorted(frame["time"].unique())
    assert [int(pd.Timestamp(t).value // 1_000_000) for t in times] == [
        *first["times"],
        *later["times"],
    ]
    # One row per (time, entity, metric) that has a value: no duplicates, no missing values.
    assert not frame.duplicated(["time", "entity", "metric"]).any()
    assert frame["value"].notna().all()
    rate = frame[frame["metric"] == "request_rate"].sort_values("time")["value"].tolist()
    assert rate[-1] == pytest.approx(2 / 60)
    assert later["history_s"] == HISTORY_S


def test_after_names_the_reads_a_view_has(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, metrics_interval_s=1), comms)
    first = view.result("metrics.sample", after=None)
    second = next_read(view, first["last"])
    assert second["times"] != first["times"] and len(second["times"]) == 1
    everything = view.result("metrics.sample", after=None)
    assert everything["reset"] is True
    assert everything["times"][:2] == [*first["times"], *second["times"]]
    # A number the panel never gave (a view of an earlier kernel) starts the view again.
    stale = view.result("metrics.sample", after=10_000)
    assert stale["reset"] is True and stale["times"] == everything["times"][: len(stale["times"])]
    error = view.error("metrics.sample", after="1")
    assert (error["status"], error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "after" in error["message"]


def test_a_failed_read_comes_back_as_data_with_the_history(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, metrics_interval_s=1), comms)
    first = view.result("metrics.sample", after=None)
    client.delete(endpoint)
    failed = wait_for(
        lambda: (r := view.result("metrics.sample", after=None))["error"] is not None and r,
        timeout_s=30,
        what="a read after the endpoint is gone",
    )
    assert failed["error"]["status"] == 404
    assert failed["error"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert failed["times"][0] == first["times"][0]  # what was sampled stays


def test_the_interval_is_checked(client: ServingClient, endpoint: str, comms: CommLog) -> None:
    with pytest.raises(ValueError, match="metrics_interval_s"):
        EndpointPanel(endpoint, client=client, metrics_interval_s=0)
    panel = EndpointPanel(endpoint, client=client)
    assert panel.metrics_interval_s == 10
    with pytest.raises(ValueError, match="metrics_interval_s"):
        panel.metrics_interval_s = 7200
    assert panel.metrics_interval_s == 10
