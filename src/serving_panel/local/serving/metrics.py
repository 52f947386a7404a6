"""Per served-entity request metrics, exported as Prometheus text one endpoint at a time."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric

# `*_created` timestamps are prometheus-client's own addition; an endpoint's export has none.
disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS_MS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)
_LABELS = ("endpoint_id", "served_entity_name")


class ServingMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("request_count", "Requests served", _LABELS, registry=self.registry)
        self.client_errors = Counter(
            "request_4xx_count", "Requests answered 4xx", _LABELS, registry=self.registry
        )
        self.server_errors = Counter(
            "request_5xx_count", "Requests answered 5xx", _LABELS, registry=self.registry
        )
        self.latency = Histogram(
            "request_latency_ms",
            "Request latency through the router, in milliseconds",
            _LABELS,
            buckets=LATENCY_BUCKETS_MS,
            registry=self.registry,
        )

    def record(self, endpoint_id: str, entity: str, status: int, latency_ms: float) -> None:
        labels = (endpoint_id, entity)
        self.requests.labels(*labels).inc()
        if 400 <= status < 500:
            self.client_errors.labels(*labels).inc()
        elif status >= 500:
            self.server_errors.labels(*labels).inc()
        self.latency.labels(*labels).observe(latency_ms)

    def forget(self, endpoint_id: str) -> None:
        for metric in (self.requests, self.client_errors, self.server_errors, self.latency):
            for labels in list(_series(metric)):
                if labels[0] == endpoint_id:
                    metric.remove(*labels)

    def text(self, endpoint_id: str, extra: Iterable[Metric] = ()) -> str:
        """The endpoint's series (without the endpoint label), plus any extra families."""
        families: list[Metric] = list(extra)
        for family in self.registry.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            for sample in family.samples:
                if sample.labels.get("endpoint_id") != endpoint_id:
                    continue
                labels = {k: v for k, v in sample.labels.items() if k != "endpoint_id"}
                kept.add_sample(sample.name, labels, sample.value, sample.timestamp)
            if kept.samples:
                families.append(kept)

        class _Snapshot:
            def collect(self) -> list[Metric]:
                return families

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot())
        return generate_latest(registry).decode()


def _series(metric: Counter | Histogram) -> list[tuple[str, ...]]:
    with metric._lock:  # prometheus_client keeps label sets here; there's no public listing
        return [tuple(labels) for labels in metric._metrics]
