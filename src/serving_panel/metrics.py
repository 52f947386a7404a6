"""Prometheus text exposition (what `GET .../metrics` returns) to samples.

A parser of our own rather than prometheus_client's: the package must not need it (it is no
dependency of ours), and a bad line has to be reported by its number, which that parser does not
do. Stdlib (and `errors`) only, so importing it stays cheap.

Follows text format 0.0.4 and the basics of OpenMetrics 1.0:

- ``# HELP name text`` (escapes ``\\\\``, ``\\n``; OpenMetrics' ``\\"`` too; any other backslash
  is kept as written), ``# TYPE name type``, ``# UNIT name unit`` (read, not kept); any other
  ``#`` line is a comment. One HELP and one TYPE per name, and the TYPE before that name's
  samples.
- ``name{label="value",...} value [timestamp]``: label values escape ``\\\\``, ``\\"`` and
  ``\\n`` and nothing else; values are decimal floats, ``+Inf``, ``-Inf`` or ``NaN``.
- A text whose last line is ``# EOF`` is OpenMetrics: its timestamps are seconds (converted to
  milliseconds here) and exemplars (``... # {trace_id="a"} 1``) are allowed and ignored.
  Otherwise timestamps are integer milliseconds.
- Samples join their family by name: ``x_bucket``, ``x_sum``, ``x_count`` and ``x_created`` of a
  histogram ``x``; ``x_sum``, ``x_count``, ``x_created`` of a summary; ``x_total`` and
  ``x_created`` of a counter; ``x_gcount``, ``x_gsum``, ``x_bucket`` of a gaugehistogram;
  ``x_info`` of an info. A name with its own TYPE or HELP line is its own family. OpenMetrics'
  ``unknown`` type is reported as ``untyped``; a family without a TYPE line has type None.

`summarize` then reads a serving endpoint's export by served entity, under the service's names
(last-minute gauges, `request_latency_ms` and `model_queue_time_ms` histograms) and the older
names and lifetime counters some workspaces still send.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from serving_panel.errors import ServingError

__all__ = [
    "EntityMetrics",
    "Histogram",
    "Labels",
    "MetricSample",
    "MetricsParseError",
    "parse_prometheus_text",
    "summarize",
]


class Labels(Mapping[str, str]):
    """An immutable, hashable label set, so samples can be set members and dict keys."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(items or {})

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Labels):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Labels({self._items!r})"


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One sample line, with the family, type and help text it belongs to."""

    family: str
    """The metric family: "latency_ms" for "latency_ms_bucket" of a histogram latency_ms."""
    name: str
    """The sample's own name, as written."""
    labels: Labels
    """Label names to unescaped values."""
    value: float
    type: str | None
    """counter, gauge, histogram, summary, untyped (or an OpenMetrics type); None if undeclared."""
    help: str | None
    timestamp_ms: int | None


