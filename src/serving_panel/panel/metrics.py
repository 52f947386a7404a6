"""The Metrics tab's data source: the endpoint's metrics sampled while a view watches, kept in
the kernel for the session, served to the view as data in replies (never in the synced
snapshot, which a notebook may save).

**Who drives the sampling.** The view does: while a view that has shown the Metrics tab is open,
it sends ``metrics.sample`` every ``interval_s`` (it learns the interval from each reply and
sends the next request only after the last reply came back). Each request reads
``GET .../metrics`` once through the panel's client, unless the last read is younger than
`FRESH_SHARE` of the interval (a second view, or a request that came early): then the reply
only carries what the view has not seen. So sampling pauses by itself when no view is open,
two views cost one read per interval, and the kernel runs no thread and no timer. The price: a
kernel busy with a long cell answers no request, so no sample is taken until it is free (the
charts show the gap; JupyterLab 4.6 with ipykernel 7 handles widget messages on a subshell,
so there sampling goes on). A Python thread would sample through busy cells everywhere, but it
needs a lease the view renews and its own shutdown, for a chart that nobody is looking at
while the cell runs. The history has a lock all the same: on a subshell the handler and a cell
calling `metrics_history_df()` run at once.

**What a sample holds.** The service reports every figure over **the last minute** (gauges and
histograms alike; shared/reference/wire-fidelity-2026.md §3, docs/local-workspace.md "How close
to the service"), so each read stands alone: request rates are the minute's requests / 60 (as
the service's docs define it), latency and queue quantiles are estimated from the minute's
buckets (`Histogram.quantile`), and no two reads are subtracted. Reads taken less than a minute
apart overlap: a burst of queries shows in every sample for the minute after it. Workspaces
that still send lifetime counters (`EntityMetrics.window == "lifetime"`) are read by difference
with the previous read instead (a counter that went down, a restart, gives no value).

Per served entity, in `METRICS` order (None where the export has no figure, or no request in
the minute gave a latency):

- ``request_rate``, ``rate_4xx``, ``rate_5xx``: requests per second over the minute.
- ``latency_p50_ms``, ``latency_p95_ms``, ``latency_p99_ms``: from ``request_latency_ms``.
- ``queue_p50_ms``: from ``model_queue_time_ms``, the wait for a model-server slot.
- ``cpu_percent``, ``mem_percent``: ``cpu_usage_percentage``, ``mem_usage_percentage``.
- ``provisioned_concurrency``: ``provisioned_concurrent_requests_total``, the requests the
  entity can take at once (capacity, not load: the service exports no in-flight count).

**Bounds.** The history keeps the reads of the last `HISTORY_S` (6 hours), at most `MAX_READS`
(4,320: 12 hours at the default 10 s, so at 1 s it holds 72 minutes); the oldest go first.

Requests (the envelope is `protocol`'s):

``metrics.sample``  ``{after: int|null}`` → ``{interval_s, history_s, started_at, last, reset,
times, entities, window, error}``
    Reads the metrics (see above), then answers the reads after the one numbered ``after``
    (all kept reads for null, or for a number older than the oldest kept: ``reset`` true, and
    the view replaces what it had). ``times`` are the reads' epoch milliseconds, oldest first;
    ``entities`` maps each served entity in them to ``{metric: [value|null, ...]}`` aligned
    with ``times`` (null where the entity was not in a read). ``last`` is the newest read's
    number (0 before any); ``started_at`` the first read's time this session (null before
    any); ``window`` the newest read's ("last_minute" or "lifetime"). ``error`` is null, or
    the ErrorView of the last read when it failed (a 403 without CAN_VIEW, a deleted
    endpoint, a network error): the history still comes back, and the next read, one interval
    later, clears it.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serving_panel.errors import ServingError
from serving_panel.metrics import EntityMetrics, Histogram
from serving_panel.panel.protocol import ErrorView, error_view, invalid

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.panel.protocol import PanelHost

__all__ = [
    "DEFAULT_INTERVAL_S",
    "FRESH_SHARE",
    "HISTORY_S",
    "MAX_READS",
    "METRICS",
    "PanelMetrics",
    "install",
]

DEFAULT_INTERVAL_S = 10.0
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 3600.0
#: A read younger than this share of the interval is reused instead of reading again.
FRESH_SHARE = 0.8
#: How far back the history goes, and how many reads it keeps at most.
HISTORY_S = 6 * 3600
MAX_READS = 4320

METRICS = (
    "request_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "rate_4xx",
    "rate_5xx",
    "cpu_percent",
    "mem_percent",
    "provisioned_concurrency",
    "queue_p50_ms",
)

Values = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class _Read:
    number: int
    time_ms: int
    window: str
    values: dict[str, Values]
    """Served entity → metric → value."""
    raw: dict[str, EntityMetrics]
    """What the export said, kept for the next read of a lifetime-counter workspace."""


class PanelMetrics:
    """The `metrics.sample` handler of one panel, and the history of its reads."""

    def __init__(
        self,
        panel: PanelHost,
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._panel = panel
        self._clock = clock  # the reads' times
        self._monotonic = monotonic  # when the next read is due (wall clocks may jump)
        self._read_at: float | None = None
        self._interval_s = check_interval(interval_s)
        self._reads: deque[_Read] = deque(maxlen=MAX_READS)
        self._numbers = itertools.count(1)
        self._started_at: int | None = None
        self._error: ErrorView | None = None
        self._lock = threading.Lock()

    @property
    def interval_s(self) -> float:
        return self._interval_s

    @interval_s.setter
    def interval_s(self, value: float) -> None:
        self._interval_s = check_interval(value)

    # Sampling ------------------------------------------------------------------------------

    def sample(self) -> None:
        """Reads the metrics now and keeps the read; raises what the read raised."""
        self._read_at = self._monotonic()  # a failed read counts too: retried an interval on
        summary = self._panel.client.metrics_summary(self._panel.endpoint_name)
        with self._lock:
            self._keep(summary)

    def _keep(self, summary: list[EntityMetrics]) -> None:
        now_ms = round(self._clock() * 1000)
        previous = self._reads[-1] if self._reads else None
        if previous is not None:  # the times stay increasing if the wall clock steps back
            now_ms = max(now_ms, previous.time_ms + 1)
        values = {m.served_entity: _values(m, previous, now_ms) for m in summary}
        window = "lifetime" if any(m.window == "lifetime" for m in summary) else "last_minute"
        self._reads.append(
            _Read(
                next(self._numbers),
                now_ms,
                window,
                values,
                {m.served_entity: m for m in summary},
            )
        )
        if self._started_at is None:
            self._started_at = now_ms
        while self._reads and self._reads[0].time_ms < now_ms - HISTORY_S * 1000:
            self._reads.popleft()

    def _due(self) -> bool:
        if self._read_at is None:
            return True
        return self._monotonic() - self._read_at >= self._interval_s * FRESH_SHARE

    # The handler ---------------------------------------------------------------------------

    def handle_sample(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        after = payload.get("after")
        if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
            raise invalid("after", f"must be a read number or null, got {after!r}")
        if self._due():
            try:
                self.sample()
                self._error = None
            except ServingError as failure:
                self._error = error_view(failure)
        with self._lock:
            kept = list(self._reads)
        oldest = kept[0].number if kept else 1
        last = kept[-1].number if kept else 0
        reset = after is None or after < oldest - 1 or after > last
        reads = [r for r in kept if reset or r.number > after]  # type: ignore[operator]
        return {
            "interval_s": self._interval_s,
            "history_s": HISTORY_S,
            "started_at": self._started_at,
            "last": last,
            "reset": reset,
            **columns(reads),
            "window": kept[-1].window if kept else "last_minute",
            "error": self._error,
        }

    # From Python ---------------------------------------------------------------------------

    def history_df(self) -> pd.DataFrame:
        """Every kept value, tidy: one row per (time, entity, metric) with a value."""
        import pandas as pd

        with self._lock:
            kept = list(self._reads)
        rows = [
            (read.time_ms, entity, metric, value)
            for read in kept
            for entity, values in read.values.items()
            for metric, value in values.items()
            if value is not None
        ]
        frame: pd.DataFrame = pd.DataFrame(rows, columns=["time", "entity", "metric", "value"])
        frame["time"] = pd.to_datetime(frame["time"].astype("int64"), unit="ms", utc=True)
        frame["value"] = frame["value"].astype("float64")
        return frame


def install(panel: PanelHost, interval_s: float = DEFAULT_INTERVAL_S) -> PanelMetrics:
    """Registers the Metrics tab's request kind on `panel`."""
    metrics = PanelMetrics(panel, interval_s)
    panel.register_request("metrics.sample", metrics.handle_sample)
    return metrics


