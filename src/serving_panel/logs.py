"""Log text (build logs and server logs, `{"logs": "<text>"}`) to records and back.

The panel's log viewer shows line numbers, a level colour and a timestamp for each line, and it
filters by level; this module finds those in whatever the model server printed. It is pure
(stdlib only) so that the client, the panel and the tests can share it without extra imports.

Lines and the trailing-newline rule
    Only ``"\\n"`` separates lines. A final ``"\\n"`` ends the last line rather than starting an
    empty one, so ``"a\\nb\\n"`` and ``"a\\nb"`` both hold two lines and ``""`` holds none.
    `format_records` ends every line with ``"\\n"``, hence for any text ``t``::

        format_records(parse_log_text(t)) == (t if t == "" or t.endswith("\\n") else t + "\\n")

    `raw` is the line exactly as it was, including the ``"\\r"`` of a ``"\\r\\n"`` ending;
    `message` never holds that ``"\\r"``.

Prefixes recognised (timestamps become aware UTC datetimes; one without an offset is taken to be
UTC already; an impossible date such as month 13 means the line has no timestamp prefix)
    ``2026-11-24T20:13:00.123Z INFO message``              the local workspace (message verbatim)
    ``2026-11-24T20:13:00+02:00 WARNING msg``              ISO 8601, any fraction, Z/±HH:MM/±HHMM
    ``2026-11-24 20:13:00,123 - name - ERROR - msg``       Python logging cookbook format
    ``2026-11-24 20:13:00,123 ERROR name: msg``            Python logging / MLflow (``2026/11/24``)
    ``2026-11-24 20:13:00.123 | INFO     | mod:f:1 - msg``  loguru
    ``[2026-11-24 20:13:00 +0000] [12] [INFO] msg``        gunicorn (MLflow's scoring server)
    ``[5vgzt] [2026-11-24 ...] [12] [INFO] msg``           the same behind a replica/pod tag
    ``INFO:     127.0.0.1:5000 - "POST ..." 200 OK``       uvicorn (also ``WARNING:root:msg``)
    ``[ERROR] msg``                                        a bracketed level, any letter case

    Unbracketed level words must be upper case (``INFO``, not ``info``), so ordinary prose is not
    mistaken for a level. Aliases: WARN→WARNING, ERR→ERROR, FATAL/CRIT→CRITICAL, NOTICE→INFO.
    `message` drops the timestamp, the level, the punctuation around them and gunicorn's pid,
    and keeps the names that say where a line came from (logger name, replica tag). Padding
    after a level is dropped, except in the local workspace format, whose message is verbatim.

Continuation lines
    A line with no prefix continues the record before it (and inherits its timestamp and level)
    when that record has a timestamp or a level and the line starts with a space or tab, starts
    with ``Traceback``, looks like an exception (``ValueError: ...``, ``pkg.mod.SomeWarning``),
    is the first unindented line after a traceback's frames (``KeyboardInterrupt``), or is one of
    the sentences that chain two tracebacks. Empty lines between such lines belong to the same
    record; other empty lines stand alone, with no timestamp and no level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["LEVELS", "LogRecord", "format_records", "parse_log_text"]

LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Every spelling of a level this module accepts, upper-cased, to its name in LEVELS.
_ALIASES = {
    **{level: level for level in LEVELS},
    "WARN": "WARNING",
    "ERR": "ERROR",
    "FATAL": "CRITICAL",
    "CRIT": "CRITICAL",
    "NOTICE": "INFO",
}
# Longest first, so that the regex alternation prefers WARNING over WARN.
_LEVEL_RE = "|".join(sorted(_ALIASES, key=len, reverse=True))
# A line can only start with an unbracketed level if it starts with one of these letters.
_LEVEL_INITIALS = frozenset(name[0] for name in _ALIASES)

_UTC = timezone.utc


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line of a log, with what its prefix says about it."""

    line: int
    """1-based line number in the text."""
    timestamp: datetime | None
    """Aware, in UTC; None when neither the line nor the record it continues carries one."""
    level: str | None
    """One of LEVELS, or None."""
    message: str
    """The line without its timestamp/level prefix (and without a trailing carriage return)."""
    raw: str
    """The line exactly as it was."""
    continuation: bool = False
    """True when the line continues the record before it (a traceback, wrapped output)."""


# The local workspace's own format (serving_panel.local.logformat), by far the most common line
# in its logs: one regex, the message verbatim after exactly one space.
_WORKSPACE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z "
    r"(TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)

