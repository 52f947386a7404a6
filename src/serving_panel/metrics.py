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
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from serving_panel.errors import ServingError

__all__ = ["Labels", "MetricSample", "MetricsParseError", "parse_prometheus_text"]


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