class MetricsParseError(ServingError, ValueError):
    """The text breaks the exposition format; the message names the line and the rule."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


# 0.0.4's five types, then OpenMetrics' own.
_TYPES = frozenset(
    {"counter", "gauge", "histogram", "summary", "untyped"}
    | {"unknown", "info", "stateset", "gaugehistogram"}
)
# The sample-name suffixes each type's family owns, besides the bare family name.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "counter": ("_total", "_created"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "info": ("_info",),
}

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_METRIC_NAME = re.compile(_NAME)
_METADATA = re.compile(r"#[ \t]*(HELP|TYPE|UNIT)(?:[ \t]+|$)")
_METADATA_NAME = re.compile(rf"({_NAME})(?:[ \t]+|$)")
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\\n]|\\.)*)"[ \t]*')
_LABEL_ESCAPE = re.compile(r"\\(.)")
_LABEL_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}
_HELP_ESCAPE = re.compile(r"\\([\\n\"])")
_VALUE = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[+-]?(?i:inf(?:inity)?)|(?i:nan)"
)
_OPEN_BRACE = re.compile(r"[ \t]*\{")
_CLOSE_BRACE = re.compile(r"[ \t]*\}")
_INT_TIMESTAMP = re.compile(r"-?[0-9]+")
_SAMPLE_TAIL = re.compile(
    r"[ \t]+(?P<value>\S+)(?:[ \t]+(?P<timestamp>[^\s#]\S*))?"
    r"(?P<exemplar>[ \t]+#.*)?[ \t]*"
)


@dataclass(slots=True)
class _Family:
    type: str | None = None
    help: str | None = None
    type_line: int | None = None
    help_line: int | None = None
    sampled_at: int | None = None  # line of the first sample that joined this family


def parse_prometheus_text(text: str) -> list[MetricSample]:
    """Every sample in `text`, in order; raises MetricsParseError at the first bad line."""
    lines = text.split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()
    openmetrics = bool(lines) and lines[-1].rstrip("\r") == "# EOF"
    families: dict[str, _Family] = {}
    samples: list[MetricSample] = []

    for number, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.lstrip(" \t")
        if not stripped:
            continue
        if stripped[0] == "#":
            if stripped.rstrip(" \t") == "# EOF":
                if openmetrics and number != len(lines):
                    raise MetricsParseError(number, "text continues after '# EOF'")
                continue
            _read_metadata(stripped, number, families)
            continue
        start = len(line) - len(stripped)
        samples.append(_read_sample(line, start, number, families, openmetrics))
    return samples


def _read_metadata(line: str, number: int, families: dict[str, _Family]) -> None:
    """Record a HELP or TYPE line (a UNIT line is checked and dropped; comments are ignored)."""
    keyword = _METADATA.match(line)
    if keyword is None:
        return
    kind = keyword[1]
    named = _METADATA_NAME.match(line, keyword.end())
    if named is None:
        raise MetricsParseError(number, f"# {kind} needs a valid metric name after it")
    name, rest = named[1], line[named.end() :]
    family = families.setdefault(name, _Family())
    if kind == "HELP":
        if family.help_line is not None:
            raise MetricsParseError(
                number, f"a second HELP line for '{name}' (the first is on line {family.help_line})"
            )
        family.help, family.help_line = _HELP_ESCAPE.sub(_unescape_help, rest), number
    elif kind == "TYPE":
        declared = rest.strip(" \t")
        if declared not in _TYPES:
            raise MetricsParseError(
                number,
                f"unknown metric type {declared!r} for '{name}' "
                f"(expected one of {', '.join(sorted(_TYPES))})",
            )
        if family.type_line is not None:
            raise MetricsParseError(
                number, f"a second TYPE line for '{name}' (the first is on line {family.type_line})"
            )
        if family.sampled_at is not None:
            raise MetricsParseError(
                number,
                f"the TYPE line for '{name}' comes after its samples (line {family.sampled_at})",
            )
        family.type = "untyped" if declared == "unknown" else declared
        family.type_line = number


def _unescape_help(escape: re.Match[str]) -> str:
    return "\n" if escape[1] == "n" else escape[1]


def _read_sample(
    line: str, start: int, number: int, families: dict[str, _Family], openmetrics: bool
) -> MetricSample:
    """One sample line (from column `start`), checked against the format."""
    named = _METRIC_NAME.match(line, start)
    if named is None:
        raise MetricsParseError(
            number, f"expected a metric name, found {line[start : start + 40]!r}"
        )
    name = named[0]
    position = named.end()
    labels: dict[str, str] = {}
    brace = _OPEN_BRACE.match(line, position)
    if brace is not None:
        position = _read_labels(line, brace.end(), number, labels)

    tail = _SAMPLE_TAIL.fullmatch(line, position)
    if tail is None:
        raise MetricsParseError(
            number,
            f"expected 'value [timestamp]' after '{name}' and its labels, "
            f"found {line[position:]!r}",
        )
    if tail["exemplar"] is not None and not openmetrics:
        raise MetricsParseError(
            number, "exemplars ('# {...}' after the value) are OpenMetrics only"
        )
    value = _parse_value(tail["value"], number)
    timestamp_ms = _parse_timestamp(tail["timestamp"], number, openmetrics)

    family_name, family = _family_of(name, families)
    if family is not None and family.sampled_at is None:
        family.sampled_at = number
    elif family is None:
        families[name] = _Family(sampled_at=number)
    return MetricSample(
        family=family_name,
        name=name,
        labels=Labels(labels),
        value=value,
        type=family.type if family is not None else None,
        help=family.help if family is not None else None,
        timestamp_ms=timestamp_ms,
    )


def _read_labels(line: str, position: int, number: int, labels: dict[str, str]) -> int:
    """Fill `labels` from `{...}` starting after the brace; the position after the `}`."""
    while True:
        closing = _CLOSE_BRACE.match(line, position)
        if closing is not None:
            return closing.end()
        pair = _LABEL.match(line, position)
        if pair is None:
            raise MetricsParseError(
                number,
                f"malformed label at column {position + 1}: expected name=\"value\" or '}}', "
                f"found {line[position : position + 40]!r}",
            )
        label, escaped = pair[1], pair[2]
        if label in labels:
            raise MetricsParseError(number, f"label '{label}' appears twice")
        labels[label] = _unescape_label(escaped, number) if "\\" in escaped else escaped
        position = pair.end()
        if line.startswith(",", position):
            position += 1
        elif not line.startswith("}", position):
            raise MetricsParseError(
                number, f"expected ',' or '}}' after label '{label}' at column {position + 1}"
            )


def _unescape_label(escaped: str, number: int) -> str:
    """A label value with its escapes resolved; any escape but \\\\, \\" and \\n is an error."""

    def one(escape: re.Match[str]) -> str:
        try:
            return _LABEL_ESCAPES[escape[1]]
        except KeyError:
            raise MetricsParseError(
                number, f"invalid escape '\\{escape[1]}' in a label value"
            ) from None

    return _LABEL_ESCAPE.sub(one, escaped)