# Date and time (groups 1-6), fraction (7), offset (8). `T` or a space between date and time,
# `-` or `/` in the date (MLflow writes 2026/11/24), `.` or `,` before the fraction.
_TIMESTAMP = (
    r"([0-9]{4})[-/]([0-9]{2})[-/]([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]{1,9}))?"
    r"(?: ?(Z|z|UTC|[+-][0-9]{2}(?::?[0-9]{2})?))?"
)
_LEADING_TIMESTAMP = re.compile(_TIMESTAMP + r"(?=[ \t]|$)")
_BRACKETED_TIMESTAMP = re.compile(r"\[" + _TIMESTAMP + r"\]")

# What may follow a timestamp. The named alternatives are tried in order:
#   " - name - LEVEL - msg" / " - LEVEL - msg"       (Python logging cookbook)
#   " | LEVEL    | msg"                              (loguru)
#   " [pid] [LEVEL] msg" / " [LEVEL] msg" / " LEVEL msg" / " LEVEL: msg"
_AFTER_TIMESTAMP = re.compile(
    rf" - (?:(?P<py_name>.*?) - )?(?P<py_level>{_LEVEL_RE}) - (?P<py_msg>.*)"
    rf"| \| (?P<lg_level>{_LEVEL_RE}) *\| ?(?P<lg_msg>.*)"
    rf"|[ \t]+(?:\[[0-9]+\] )?(?:\[(?P<br_level>(?i:{_LEVEL_RE}))\]:?|(?P<sp_level>{_LEVEL_RE}):?)"
    rf"(?:[ \t]+|$)(?P<sp_msg>.*)"
)
# A timestamp with no level: drop the separator before the message.
_SEPARATOR = re.compile(r"[ \t]*(?:[-|:](?:[ \t]+|$))?")

_BRACKETED_LEVEL = re.compile(rf"\[((?i:{_LEVEL_RE}))\]:?(?:[ \t]+|$)")
_LEADING_LEVEL = re.compile(rf"({_LEVEL_RE})(?::[ \t]*|[ \t]+(?:-[ \t]+)?|$)")
# A replica, pod or container tag in front of a prefixed line: `[5vgzt] [2026-...] ...`.
_TAG = re.compile(r"\[[^\]\s]{1,64}\] ")

_EXCEPTION = re.compile(r"\w+(?:\.\w+)*(?:Error|Exception|Warning)\b")
_CHAINING = (
    "During handling of the above exception",
    "The above exception was the direct cause",
)

# Parsed timestamps to the second, keyed by their text: lines of one log share seconds.
_SECONDS_CACHE: dict[str, datetime | None] = {}
_SECONDS_CACHE_LIMIT = 4096
# Adding one of these is several times faster than datetime.replace(microsecond=...).
_MILLISECONDS = tuple(timedelta(milliseconds=n) for n in range(1000))

_Prefix = tuple[datetime | None, str | None, str]


def _timestamp(
    key: str,
    year: str,
    month: str,
    day: str,
    hour: str,
    minute: str,
    second: str,
    fraction: str | None,
    offset: str | None,
) -> datetime | None:
    """The aware UTC datetime these parts name, or None when they name no real instant.

    `key` is the text up to the seconds plus the offset: the cache key for the whole seconds.
    """
    try:
        base = _SECONDS_CACHE[key]
    except KeyError:
        base = _to_utc(year, month, day, hour, minute, second, offset)
        if len(_SECONDS_CACHE) >= _SECONDS_CACHE_LIMIT:
            _SECONDS_CACHE.clear()
        _SECONDS_CACHE[key] = base
    if base is None or not fraction:
        return base
    return base.replace(microsecond=int(fraction[:6].ljust(6, "0")))


def _match_timestamp(found: re.Match[str]) -> datetime | None:
    """The instant in a _TIMESTAMP match (groups 1-8)."""
    year, month, day, hour, minute, second, fraction, offset = found.groups()
    key = f"{year}{month}{day}{hour}{minute}{second}{offset}"
    return _timestamp(key, year, month, day, hour, minute, second, fraction, offset)


def _to_utc(
    year: str, month: str, day: str, hour: str, minute: str, second: str, offset: str | None
) -> datetime | None:
    """The instant to the second; None for impossible dates, times or offsets."""
    tz = _UTC
    if offset and offset not in ("Z", "z", "UTC"):
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours >= 24 or minutes >= 60:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if offset[0] == "-" else delta) if delta else _UTC
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz
        )
        return moment if tz is _UTC else moment.astimezone(_UTC)
    except (ValueError, OverflowError):
        return None