def check_interval(value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not MIN_INTERVAL_S <= value <= MAX_INTERVAL_S
    ):
        raise ValueError(
            f"metrics_interval_s: must be a number of seconds from {MIN_INTERVAL_S:g} to "
            f"{MAX_INTERVAL_S:g}, got {value!r}"
        )
    return float(value)


def columns(reads: list[_Read]) -> dict[str, Any]:
    """``{times, entities}``: the reads as columns, each entity's aligned with the times."""
    entities: dict[str, dict[str, list[float | None]]] = {}
    for index, read in enumerate(reads):
        for entity, values in read.values.items():
            own = entities.get(entity)
            if own is None:
                own = entities[entity] = {m: [None] * len(reads) for m in METRICS}
            for metric in METRICS:
                own[metric][index] = values.get(metric)
    return {"times": [read.time_ms for read in reads], "entities": entities}


def _values(now: EntityMetrics, previous: _Read | None, now_ms: int) -> Values:
    if now.window == "lifetime":
        return _lifetime_values(now, previous, now_ms)
    return _figures(
        now,
        requests=now.requests,
        requests_4xx=now.requests_4xx,
        requests_5xx=now.requests_5xx,
        seconds=60.0,
        latency=now.latency_ms,
        queue=now.queue_time_ms,
    )


