"""The log viewer's data source: build and server logs, parsed once, served to the view in pages.

A log can hold hundreds of thousands of lines, far more than one custom message should carry
(see `protocol.MAX_REPLY_BYTES`), so the view asks for it page by page. The first page (offset
0, or any page with ``refetch``) reads the log through the panel's client and parses it with
`serving_panel.logs.parse_log_text`; the parsed lines are kept per (entity, kind, config
version), and later pages are cut from them.

Requests (the envelope is `protocol`'s):

``logs.page``  ``{entity, kind: "build"|"server", config_version: int|null, offset, limit,
refetch}`` → ``{lines, total, offset, source_revision}``
    ``lines`` are ``[line_no, ts_ms|null, level|null, message, continuation]``: the 1-based line
    number, the timestamp in epoch milliseconds, one of `logs.LEVELS`, the message without its
    prefix and whether the line continues the record before it (it then carries that record's
    timestamp and level). A page holds at most ``limit`` lines, never more than
    `MAX_PAGE_LINES`, and is cut shorter when its JSON would pass `MAX_PAGE_BYTES`; the view
    asks for the next page at ``offset + len(lines)`` until it has ``total``.

``logs.follow``  ``{entity, kind, config_version, known[, source_revision]}``
    Reads the log again. When its first ``known`` lines are the ones already served (for
    ``known`` 0, always), the answer is ``{lines, total, offset: known, reset: false,
    source_revision}`` with the lines after them (one page at most; the rest come through
    ``logs.page``); otherwise ``{reset: true, total, source_revision}`` and the view reloads
    from offset 0. Server logs hold only the most recent
    lines, so once their window slides the answer is a reset.

``source_revision`` names the text the pages are cut from. It changes when a read finds lines
that were already served changed (not when lines are only added), so a view that sees it change
between two pages knows to start again.

API errors come back as reply errors with the service's own message, code and status: a 403
says which permission level reading logs needs.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from serving_panel.errors import ServingError
from serving_panel.logs import parse_log_text
from serving_panel.panel.protocol import invalid, request_error

if TYPE_CHECKING:
    from serving_panel.panel.protocol import PanelHost

__all__ = ["MAX_PAGE_BYTES", "MAX_PAGE_LINES", "PanelLogs", "install"]

#: Most lines in one page, whatever the view asks for.
MAX_PAGE_LINES = 20_000
#: Most bytes of JSON the lines of one page take (the reply cap is 5 MB; stay well under).
MAX_PAGE_BYTES = 2 * 1024 * 1024
#: Parsed logs kept per panel (least recently used dropped first).
MAX_CACHED_LOGS = 4

KINDS = ("build", "server")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)
_JSON = json.JSONEncoder(separators=(",", ":"))  # ensure_ascii, as the reply's size is measured

Row = list[Any]
"""``[line_no, ts_ms|None, level|None, message, continuation]``"""

_Key = tuple[str, str, int | None]


@dataclass
class _Log:
    raw: list[str]
    """Each line exactly as read: what `follow` compares."""
    rows: list[Row]
    revision: int


class PanelLogs:
    """The `logs.page` and `logs.follow` handlers of one panel, and the logs they parsed."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel
        self._logs: OrderedDict[_Key, _Log] = OrderedDict()
        self._revisions = itertools.count(1)

    # Handlers ------------------------------------------------------------------------------

    def page(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        key = _key(payload)
        offset = _integer(payload, "offset", minimum=0)
        limit = _integer(payload, "limit", minimum=1)
        refetch = payload.get("refetch", False)
        if not isinstance(refetch, bool):
            raise invalid("refetch", f"must be true or false, got {refetch!r}")
        log = self._logs.get(key)
        if log is None or offset == 0 or refetch:
            log = self._read(key)
        else:
            self._logs.move_to_end(key)
        total = len(log.rows)
        start = min(offset, total)
        lines = fit_page(log.rows[start : start + min(limit, MAX_PAGE_LINES)])
        return {
            "lines": lines,
            "total": total,
            "offset": start,
            "source_revision": log.revision,
        }

    def follow(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        key = _key(payload)
        known = _integer(payload, "known", minimum=0)
        revision = payload.get("source_revision")
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise invalid("source_revision", f"must be an integer or null, got {revision!r}")
        before = self._logs.get(key)
        after = self._read(key)
        total = len(after.rows)
        continues = known == 0 or (
            before is not None
            and (revision is None or revision == before.revision)
            and known <= len(before.raw)
            and known <= len(after.raw)
            and after.raw[:known] == before.raw[:known]
        )
        if not continues:
            return {"reset": True, "total": total, "source_revision": after.revision}
        return {
            "lines": fit_page(after.rows[known : known + MAX_PAGE_LINES]),
            "total": total,
            "offset": known,
            "reset": False,
            "source_revision": after.revision,
        }

    # The cache -----------------------------------------------------------------------------

    def _read(self, key: _Key) -> _Log:
        entity, kind, version = key
        client = self._panel.client
        fetch: Callable[..., str] = client.build_logs if kind == "build" else client.logs
        try:
            text = fetch(self._panel.endpoint_name, entity, config_version=version)
        except ServingError as error:
            raise request_error(error) from None
        records = parse_log_text(text)
        raw = [record.raw for record in records]
        rows: list[Row] = [
            [
                record.line,
                None if record.timestamp is None else (record.timestamp - _EPOCH) // _MILLISECOND,
                record.level,
                record.message,
                record.continuation,
            ]
            for record in records
        ]
        before = self._logs.get(key)
        if before is not None and raw[: len(before.raw)] == before.raw:
            revision = before.revision  # the same text, or lines added after it
        else:
            revision = next(self._revisions)
        log = _Log(raw, rows, revision)
        self._logs[key] = log
        self._logs.move_to_end(key)
        while len(self._logs) > MAX_CACHED_LOGS:
            self._logs.popitem(last=False)
        return log


def install(panel: PanelHost) -> PanelLogs:
    """Registers the log viewer's request kinds on `panel`."""
    logs = PanelLogs(panel)
    panel.register_request("logs.page", logs.page)
    panel.register_request("logs.follow", logs.follow)
    return logs


def fit_page(rows: list[Row], budget: int = MAX_PAGE_BYTES) -> list[Row]:
    """The longest head of `rows` whose JSON fits in `budget` bytes (at least one row, its
    message shortened if even that row alone would not fit)."""
    if not rows or len(_JSON.encode(rows)) <= budget:
        return rows
    used = 2  # the brackets
    for count, row in enumerate(rows):
        used += len(_JSON.encode(row)) + (1 if count else 0)
        if used > budget:
            return rows[:count] if count else [_shortened(row, budget)]
    return rows


def _shortened(row: Row, budget: int) -> Row:
    """One line too long for a page on its own, cut to fit with a note saying so."""
    message: str = row[3]
    keep = len(message)
    while True:
        keep //= 2
        note = f" … [line shortened: {len(message):,} characters, {keep:,} shown]"
        shortened = [*row[:3], message[:keep] + note, row[4]]
        if keep == 0 or len(_JSON.encode([shortened])) <= budget:
            return shortened


def _key(payload: Mapping[str, Any]) -> _Key:
    entity = payload.get("entity")
    if not isinstance(entity, str) or not entity:
        raise invalid("entity", f"must be a served entity name, got {entity!r}")
    kind = payload.get("kind")
    if kind not in KINDS:
        raise invalid("kind", f"must be 'build' or 'server', got {kind!r}")
    version = payload.get("config_version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or version < 1
    ):
        raise invalid("config_version", f"must be a positive integer or null, got {version!r}")
    return entity, kind, version


def _integer(payload: Mapping[str, Any], field: str, *, minimum: int) -> int:
    value = payload.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise invalid(field, f"must be an integer of at least {minimum}, got {value!r}")
    return value