def _parse_value(text: str, number: int) -> float:
    if _VALUE.fullmatch(text) is None:
        raise MetricsParseError(
            number, f"{text!r} is not a sample value (a float, +Inf, -Inf, NaN)"
        )
    return float(text)


def _parse_timestamp(text: str | None, number: int, openmetrics: bool) -> int | None:
    """Milliseconds: 0.0.4 writes integer milliseconds, OpenMetrics (float) seconds."""
    if text is None:
        return None
    if openmetrics:
        if _VALUE.fullmatch(text) is None or not math.isfinite(ms := float(text) * 1000):
            raise MetricsParseError(number, f"{text!r} is not a timestamp in seconds")
        return round(ms)
    if _INT_TIMESTAMP.fullmatch(text) is None:
        raise MetricsParseError(number, f"{text!r} is not a timestamp in integer milliseconds")
    return int(text)


def _family_of(name: str, families: dict[str, _Family]) -> tuple[str, _Family | None]:
    """The family a sample name belongs to: its own declaration, else a typed base name's."""
    own = families.get(name)
    if own is not None and (own.type_line is not None or own.help_line is not None):
        return name, own
    for suffix in ("_bucket", "_sum", "_count", "_created", "_total", "_gsum", "_gcount", "_info"):
        if name.endswith(suffix):
            base = families.get(name[: -len(suffix)])
            if (
                base is not None
                and base.type is not None
                and suffix in _SUFFIXES.get(base.type, ())
            ):
                return name[: -len(suffix)], base
    return name, own


