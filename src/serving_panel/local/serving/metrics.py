"""Per served-entity metrics over the last minute, exported as Prometheus text per endpoint.

What `GET /api/2.0/serving-endpoints/{name}/metrics` answers, with the service's names
(docs.databricks.com, "Track and export serving endpoint health metrics"; shared/reference/
wire-fidelity-2026.md §3). Every value covers **the last minute**, as on the service: the docs
define request rate as a minute's requests / 60, Datadog's integration describes each gauge as
"during the last minute", and a live export of an idle endpoint shows `request_count_total 0`.

- `request_count_total`, `request_4xx_count_total`, `request_5xx_count_total` (gauges): queries
  answered in the last minute, by status (a caller who hung up counts as a 4xx, 499).
- `request_latency_ms` (histogram): their latency through the router, from the body read to
  the answer (a stream: to its first bytes).
- `model_queue_time_ms` (histogram): how long each admitted query waited at its model server's
  admission gate (`admission.py`) for a slot; refused queries (429) never queued.
- `cpu_usage_percentage` (gauge): the model server's process tree's CPU time over the minute,
  as a share of the machine's CPUs (100 = every core busy): the service averages its replicas,
  each a share of its own machine.
- `mem_usage_percentage` (gauge): the mean of the minute's resident-memory samples, as a share
  of the entity's memory limit (`WorkerSpec.memory_limit_mb`, the size past which the
  supervisor kills it): 100 % means the server is about to be killed, as on a replica.
- `provisioned_concurrent_requests_total` (gauge): the requests the entity can take at once
  (its gate's limit, `admission.concurrency`) if its model server ran during the minute, else
  0 (scaled to zero for a minute). The service's meaning is capacity, not load: "the maximum
  number of parallel requests that the system can handle", and an idle Small endpoint exports 4.

Histogram buckets: the service's are not published, so ours (`BUCKETS_MS`). Labels: not
published either; each series carries `served_entity_name` and `served_model_name` (the same
value): the first is the API's name for the entity, the second what Datadog's dashboards for
the service filter by. No `endpoint_id` or workspace label: the export is per endpoint.

Every served entity of the current config that runs here gets every series, zeros included
(as the idle export shows); external models get none.

The window is kept per second: a value covers the current second and the 59 before it. The
clock is injectable (`ServingMetrics(clock=...)`), so tests move time instead of waiting.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

from serving_panel.local.serving import admission

WINDOW_S = 60
BUCKETS_MS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)
LABELS = ("served_entity_name", "served_model_name")

Clock = Callable[[], float]


class Minute:
    """Sums of a fixed-width vector over the last `WINDOW_S` seconds, one slot per second."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._slots: deque[tuple[int, list[float]]] = deque()

    def add(self, now: float, amounts: Iterable[tuple[int, float]]) -> None:
        slot = self.slot(now)
        for index, amount in amounts:
            slot[index] += amount

    def slot(self, now: float) -> list[float]:
        """The current second's sums, to add to in place."""
        second = math.floor(now)
        slots = self._slots
        if slots and slots[-1][0] == second:
            return slots[-1][1]  # most calls: this second's slot exists, nothing to prune
        self._prune(second)
        slots.append((second, [0.0] * self.width))
        return slots[-1][1]

    def totals(self, now: float) -> list[float]:
        self._prune(math.floor(now))
        sums = [0.0] * self.width
        for _, slot in self._slots:
            for index, amount in enumerate(slot):
                sums[index] += amount
        return sums

    def empty(self, now: float) -> bool:
        self._prune(math.floor(now))
        return not self._slots

    def _prune(self, second: int) -> None:
        while self._slots and self._slots[0][0] <= second - WINDOW_S:
            self._slots.popleft()


def bucket_index(value: float) -> int:
    """The first bucket whose upper bound holds the value (len(BUCKETS_MS) for +Inf)."""
    if math.isnan(value):  # no bound holds it
        return len(BUCKETS_MS)
    return bisect.bisect_left(BUCKETS_MS, value)


# Layout of an entity's request vector: counts, then each histogram's buckets, sum and count.
_REQUESTS, _4XX, _5XX = 0, 1, 2
_LATENCY = 3
_QUEUE = _LATENCY + len(BUCKETS_MS) + 3
_REQUEST_WIDTH = _QUEUE + len(BUCKETS_MS) + 3
# Layout of an entity's usage vector.
_CPU_SUM, _CPU_N, _MEM_SUM, _MEM_N = 0, 1, 2, 3


def _observe(slot: list[float], offset: int, value: float) -> None:
    """Adds one value to the histogram at `offset` of a request vector."""
    slot[offset + bucket_index(value)] += 1
    slot[offset + _BUCKETS] += value
    slot[offset + _BUCKETS + 1] += 1


_BUCKETS = len(BUCKETS_MS) + 1  # with +Inf; the sum and the count follow


@dataclass(frozen=True)
class Served:
    """A served entity the export covers, and the requests it takes at once."""

    name: str
    concurrency: int


def served_of(config: Mapping[str, Any] | None) -> list[Served]:
    """The entities of a config that run here (external models don't)."""
    return [
        Served(entity["name"], admission.concurrency(entity))
        for entity in (config or {}).get("served_entities", [])
        if "external_model" not in entity
    ]