def _lifetime_values(now: EntityMetrics, previous: _Read | None, now_ms: int) -> Values:
    """Counters since the server started: the difference with the previous read."""
    before = previous.raw.get(now.served_entity) if previous is not None else None
    if before is None or previous is None or now_ms <= previous.time_ms:
        return _figures(now, None, None, None, 1.0, None, None)
    return _figures(
        now,
        requests=_delta(now.requests, before.requests),
        requests_4xx=_delta(now.requests_4xx, before.requests_4xx),
        requests_5xx=_delta(now.requests_5xx, before.requests_5xx),
        seconds=(now_ms - previous.time_ms) / 1000,
        latency=_histogram_delta(now.latency_ms, before.latency_ms),
        queue=_histogram_delta(now.queue_time_ms, before.queue_time_ms),
    )


def _figures(
    m: EntityMetrics,
    requests: float | None,
    requests_4xx: float | None,
    requests_5xx: float | None,
    seconds: float,
    latency: Histogram | None,
    queue: Histogram | None,
) -> Values:
    def rate(count: float | None) -> float | None:
        return None if count is None else _finite(count / seconds)

    def quantile(histogram: Histogram | None, q: float) -> float | None:
        return None if histogram is None else _finite(histogram.quantile(q))

    return {
        "request_rate": rate(requests),
        "latency_p50_ms": quantile(latency, 0.5),
        "latency_p95_ms": quantile(latency, 0.95),
        "latency_p99_ms": quantile(latency, 0.99),
        "rate_4xx": rate(requests_4xx),
        "rate_5xx": rate(requests_5xx),
        "cpu_percent": _finite(m.cpu_usage_percentage),
        "mem_percent": _finite(m.mem_usage_percentage),
        "provisioned_concurrency": _finite(m.provisioned_concurrency),
        "queue_p50_ms": quantile(queue, 0.5),
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or now < before:
        return None
    return now - before


def _histogram_delta(now: Histogram | None, before: Histogram | None) -> Histogram | None:
    if now is None or before is None or now.count < before.count:
        return None
    earlier = dict(before.buckets)
    buckets = tuple((bound, count - earlier.get(bound, 0.0)) for bound, count in now.buckets)
    if any(count < 0 for _, count in buckets):
        return None
    return Histogram(buckets, now.sum - before.sum, now.count - before.count)