def _after_timestamp(when: datetime, rest: str) -> _Prefix:
    """The level and message in what follows a timestamp."""
    found = _AFTER_TIMESTAMP.match(rest)
    if found is not None:
        if (level := found["py_level"]) is not None:
            name = found["py_name"]
            message = found["py_msg"] if name is None else f"{name} - {found['py_msg']}"
            return when, _ALIASES[level], message
        if (level := found["lg_level"]) is not None:
            return when, _ALIASES[level], found["lg_msg"]
        level = found["sp_level"] or found["br_level"]
        return when, _ALIASES[level.upper()], found["sp_msg"]
    separator = _SEPARATOR.match(rest)
    return when, None, rest[separator.end() :] if separator is not None else rest


def _parse_prefix(line: str, tagged: bool = False) -> _Prefix | None:
    """Timestamp, level and message of a line with a recognised prefix; None for any other."""
    first = line[0]
    if "0" <= first <= "9":
        found = _WORKSPACE.match(line)
        if found is not None:
            key = line[:19]
            try:
                base = _SECONDS_CACHE[key]
            except KeyError:
                base = _timestamp(
                    key, line[:4], line[5:7], line[8:10], line[11:13], line[14:16], line[17:19],
                    None, "Z",
                )  # fmt: skip
            if base is not None:
                return (
                    base + _MILLISECONDS[int(line[20:23])],
                    found[1],
                    line[found.end() :],
                )
        found = _LEADING_TIMESTAMP.match(line)
        if found is None or (when := _match_timestamp(found)) is None:
            return None
        return _after_timestamp(when, line[found.end() :])
    if first == "[":
        found = _BRACKETED_TIMESTAMP.match(line)
        if found is not None:
            when = _match_timestamp(found)
            return None if when is None else _after_timestamp(when, line[found.end() :])
        found = _BRACKETED_LEVEL.match(line)
        if found is not None:
            return None, _ALIASES[found[1].upper()], line[found.end() :]
        if not tagged and (found := _TAG.match(line)) is not None:
            rest = line[found.end() :]
            inner = _parse_prefix(rest, tagged=True) if rest else None
            if inner is not None:
                return inner[0], inner[1], f"{found[0]}{inner[2]}"
        return None
    if first in _LEVEL_INITIALS:
        found = _LEADING_LEVEL.match(line)
        if found is not None:
            return None, _ALIASES[found[1]], line[found.end() :]
    return None


def parse_log_text(text: str) -> list[LogRecord]:
    """Split `text` into one record per line; never raises, whatever the text holds."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    records: list[LogRecord] = []
    append = records.append
    when: datetime | None = None  # what a continuation inherits
    level: str | None = None
    parsed = False  # the last non-empty record has a timestamp or a level
    in_traceback = False  # between a "Traceback" line and its exception line
    after_exception = False  # just past an exception line: a chained traceback may follow
    blanks: list[tuple[int, str]] = []  # empty lines whose record depends on the next line

    for number, raw in enumerate(lines, 1):
        line = raw[:-1] if raw[-1:] == "\r" else raw
        if not line:
            blanks.append((number, raw))
            continue
        prefix = _parse_prefix(line)
        if prefix is not None:
            when, level, message = prefix
            parsed = when is not None or level is not None
            in_traceback = after_exception = False
            if blanks:
                for blank_number, blank_raw in blanks:
                    append(LogRecord(blank_number, None, None, "", blank_raw))
                blanks.clear()
            append(LogRecord(number, when, level, message, raw))
            continue

        continues = False
        if parsed:
            first = line[0]
            if first == " " or first == "\t":
                continues = True
            elif line.startswith("Traceback"):
                continues, in_traceback, after_exception = True, True, False
            elif in_traceback or _EXCEPTION.match(line) is not None:
                continues, in_traceback, after_exception = True, False, True
            elif after_exception and line.startswith(_CHAINING):
                continues = True
        if continues:
            if blanks:
                for blank_number, blank_raw in blanks:
                    append(LogRecord(blank_number, when, level, "", blank_raw, True))
                blanks.clear()
            append(LogRecord(number, when, level, line, raw, True))
        else:
            if blanks:
                for blank_number, blank_raw in blanks:
                    append(LogRecord(blank_number, None, None, "", blank_raw))
                blanks.clear()
            append(LogRecord(number, None, None, line, raw))
            when, level, parsed, in_traceback, after_exception = None, None, False, False, False

    for blank_number, blank_raw in blanks:
        append(LogRecord(blank_number, None, None, "", blank_raw))
    return records


def format_records(records: Iterable[LogRecord]) -> str:
    """The text the records came from: each `raw` followed by a newline (see the module doc)."""
    return "".join([record.raw + "\n" for record in records])
