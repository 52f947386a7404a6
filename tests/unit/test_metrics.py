"""Prometheus text exposition to samples: metadata, labels, families, values, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving_panel.metrics import (
    Histogram,
    Labels,
    MetricSample,
    MetricsParseError,
    parse_prometheus_text,
    summarize,
)

EXPOSITION = """\
# HELP request_latency_ms How long invocations take.\\nIn milliseconds; \\\\ is a backslash.
# TYPE request_latency_ms histogram
request_latency_ms_bucket{served_entity_name="ads1-1",le="10"} 3
request_latency_ms_bucket{served_entity_name="ads1-1",le="+Inf"} 5
request_latency_ms_sum{served_entity_name="ads1-1"} 42.5
request_latency_ms_count{served_entity_name="ads1-1"} 5
# A comment, not metadata.
# TYPE served_entity_ready gauge
served_entity_ready{served_entity_name="ads1-1"} 1 1764015180000
"""


def test_samples_carry_their_family_type_and_help() -> None:
    samples = parse_prometheus_text(EXPOSITION)
    assert [(s.family, s.name, s.type) for s in samples] == [
        ("request_latency_ms", "request_latency_ms_bucket", "histogram"),
        ("request_latency_ms", "request_latency_ms_bucket", "histogram"),
        ("request_latency_ms", "request_latency_ms_sum", "histogram"),
        ("request_latency_ms", "request_latency_ms_count", "histogram"),
        ("served_entity_ready", "served_entity_ready", "gauge"),
    ]
    assert samples[0].help == ("How long invocations take.\nIn milliseconds; \\ is a backslash.")
    assert samples[-1].help is None
    assert samples[1].labels == {"served_entity_name": "ads1-1", "le": "+Inf"}
    assert [s.value for s in samples] == [3.0, 5.0, 42.5, 5.0, 1.0]
    assert [s.timestamp_ms for s in samples] == [None, None, None, None, 1764015180000]


def test_the_local_workspace_metrics_body() -> None:
    # What GET /api/2.0/serving-endpoints/{name}/metrics returns from the local workspace.
    text = (
        "# HELP request_count_total Requests in the last minute\n"
        "# TYPE request_count_total gauge\n"
        'request_count_total{served_entity_name="a",served_model_name="a"} 3.0\n'
        'request_count_total{served_entity_name="b",served_model_name="b"} 0.0\n'
    )
    assert parse_prometheus_text(text) == [
        MetricSample(
            family="request_count_total",
            name="request_count_total",
            labels=Labels({"served_entity_name": name, "served_model_name": name}),
            value=value,
            type="gauge",
            help="Requests in the last minute",
            timestamp_ms=None,
        )
        for name, value in (("a", 3.0), ("b", 0.0))
    ]


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n", "# just a comment\n", "# HELP x y\n"])
def test_text_without_samples_has_none(text: str) -> None:
    assert parse_prometheus_text(text) == []


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        (r"a\\b", "a\\b"),
        (r"say \"hi\"", 'say "hi"'),
        (r"two\nlines", "two\nlines"),
        (r"\\n", "\\n"),
        ("commas, braces } { and = signs # too", "commas, braces } { and = signs # too"),
        ("ünïcödé 💥", "ünïcödé 💥"),
        ("", ""),
    ],
)
def test_label_values_are_unescaped(written: str, value: str) -> None:
    (sample,) = parse_prometheus_text(f'm{{path="{written}",code="200"}} 1\n')
    assert dict(sample.labels) == {"path": value, "code": "200"}


@pytest.mark.parametrize(
    "line",
    [
        'm{a="1",} 2',
        'm{ a = "1" , b="2" } 2',
        "m{} 2",
        'm {a="1"} 2',
        '\tm{a="1"}\t2',
    ],
)
def test_label_syntax_variants(line: str) -> None:
    (sample,) = parse_prometheus_text(line)
    assert sample.name == "m"
    assert sample.value == 2.0
    assert set(sample.labels.items()) <= {("a", "1"), ("b", "2")}


def test_labels_are_immutable_and_hashable() -> None:
    (sample,) = parse_prometheus_text('m{a="1",b="2"} 1')
    with pytest.raises(TypeError):
        sample.labels["a"] = "changed"  # type: ignore[index]
    assert hash(sample.labels) == hash(Labels({"b": "2", "a": "1"}))
    assert sample.labels == Labels({"b": "2", "a": "1"})
    assert sample.labels != Labels({"a": "1"})
    assert {sample, *parse_prometheus_text('m{b="2",a="1"} 1')} == {sample}


# --- families --------------------------------------------------------------------------------


def test_summary_and_counter_families() -> None:
    text = """\
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.05
rpc_seconds_sum 1.5
rpc_seconds_count 30
# TYPE requests counter
requests_total 7
requests_created 1764015180
"""
    samples = parse_prometheus_text(text)
    assert [s.family for s in samples] == ["rpc_seconds"] * 3 + ["requests"] * 2
    assert [s.type for s in samples] == ["summary"] * 3 + ["counter"] * 2


def test_a_suffix_joins_a_family_only_when_the_type_owns_it() -> None:
    text = """\