class ServingMetrics:
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], Minute] = {}
        self._usage: dict[tuple[str, str], Minute] = {}

    def record(
        self,
        endpoint_id: str,
        entity: str,
        status: int,
        latency_ms: float,
        queue_ms: float | None = None,
    ) -> None:
        """One query answered (or refused, timed out, abandoned) by the router. On every
        query's path: adds to this second's sums in place."""
        with self._lock:
            window = self._requests.get((endpoint_id, entity))
            if window is None:
                window = self._requests[(endpoint_id, entity)] = Minute(_REQUEST_WIDTH)
            slot = window.slot(self.clock())
            slot[_REQUESTS] += 1
            if 400 <= status < 500:
                slot[_4XX] += 1
            elif status >= 500:
                slot[_5XX] += 1
            _observe(slot, _LATENCY, latency_ms)
            if queue_ms is not None:
                _observe(slot, _QUEUE, queue_ms)

    def usage(
        self, endpoint_id: str, entity: str, cpu_percent: float | None, mem_percent: float
    ) -> None:
        """One sample of a running model server (`cpu_percent` None on its first sample)."""
        amounts = [(_MEM_SUM, mem_percent), (_MEM_N, 1.0)]
        if cpu_percent is not None:
            amounts += [(_CPU_SUM, cpu_percent), (_CPU_N, 1.0)]
        with self._lock:
            window = self._usage.setdefault((endpoint_id, entity), Minute(4))
            window.add(self.clock(), amounts)

    def forget(self, endpoint_id: str) -> None:
        """Drops the endpoint's series, and any window a minute quiet (a sample that came in
        after its endpoint was forgotten, an entity no config serves any more)."""
        now = self.clock()
        with self._lock:
            for windows in (self._requests, self._usage):
                for key in [k for k, w in windows.items() if k[0] == endpoint_id or w.empty(now)]:
                    del windows[key]

    def tracked(self) -> set[tuple[str, str]]:
        """The (endpoint id, served entity) pairs with a window kept."""
        with self._lock:
            return set(self._requests) | set(self._usage)

    def families(self, endpoint_id: str, served: Sequence[Served]) -> list[Metric]:
        """The endpoint's metric families, for these served entities, as of now."""
        gauges = {
            name: GaugeMetricFamily(name, text, labels=LABELS)
            for name, text in (
                ("cpu_usage_percentage", "CPU use of the model server, % of the machine's CPUs"),
                ("mem_usage_percentage", "Resident memory of the model server, % of its limit"),
                (
                    "provisioned_concurrent_requests_total",
                    "Requests the served entity can take at once",
                ),
                ("request_count_total", "Requests in the last minute"),
                ("request_4xx_count_total", "Requests answered 4xx in the last minute"),
                ("request_5xx_count_total", "Requests answered 5xx in the last minute"),
            )
        }
        latency = HistogramMetricFamily(
            "request_latency_ms", "Request latency through the router (ms)", labels=LABELS
        )
        queue = HistogramMetricFamily(
            "model_queue_time_ms", "Time waiting for a model server slot (ms)", labels=LABELS
        )
        now = self.clock()
        with self._lock:
            windows = [
                (
                    entity,
                    _totals(self._requests, endpoint_id, entity.name, _REQUEST_WIDTH, now),
                    _totals(self._usage, endpoint_id, entity.name, 4, now),
                )
                for entity in served
            ]
        for entity, requests, usage in windows:
            labels = [entity.name, entity.name]
            ran = usage[_MEM_N] > 0
            values = {
                "cpu_usage_percentage": _mean(usage[_CPU_SUM], usage[_CPU_N]),
                "mem_usage_percentage": _mean(usage[_MEM_SUM], usage[_MEM_N]),
                "provisioned_concurrent_requests_total": entity.concurrency if ran else 0,
                "request_count_total": requests[_REQUESTS],
                "request_4xx_count_total": requests[_4XX],
                "request_5xx_count_total": requests[_5XX],
            }
            for name, value in values.items():
                gauges[name].add_metric(labels, value)
            for family, offset in ((latency, _LATENCY), (queue, _QUEUE)):
                buckets, total = _cumulative(requests[offset : offset + len(BUCKETS_MS) + 3])
                family.add_metric(labels, buckets=buckets, sum_value=total)
        return [*gauges.values(), latency, queue]

    def text(self, endpoint_id: str, config: Mapping[str, Any] | None) -> str:
        """The export of an endpoint whose current config is `config`."""
        families = self.families(endpoint_id, served_of(config))

        class _Snapshot:
            def collect(self) -> list[Metric]:
                return families

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot())
        return generate_latest(registry).decode()


def _totals(
    windows: dict[tuple[str, str], Minute], endpoint_id: str, entity: str, width: int, now: float
) -> list[float]:
    window = windows.get((endpoint_id, entity))
    return window.totals(now) if window is not None else [0.0] * width


def _mean(total: float, count: float) -> float:
    return total / count if count else 0.0


def _cumulative(part: Sequence[float]) -> tuple[list[tuple[str, float]], float]:
    """A histogram's slice of the vector (buckets, +Inf, sum, count) as Prometheus buckets."""
    bounds = [*(str(float(b)) for b in BUCKETS_MS), "+Inf"]
    running = 0.0
    buckets = []
    for bound, count in zip(bounds, part[: len(bounds)], strict=True):
        running += count
        buckets.append((bound, running))
    return buckets, part[len(bounds)]