# --- Serving endpoint metrics by served entity -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Histogram:
    """A latency histogram: cumulative counts by upper bound (ms, the last +inf), sum, count."""

    buckets: tuple[tuple[float, float], ...]
    sum: float
    count: float

    @property
    def mean(self) -> float | None:
        return self.sum / self.count if self.count else None

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1) estimated from the buckets as Prometheus'
        `histogram_quantile` does: linear within the bucket that holds the rank, from 0 for the
        first; a rank in the +Inf bucket reads as the largest finite bound. None when empty."""
        if not 0 <= q <= 1:
            raise ValueError(f"q: must be between 0 and 1, got {q!r}")
        finite = [(bound, count) for bound, count in self.buckets if not math.isinf(bound)]
        total = self.buckets[-1][1] if self.buckets else 0.0
        if total <= 0 or not finite:
            return None
        rank = q * total
        lower, below = 0.0, 0.0
        for bound, cumulative in finite:
            if cumulative >= rank:
                if cumulative <= below:
                    return bound
                return lower + (bound - lower) * (rank - below) / (cumulative - below)
            lower, below = bound, cumulative
        return lower


@dataclass(frozen=True, slots=True)
class EntityMetrics:
    """One served entity's figures from `GET .../metrics`, by the service's names.

    `window` is "last_minute" where the request counts are gauges over the last minute (the
    service, and the local workspace since issue 11) and "lifetime" where a workspace still sends
    them as cumulative counters (older local workspaces). A figure the export lacks is None.
    """

    served_entity: str
    window: str
    cpu_usage_percentage: float | None
    mem_usage_percentage: float | None
    provisioned_concurrency: float | None
    requests: float | None
    requests_4xx: float | None
    requests_5xx: float | None
    latency_ms: Histogram | None
    queue_time_ms: Histogram | None

    @property
    def request_rate(self) -> float | None:
        """Requests per second as the service's docs define it: a minute's requests / 60."""
        if self.window != "last_minute" or self.requests is None:
            return None
        return self.requests / 60


# The service's sample names first; then the names older exports used for the same figure.
_GAUGES = {
    "cpu_usage_percentage": ("cpu_usage_percentage",),
    "mem_usage_percentage": ("mem_usage_percentage",),
    "provisioned_concurrency": (
        "provisioned_concurrent_requests_total",
        "provisioned_concurrent_requests",
    ),
    "requests": ("request_count_total", "request_count"),
    "requests_4xx": ("request_4xx_count_total", "request_4xx_count"),
    "requests_5xx": ("request_5xx_count_total", "request_5xx_count"),
}
_HISTOGRAMS = {"latency_ms": "request_latency_ms", "queue_time_ms": "model_queue_time_ms"}
_ENTITY_LABELS = ("served_entity_name", "served_model_name")


def summarize(samples: list[MetricSample]) -> list[EntityMetrics]:
    """The samples grouped by served entity (its `served_entity_name` label, else
    `served_model_name`, else ""), in the order the entities first appear."""
    by_entity: dict[str, list[MetricSample]] = {}
    for sample in samples:
        entity = next((sample.labels[k] for k in _ENTITY_LABELS if k in sample.labels), "")
        by_entity.setdefault(entity, []).append(sample)
    return [_entity_metrics(entity, own) for entity, own in by_entity.items()]


def _entity_metrics(entity: str, samples: list[MetricSample]) -> EntityMetrics:
    by_name: dict[str, MetricSample] = {}
    for sample in samples:
        if "le" not in sample.labels:
            by_name.setdefault(sample.name, sample)
    gauges: dict[str, float | None] = {}
    lifetime = False
    for field, names in _GAUGES.items():
        found = next((by_name[n] for n in names if n in by_name), None)
        gauges[field] = found.value if found is not None else None
        if found is not None and field.startswith("requests") and found.type == "counter":
            lifetime = True
    histograms = {field: _histogram(family, samples) for field, family in _HISTOGRAMS.items()}
    return EntityMetrics(
        served_entity=entity,
        window="lifetime" if lifetime else "last_minute",
        cpu_usage_percentage=gauges["cpu_usage_percentage"],
        mem_usage_percentage=gauges["mem_usage_percentage"],
        provisioned_concurrency=gauges["provisioned_concurrency"],
        requests=gauges["requests"],
        requests_4xx=gauges["requests_4xx"],
        requests_5xx=gauges["requests_5xx"],
        latency_ms=histograms["latency_ms"],
        queue_time_ms=histograms["queue_time_ms"],
    )


def _histogram(family: str, samples: list[MetricSample]) -> Histogram | None:
    buckets: list[tuple[float, float]] = []
    total = count = None
    for sample in samples:
        if sample.name == f"{family}_bucket" and "le" in sample.labels:
            try:
                buckets.append((float(sample.labels["le"]), sample.value))
            except ValueError:
                continue
        elif sample.name == f"{family}_sum":
            total = sample.value
        elif sample.name == f"{family}_count":
            count = sample.value
    if not buckets and total is None and count is None:
        return None
    buckets.sort()
    if count is None:
        count = buckets[-1][1] if buckets and math.isinf(buckets[-1][0]) else 0.0
    return Histogram(tuple(buckets), total or 0.0, count)
