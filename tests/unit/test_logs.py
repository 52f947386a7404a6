"""Log text to records and back: the formats model servers print, tracebacks, the round trip."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving_panel.local.logformat import format_log_line
from serving_panel.logs import LEVELS, LogRecord, format_records, parse_log_text

UTC = timezone.utc


def one(line: str) -> LogRecord:
    records = parse_log_text(line)
    assert len(records) == 1
    return records[0]


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --- one line, each format -------------------------------------------------------------------


def test_the_local_workspace_format() -> None:
    record = one("2026-11-24T20:13:00.123Z INFO model loaded in 1.2 s")
    assert record == LogRecord(
        line=1,
        timestamp=at(2026, 11, 24, 20, 13, 0, 123000),
        level="INFO",
        message="model loaded in 1.2 s",
        raw="2026-11-24T20:13:00.123Z INFO model loaded in 1.2 s",
    )
    assert record.timestamp is not None and record.timestamp.tzinfo is UTC


def test_the_local_workspace_format_keeps_the_message_verbatim() -> None:
    assert one("2026-11-24T20:13:00.123Z WARNING   three spaces ").message == "  three spaces "
    assert one("2026-11-24T20:13:00.123Z ERROR ").message == ""


@given(
    when=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ),
    level=st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR"]),
    message=st.text(),
)
def test_reads_back_what_the_local_workspace_writes(
    when: datetime, level: str, message: str
) -> None:
    line = format_log_line(level, message, now=when)
    record = one(line)
    assert record.timestamp == when.replace(microsecond=when.microsecond // 1000 * 1000)
    assert record.level == level
    expected = message.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    assert record.message == expected
    assert record.continuation is False


@pytest.mark.parametrize(
    ("line", "timestamp", "level", "message"),
    [
        # ISO 8601 with an offset, without a fraction, with nanoseconds, lower-case z
        (
            "2026-11-24T20:13:00+02:00 WARNING disk almost full",
            at(2026, 11, 24, 18, 13),
            "WARNING",
            "disk almost full",
        ),
        ("2026-11-24T20:13:00Z INFO no fraction", at(2026, 11, 24, 20, 13), "INFO", "no fraction"),
        (
            "2026-11-24T20:13:00.123456789-0530 DEBUG nanoseconds",
            at(2026, 11, 25, 1, 43, 0, 123456),
            "DEBUG",
            "nanoseconds",
        ),
        (
            "2026-11-24T20:13:00.5+02 INFO hours only",
            at(2026, 11, 24, 18, 13, 0, 500000),
            "INFO",
            "hours only",
        ),
        ("2026-11-24T20:13:00z INFO lower z", at(2026, 11, 24, 20, 13), "INFO", "lower z"),
        # no offset at all: taken to be UTC
        ("2026-11-24T20:13:00 ERROR naive", at(2026, 11, 24, 20, 13), "ERROR", "naive"),
        # Python logging, the cookbook format and the asctime/levelname/name one
        (
            "2026-11-24 20:13:00,123 - mlflow.pyfunc - ERROR - predict failed - retrying",
            at(2026, 11, 24, 20, 13, 0, 123000),
            "ERROR",
            "mlflow.pyfunc - predict failed - retrying",
        ),
        (
            "2026-11-24 20:13:00,123 - WARNING - no logger name",
            at(2026, 11, 24, 20, 13, 0, 123000),
            "WARNING",
            "no logger name",
        ),
        (
            "2026-11-24 20:13:00,123 ERROR scorer: out of memory",
            at(2026, 11, 24, 20, 13, 0, 123000),
            "ERROR",
            "scorer: out of memory",
        ),
        (
            "2026-11-24 20:13:00,123 INFO     padded level",
            at(2026, 11, 24, 20, 13, 0, 123000),
            "INFO",
            "padded level",
        ),
        # MLflow's own date format
        (
            "2026/11/24 20:13:00 INFO mlflow.models.flavor_backend: loading",
            at(2026, 11, 24, 20, 13),
            "INFO",
            "mlflow.models.flavor_backend: loading",
        ),
        # loguru
        (
            "2026-11-24 20:13:00.123 | WARNING  | app.main:predict:42 - slow request",
            at(2026, 11, 24, 20, 13, 0, 123000),
            "WARNING",
            "app.main:predict:42 - slow request",
        ),
        # gunicorn, as MLflow's scoring server runs it; behind a replica tag too
        (
            "[2026-11-24 20:13:00 +0000] [12] [INFO] Booting worker with pid: 12",
            at(2026, 11, 24, 20, 13),
            "INFO",
            "Booting worker with pid: 12",
        ),
        (
            "[2026-11-24 20:13:00 -0100] [1] [CRITICAL] WORKER TIMEOUT (pid:12)",
            at(2026, 11, 24, 21, 13),
            "CRITICAL",
            "WORKER TIMEOUT (pid:12)",
        ),
        (
            "[5vgzt] [2026-11-24 20:13:00 +0000] [7] [ERROR] Exception in worker process",
            at(2026, 11, 24, 20, 13),
            "ERROR",
            "[5vgzt] Exception in worker process",
        ),
        # uvicorn: a level, no timestamp
        (
            'INFO:     127.0.0.1:5000 - "POST /invocations HTTP/1.1" 200 OK',
            None,
            "INFO",
            '127.0.0.1:5000 - "POST /invocations HTTP/1.1" 200 OK',
        ),
        (
            "WARNING:root:Python logging's basic format",
            None,
            "WARNING",
            "root:Python logging's basic format",
        ),
        ("ERROR", None, "ERROR", ""),
        # a bracketed level, any case
        ("[ERROR] could not load model", None, "ERROR", "could not load model"),
        ("[warn] lower case in brackets", None, "WARNING", "lower case in brackets"),
        # a timestamp with no level
        (
            "2026-11-24T20:13:00Z just a message",
            at(2026, 11, 24, 20, 13),
            None,
            "just a message",
        ),
        ("[2026-11-24 20:13:00] - no level", at(2026, 11, 24, 20, 13), None, "no level"),
    ],
)
def test_recognised_prefixes(
    line: str, timestamp: datetime | None, level: str | None, message: str
) -> None:
    record = one(line)
    assert (record.timestamp, record.level, record.message) == (timestamp, level, message)
    assert record.raw == line
    assert record.continuation is False


@pytest.mark.parametrize(
    ("alias", "level"),
    [
        ("WARN", "WARNING"),
        ("FATAL", "CRITICAL"),
        ("ERR", "ERROR"),
        ("CRIT", "CRITICAL"),
        ("NOTICE", "INFO"),
        ("TRACE", "TRACE"),
    ],
)
def test_level_aliases_are_normalised(alias: str, level: str) -> None:
    assert one(f"2026-11-24T20:13:00Z {alias} x").level == level
    assert one(f"[{alias}] x").level == level
    assert one(f"{alias}: x").level == level


@pytest.mark.parametrize(
    "line",
    [
        "plain output from print()",
        "info: lower-case level words are prose",
        "INFORMATION is not a level",
        "ERRORS: 3",
        "[not a level] hello",
        "[] empty brackets",
        "2026-13-01T00:00:00Z INFO month 13",
        "2026-02-30 10:00:00 ERROR February 30",
        "2026-11-24T25:00:00Z INFO hour 25",
        "2026-11-24T20:13:00+02:99 INFO offset minutes 99",
        "2026-11-24T20:13:00Zulu INFO glued to the timestamp",
        "0000-01-01T00:00:00Z INFO year zero",
        "12:00:00 INFO time without date",
        "٢٠٢٦-11-24T20:13:00Z INFO non-ASCII digits",
        "  indented, but nothing before it to continue",
        "Traceback (most recent call last):",
    ],
)
def test_lines_without_a_prefix_have_no_timestamp_or_level(line: str) -> None:
    record = one(line)
    assert (record.timestamp, record.level, record.message) == (None, None, line)
    assert record.continuation is False


def test_an_offset_converts_to_utc_across_midnight_and_year() -> None:
    record = one("2027-01-01T00:30:00+01:00 INFO happy new year")
    assert record.timestamp == at(2026, 12, 31, 23, 30)
    assert record.timestamp is not None and record.timestamp.utcoffset() == timedelta(0)


# --- continuation lines --------------------------------------------------------------------

TRACEBACK = """\
2026-11-24T20:13:01.000Z ERROR predict failed
Traceback (most recent call last):
  File "/app/model.py", line 12, in predict
    return self.model(x)
           ^^^^^^^^^^^^^