# TYPE queue gauge
queue_count 3
queue 4
# TYPE jobs_count gauge
jobs_count 5
loose_bucket{le="1"} 1
# TYPE latency summary
latency_bucket 1
"""
    samples = parse_prometheus_text(text)
    assert [(s.name, s.family, s.type) for s in samples] == [
        ("queue_count", "queue_count", None),  # a gauge has no _count samples
        ("queue", "queue", "gauge"),
        ("jobs_count", "jobs_count", "gauge"),  # its own TYPE line
        ("loose_bucket", "loose_bucket", None),  # no histogram named "loose"
        ("latency_bucket", "latency_bucket", None),  # a summary has no buckets
    ]


def test_help_alone_names_a_family_without_a_type() -> None:
    (sample,) = parse_prometheus_text("# HELP up Whether it is up.\nup 1\n")
    assert (sample.family, sample.type, sample.help) == ("up", None, "Whether it is up.")


def test_unknown_reads_as_untyped() -> None:
    (sample,) = parse_prometheus_text("# TYPE x unknown\nx 1\n# EOF\n")
    assert sample.type == "untyped"


# --- values and timestamps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("+Inf", math.inf),
        ("-Inf", -math.inf),
        ("Inf", math.inf),
        ("1e3", 1000.0),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("3.", 3.0),
        ("1.5E-3", 0.0015),
        ("0", 0.0),
    ],
)
def test_values(written: str, value: float) -> None:
    (sample,) = parse_prometheus_text(f"m {written}")
    assert sample.value == value


def test_nan() -> None:
    (sample,) = parse_prometheus_text('m{le="NaN"} NaN')
    assert math.isnan(sample.value)
    assert sample.labels["le"] == "NaN"


@pytest.mark.parametrize(
    ("line", "timestamp_ms"),
    [("m 1", None), ("m 1 1764015180123", 1764015180123), ("m 1 -5", -5), ("m 1 0", 0)],
)
def test_timestamps_are_integer_milliseconds(line: str, timestamp_ms: int | None) -> None:
    (sample,) = parse_prometheus_text(line)
    assert sample.timestamp_ms == timestamp_ms


def test_openmetrics_timestamps_are_seconds_and_exemplars_are_ignored() -> None:
    text = (
        "# TYPE c counter\n"
        "# UNIT c_seconds seconds\n"
        'c_total{a="b"} 7 1764015180.123 # {trace_id="abc"} 1 1764015180\n'
        "# EOF\n"
    )
    (sample,) = parse_prometheus_text(text)
    assert (sample.family, sample.value, sample.timestamp_ms) == ("c", 7.0, 1764015180123)
    assert sample.labels == {"a": "b"}


def test_crlf_line_endings() -> None:
    samples = parse_prometheus_text("# TYPE m gauge\r\nm 1\r\nm 2 10\r\n")
    assert [(s.type, s.value, s.timestamp_ms) for s in samples] == [
        ("gauge", 1.0, None),
        ("gauge", 2.0, 10),
    ]


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("m", "expected 'value [timestamp]'"),
        ("m{} ", "expected 'value [timestamp]'"),
        ("m 1 2 3", "expected 'value [timestamp]'"),
        ("m one", "'one' is not a sample value"),
        ("m 1.2.3", "not a sample value"),
        ("m 0x10", "not a sample value"),
        ("m 1 1.5", "not a timestamp in integer milliseconds"),
        ('m 1 # {a="b"} 1', "exemplars"),
        ("9m 1", "expected a metric name"),
        ('{a="b"} 1', "expected a metric name"),
        ('m{a="b} 1', "malformed label"),
        ("m{a=b} 1", "malformed label"),
        ('m{1a="b"} 1', "malformed label"),
        ('m{a="b" c="d"} 1', "expected ',' or '}'"),
        ('m{a="x\\t"} 1', "invalid escape '\\t'"),
        ('m{a="1",a="2"} 1', "label 'a' appears twice"),
        ("# TYPE m histogramm", "unknown metric type 'histogramm'"),
        ("# TYPE m", "unknown metric type ''"),
        ("# TYPE 9m gauge", "valid metric name"),
        ("# HELP", "valid metric name"),
    ],
)
def test_a_malformed_line_is_named_by_number(line: str, says: str) -> None:
    text = f"# TYPE ok gauge\nok 1\n{line}\nok 2\n"
    with pytest.raises(MetricsParseError) as caught:
        parse_prometheus_text(text)
    assert caught.value.line == 3
    assert str(caught.value).startswith("line 3: ")
    assert says in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (
            "# TYPE m gauge\n# TYPE m counter\n",
            2,
            "a second TYPE line for 'm' (the first is on line 1)",
        ),
        ("# HELP m a\nm 1\n# HELP m b\n", 3, "a second HELP line for 'm'"),
        ("m 1\n# TYPE m gauge\n", 2, "the TYPE line for 'm' comes after its samples (line 1)"),
        ("m 1\n# EOF\nn 2\n# EOF\n", 2, "text continues after '# EOF'"),
        ("m 1 inf\n# EOF\n", 1, "not a timestamp in seconds"),
    ],
)
def test_rules_across_lines(text: str, line: int, says: str) -> None:
    with pytest.raises(MetricsParseError, match=r"^line \d+: ") as caught:
        parse_prometheus_text(text)
    assert caught.value.line == line
    assert says in caught.value.problem


def test_comments_and_eof_in_plain_text_format_are_comments() -> None:
    # Without a final "# EOF" the text is format 0.0.4: "# EOF" mid-text is just a comment.
    assert [s.value for s in parse_prometheus_text("m 1\n# EOF\nm 2\n")] == [1.0, 2.0]


# --- properties ------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,20}", fullmatch=True)
# Names starting with "__" are reserved for Prometheus itself; prometheus_client rejects them.
LABEL_NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,10}", fullmatch=True).filter(
    lambda name: not name.startswith("__")
)
SAMPLES = st.lists(
    st.tuples(
        NAMES,
        st.dictionaries(LABEL_NAMES, st.text(), max_size=4),
        st.floats(allow_nan=True, allow_infinity=True),
        st.none() | st.integers(-(2**63), 2**63 - 1),
    ),
    max_size=10,
)


def render_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def render(samples: list[tuple[str, dict[str, str], float, int | None]]) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    lines = []
    for name, labels, value, timestamp in samples:
        pairs = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
        stamp = "" if timestamp is None else f" {timestamp}"
        lines.append(f"{name}{{{pairs}}} {render_value(value)}{stamp}")
    return "\n".join(lines)


def same_value(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@given(SAMPLES)
def test_reads_back_what_a_correct_writer_writes(
    samples: list[tuple[str, dict[str, str], float, int | None]],
) -> None:
    parsed = parse_prometheus_text(render(samples))
    assert len(parsed) == len(samples)
    for got, (name, labels, value, timestamp) in zip(parsed, samples, strict=True):
        assert (got.name, got.family, dict(got.labels), got.timestamp_ms) == (
            name,
            name,
            labels,
            timestamp,
        )
        assert same_value(got.value, value)


@given(SAMPLES)
def test_agrees_with_prometheus_client(
    samples: list[tuple[str, dict[str, str], float, int | None]],
) -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    text = render(samples)
    theirs = [s for family in parser.text_string_to_metric_families(text) for s in family.samples]
    ours = parse_prometheus_text(text)
    assert [(s.name, dict(s.labels)) for s in ours] == [(s.name, s.labels) for s in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        assert same_value(mine.value, other.value)
        # prometheus_client keeps float seconds: milliseconds / 1000
        mine_seconds = None if mine.timestamp_ms is None else float(mine.timestamp_ms) / 1000
        assert mine_seconds == other.timestamp


@given(st.text())
def test_any_text_parses_or_raises_a_parse_error(text: str) -> None:
    error: MetricsParseError | None = None
    try:
        samples = parse_prometheus_text(text)
    except MetricsParseError as caught:
        error = caught
    if error is not None:
        assert 1 <= error.line <= text.count("\n") + 1
    else:
        assert len(samples) <= len([line for line in text.split("\n") if line.strip()])


# --- summarize: a serving endpoint's export by served entity -----------------------------------

SERVICE_EXPORT = """\
# TYPE cpu_usage_percentage gauge
cpu_usage_percentage{served_model_name="m-1"} 2.344062231666667
# TYPE mem_usage_percentage gauge
mem_usage_percentage{served_model_name="m-1"} 6.823611259460449
# TYPE provisioned_concurrent_requests_total gauge
provisioned_concurrent_requests_total{served_model_name="m-1"} 4
# TYPE request_count_total gauge
request_count_total{served_model_name="m-1"} 120
# TYPE request_4xx_count_total gauge
request_4xx_count_total{served_model_name="m-1"} 3
# TYPE request_5xx_count_total gauge
request_5xx_count_total{served_model_name="m-1"} 0
# TYPE request_latency_ms histogram
request_latency_ms_bucket{served_model_name="m-1",le="10"} 100
request_latency_ms_bucket{served_model_name="m-1",le="+Inf"} 120
request_latency_ms_sum{served_model_name="m-1"} 1200
request_latency_ms_count{served_model_name="m-1"} 120
# TYPE model_queue_time_ms histogram
model_queue_time_ms_bucket{served_model_name="m-1",le="+Inf"} 120
model_queue_time_ms_sum{served_model_name="m-1"} 0
model_queue_time_ms_count{served_model_name="m-1"} 120
"""

# What local workspaces before issue 11 sent: lifetime counters and a readiness gauge.
LIFETIME_EXPORT = """\
# TYPE request_count counter
request_count_total{served_entity_name="ads1-1"} 6.0
# TYPE request_4xx_count counter
request_4xx_count_total{served_entity_name="ads1-1"} 1.0
# TYPE request_latency_ms histogram
request_latency_ms_bucket{served_entity_name="ads1-1",le="1.0"} 2.0
request_latency_ms_bucket{served_entity_name="ads1-1",le="+Inf"} 6.0
request_latency_ms_count{served_entity_name="ads1-1"} 6.0
request_latency_ms_sum{served_entity_name="ads1-1"} 30.0
# TYPE served_entity_ready gauge
served_entity_ready{served_entity_name="ads1-1"} 1.0
"""


def test_summarize_reads_the_services_names_over_the_last_minute() -> None:
    [entity] = summarize(parse_prometheus_text(SERVICE_EXPORT))
    assert entity.served_entity == "m-1"
    assert entity.window == "last_minute"
    assert entity.cpu_usage_percentage == pytest.approx(2.344062231666667)
    assert entity.mem_usage_percentage == pytest.approx(6.823611259460449)
    assert entity.provisioned_concurrency == 4
    assert (entity.requests, entity.requests_4xx, entity.requests_5xx) == (120, 3, 0)
    assert entity.request_rate == 2.0  # a minute's requests / 60, as the docs define it
    assert entity.latency_ms is not None
    assert entity.latency_ms.buckets == ((10.0, 100.0), (math.inf, 120.0))
    assert entity.latency_ms.mean == 10.0
    assert entity.queue_time_ms is not None and entity.queue_time_ms.mean == 0.0


def test_summarize_reads_lifetime_counters_where_a_workspace_still_sends_them() -> None:
    [entity] = summarize(parse_prometheus_text(LIFETIME_EXPORT))
    assert entity.served_entity == "ads1-1"
    assert entity.window == "lifetime"
    assert (entity.requests, entity.requests_4xx, entity.requests_5xx) == (6.0, 1.0, None)
    assert entity.request_rate is None  # a lifetime count is no rate
    assert entity.cpu_usage_percentage is None and entity.provisioned_concurrency is None
    assert entity.latency_ms is not None and entity.latency_ms.count == 6.0
    assert entity.queue_time_ms is None


def test_summarize_groups_by_entity_in_order_of_appearance() -> None:
    text = (
        'request_count_total{served_entity_name="b"} 1\n'
        'request_count_total{served_entity_name="a"} 2\n'
        "request_count_total 3\n"
    )
    assert [(e.served_entity, e.requests) for e in summarize(parse_prometheus_text(text))] == [
        ("b", 1.0),
        ("a", 2.0),
        ("", 3.0),
    ]


# --- Histogram.quantile: Prometheus' histogram_quantile over cumulative buckets ------------------


def test_quantile_interpolates_within_the_bucket_that_holds_the_rank() -> None:
    # 10 observations: 4 at most 10 ms, 8 at most 20, all at most 40.
    histogram = Histogram(((10.0, 4.0), (20.0, 8.0), (40.0, 10.0), (math.inf, 10.0)), 150.0, 10.0)
    assert histogram.quantile(0.5) == pytest.approx(12.5)  # rank 5: a quarter into 10..20
    assert histogram.quantile(0.2) == pytest.approx(5.0)  # rank 2: from 0 in the first bucket
    assert histogram.quantile(0.9) == pytest.approx(30.0)
    assert histogram.quantile(1.0) == pytest.approx(40.0)


def test_quantile_in_the_inf_bucket_is_the_largest_finite_bound_and_none_when_empty() -> None:
    slow = Histogram(((10.0, 1.0), (100.0, 1.0), (math.inf, 4.0)), 9000.0, 4.0)
    assert slow.quantile(0.99) == 100.0
    assert Histogram(((10.0, 0.0), (math.inf, 0.0)), 0.0, 0.0).quantile(0.5) is None
    assert Histogram((), 0.0, 0.0).quantile(0.5) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        slow.quantile(1.5)