ValueError: shapes (3,) and (4,) not aligned

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/server.py", line 40, in invocations
mlflow.exceptions.MlflowException: prediction failed
2026-11-24T20:13:02.000Z INFO next request
"""


def test_a_traceback_continues_the_record_before_it() -> None:
    records = parse_log_text(TRACEBACK)
    assert len(records) == 13
    head, *block, after = records
    assert head.continuation is False
    assert all(r.continuation for r in block)
    assert {(r.timestamp, r.level) for r in block} == {(at(2026, 11, 24, 20, 13, 1), "ERROR")}
    assert block[0].message == "Traceback (most recent call last):"
    assert block[2].message == "    return self.model(x)"  # indentation kept
    assert block[5].message == ""  # the empty line inside the chained traceback
    assert after.continuation is False
    assert (after.level, after.message) == ("INFO", "next request")


def test_the_first_unindented_line_after_the_frames_ends_the_traceback() -> None:
    text = (
        "[2026-11-24 20:13:00 +0000] [7] [ERROR] Exception in worker process\n"
        "Traceback (most recent call last):\n"
        '  File "gunicorn/arbiter.py", line 589, in spawn_worker\n'
        "KeyboardInterrupt\n"
        "worker exiting\n"
    )
    records = parse_log_text(text)
    assert [r.continuation for r in records] == [False, True, True, True, False]
    assert records[3].level == "ERROR"
    assert (records[4].timestamp, records[4].level) == (None, None)


@pytest.mark.parametrize(
    "line",
    [
        "    at wrapped output",
        "\ttab-indented",
        "ValueError: bad input",
        "requests.exceptions.ConnectionError: refused",
        "UserWarning: deprecated",
        "Traceback (most recent call last):",
    ],
)
def test_continuation_lines_inherit_timestamp_and_level(line: str) -> None:
    first, second = parse_log_text(f"2026-11-24 20:13:00,500 - app - ERROR - boom\n{line}")
    assert second == LogRecord(2, first.timestamp, "ERROR", line, line, continuation=True)


def test_a_continuation_of_a_timestamp_only_record_has_no_level() -> None:
    _, second = parse_log_text("2026-11-24T20:13:00Z starting\n  step 1")
    assert (second.timestamp, second.level, second.continuation) == (
        at(2026, 11, 24, 20, 13),
        None,
        True,
    )


@pytest.mark.parametrize(
    "line",
    ["not indented, not an exception", "Error: not a Python exception name", "KeyboardInterrupt"],
)
def test_other_unprefixed_lines_after_a_record_stand_alone(line: str) -> None:
    _, second = parse_log_text(f"2026-11-24T20:13:00.000Z ERROR boom\n{line}")
    assert (second.timestamp, second.level, second.continuation) == (None, None, False)


def test_a_bare_line_ends_the_record_so_later_indented_lines_do_not_continue_it() -> None:
    records = parse_log_text("2026-11-24T20:13:00.000Z ERROR boom\nprinted output\n  indented")
    assert [(r.level, r.continuation) for r in records] == [
        ("ERROR", False),
        (None, False),
        (None, False),
    ]


def test_empty_lines_stand_alone_unless_a_continuation_follows() -> None:
    text = (
        "2026-11-24T20:13:00.000Z INFO a\n"
        "\n"
        "2026-11-24T20:13:01.000Z WARNING b\n"
        "\n"
        "\n"
        "  continued after two empty lines\n"
        "\n"
    )
    records = parse_log_text(text)
    assert [(r.level, r.continuation, r.message) for r in records] == [
        ("INFO", False, "a"),
        (None, False, ""),
        ("WARNING", False, "b"),
        ("WARNING", True, ""),
        ("WARNING", True, ""),
        ("WARNING", True, "  continued after two empty lines"),
        (None, False, ""),
    ]


def test_a_new_prefixed_line_is_never_a_continuation() -> None:
    records = parse_log_text("2026-11-24T20:13:00.000Z ERROR a\n[INFO] b\nINFO: c")
    assert [(r.level, r.continuation) for r in records] == [
        ("ERROR", False),
        ("INFO", False),
        ("INFO", False),
    ]


# --- lines, line endings and the round trip ---------------------------------------------------


def test_empty_text_has_no_records_and_formats_to_empty() -> None:
    assert parse_log_text("") == []
    assert format_records([]) == ""


def test_a_final_newline_ends_the_last_line_and_is_restored() -> None:
    records = parse_log_text("a\nb\n")
    assert [r.raw for r in records] == ["a", "b"]
    assert format_records(records) == "a\nb\n"
    assert format_records(parse_log_text("a\nb")) == "a\nb\n"
    assert [r.raw for r in parse_log_text("\n")] == [""]
    assert [r.raw for r in parse_log_text("a\n\n")] == ["a", ""]


def test_crlf_is_kept_in_raw_and_dropped_from_message() -> None:
    text = "2026-11-24T20:13:00.000Z INFO a\r\n\r\nplain\r\n"
    records = parse_log_text(text)
    assert [r.raw for r in records] == ["2026-11-24T20:13:00.000Z INFO a\r", "\r", "plain\r"]
    assert [r.message for r in records] == ["a", "", "plain"]
    assert records[0].level == "INFO"
    assert format_records(records) == text


def test_only_newline_separates_lines() -> None:
    line = "2026-11-24T20:13:00.000Z INFO a\rb\u2028c\x0bd\x1ce\u0085f"
    record = one(line)
    assert record.message == "a\rb\u2028c\x0bd\x1ce\u0085f"


def test_odd_unicode_and_control_characters() -> None:
    text = "[ERROR] 💥 ünïcödé\x00\x1b[31m\n\ufeff2026-11-24T20:13:00Z INFO after a BOM\n"
    first, second = parse_log_text(text)
    assert (first.level, first.message) == ("ERROR", "💥 ünïcödé\x00\x1b[31m")
    assert (second.level, second.timestamp) == (None, None)  # a BOM is not a prefix
    assert format_records([first, second]) == text


def test_a_very_long_line() -> None:
    message = "x" * 2_000_000
    record = one(f"2026-11-24T20:13:00.000Z INFO {message}")
    assert record.message == message
    assert one(f"    {message}").message == f"    {message}"


def test_line_numbers_count_every_line() -> None:
    records = parse_log_text("a\n\nb\n  c\n\n")
    assert [r.line for r in records] == [1, 2, 3, 4, 5]


# --- properties ------------------------------------------------------------------------------

# Text that looks like logs often enough for the interesting paths to run.
LOG_LIKE_LINES = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "2026-11-24T20:13:00.123Z INFO ok",
            "[2026-11-24 20:13:00 +0000] [1] [ERROR] x",
            "Traceback (most recent call last):",
            '  File "x", line 1',
            "ValueError: y",
            "KeyboardInterrupt",
            "",
            "\r",
            "INFO:  z",
            "[warn] w",
        ]
    ),
    st.builds(
        "{}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
        st.integers(0, 9999).map("{:04d}".format),
        st.integers(0, 99),
        st.integers(0, 99),
        st.sampled_from(["T", " "]),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.sampled_from(["", ".1", ",123", ".123456789", "Z", "+14:00", "-2359", " +0000", "+99"]),
        st.text(max_size=20),
    ),
)
LOG_TEXT = st.one_of(
    st.text(),
    st.lists(LOG_LIKE_LINES, max_size=30).map("\n".join),
    st.lists(LOG_LIKE_LINES).map("\r\n".join),
)


@given(LOG_TEXT)
def test_parse_never_raises_and_keeps_every_line(text: str) -> None:
    records = parse_log_text(text)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    assert [r.line for r in records] == list(range(1, len(lines) + 1))
    assert [r.raw for r in records] == lines


@given(LOG_TEXT)
def test_round_trip(text: str) -> None:
    formatted = format_records(parse_log_text(text))
    assert formatted == (text if text == "" or text.endswith("\n") else text + "\n")
    assert parse_log_text(formatted) == parse_log_text(text)


@given(LOG_TEXT)
def test_record_invariants(text: str) -> None:
    previous: LogRecord | None = None
    for record in parse_log_text(text):
        assert record.level is None or record.level in LEVELS
        if record.timestamp is not None:
            assert record.timestamp.utcoffset() == timedelta(0)
        line = record.raw[:-1] if record.raw.endswith("\r") else record.raw
        if record.timestamp is None and record.level is None:
            assert record.message == line
        if record.continuation:
            assert previous is not None
            assert (record.timestamp, record.level) == (previous.timestamp, previous.level)
            assert record.timestamp is not None or record.level is not None
            assert record.message == line
        previous = record
