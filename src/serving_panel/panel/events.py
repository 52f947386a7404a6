"""The Events tab's data source: a timeline the panel makes from what it observes.

The serving API keeps no events (the Databricks UI's Events tab has no public endpoint), so the
panel synthesizes them. It compares each snapshot it publishes (`PanelHost.on_publish`) with the
one before, and while an update is in progress it reads the build log of each pending served
entity, new lines only, for milestones. Features that change what no snapshot shows (a permission
change made through the panel) add theirs through `PanelHost.record_event`. So the timeline only
covers the time this panel has been open, at the resolution of its refreshes: a state that came
and went between two refreshes is not in it.

What becomes an event (``kind``):

``state``        the first snapshot, ``ready`` and ``config_update`` changing, the endpoint deleted
``config``       a config version appearing as pending, its update's start (at the pending config's
                 own ``start_time``), a version becoming current
``entity``       a served entity's deployment state or message changing (a pending config's
                 entities from their first sight; the current config's from the second)
``build``        a timestamped build-log line matching `MILESTONES`, at the line's own time; the
                 log of each pending entity not yet ready is read at most once per refresh
                 (`MAX_BUILD_READS` in all), plus once more when the update ends
``permissions``  recorded by the permissions feature after a change it applied

An event, as ``events.list`` sends it: ``{seq, time, kind, entity, config_version, summary,
link}``. ``seq`` grows by one per event (the cursor); ``time`` is epoch milliseconds;
``entity`` and ``config_version`` are null when the event concerns the whole endpoint;
``summary`` is one line of plain text, server words included (the view shows it as text);
``link`` is what the event concerns, for the view to open: ``{"tab": "logs", "entity",
"version", "kind": "build"|"server", "line"?}``, ``{"tab": "overview"}`` (the config and its
diff, the triage card), ``{"tab": "permissions"}``, or null. The panel keeps the newest
`MAX_EVENTS`.

Requests (the envelope is `protocol`'s):

``events.list``  ``{since: int}`` → ``{events, last, reset}``
    The events with ``seq`` above ``since`` (0: all kept), oldest first; ``last`` is the newest
    ``seq`` (0 when there is none), the ``since`` of the next ask. ``reset`` is true when the
    view should drop what it holds and keep only these: events after ``since`` were dropped
    from the bounded buffer, or ``since`` is ahead of ``last`` (a view of an earlier kernel).

Events are not in the synced snapshot on purpose: that may be saved in the notebook, and it is
sent again on every refresh; the view asks for new events when a new snapshot arrives.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serving_panel.logs import parse_log_text
from serving_panel.panel.protocol import invalid

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.panel.protocol import PanelHost

__all__ = ["KINDS", "MAX_EVENTS", "MILESTONES", "PanelEvents", "install"]

_log = logging.getLogger(__name__)

KINDS = ("state", "entity", "config", "permissions", "build")
#: Events kept per panel; the oldest go first.
MAX_EVENTS = 500
#: Build logs read per refresh at most, whatever the number of pending entities.
MAX_BUILD_READS = 4
#: Longest summary; a longer one is cut with "…".
MAX_SUMMARY = 300

#: Build-log messages that are milestones (searched in the message, after its timestamp and
#: level). The local workspace's builder (local/builds/build.py) writes these words; add a
#: pattern here for another builder's.
MILESTONES = (
    re.compile(r"\bbuild (?:started|finished|failed)\b", re.IGNORECASE),
    re.compile(r"\bloading the model\b", re.IGNORECASE),
    re.compile(r"\bmodel failed to load\b", re.IGNORECASE),
    re.compile(r"\bthe update was released\b", re.IGNORECASE),
)

_READY = "DEPLOYMENT_READY"
_FAILED = "DEPLOYMENT_FAILED"
_ENTITY_WORDS = {
    "DEPLOYMENT_CREATING": "creating",
    _READY: "ready",
    _FAILED: "failed",
    "DEPLOYMENT_RECOVERING": "recovering",
    "DEPLOYMENT_ABORTED": "aborted",
}
_READY_WORDS = {"READY": "Endpoint ready", "NOT_READY": "Endpoint not ready"}
_UPDATE_WORDS = {
    "IN_PROGRESS": "Update in progress",
    "NOT_UPDATING": "Update finished",
    "UPDATE_FAILED": "Update failed",
    "UPDATE_CANCELED": "Update canceled",
}
_OVERVIEW = {"tab": "overview"}
_FIELDS = ("entity", "config_version", "link", "time")

Event = dict[str, Any]


@dataclass
class _BuildLog:
    lines: int = 0
    """Lines of the log already read."""
    done: bool = False
    """Read for the last time (the entity's build is over)."""


class PanelEvents:
    """The timeline of one panel: what it observed, and the ``events.list`` handler."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._seq = 0
        self._last: dict[str, Any] | None = None
        self._entities: dict[tuple[str, int | None], tuple[str | None, str | None]] = {}
        self._pending_seen: set[int | None] = set()
        self._builds: dict[tuple[str, int | None], _BuildLog] = {}

    # Recording -----------------------------------------------------------------------------

    def record(self, kind: str, summary: str, **details: Any) -> Event:
        """Adds one event. `details` may give `entity`, `config_version`, `link` and `time`
        (epoch ms; default now); anything else is a mistake and raises TypeError."""
        if kind not in KINDS:
            raise ValueError(f"kind: must be one of {', '.join(KINDS)}, got {kind!r}")
        unknown = sorted(set(details) - set(_FIELDS))
        if unknown:
            raise TypeError(f"unknown event details: {', '.join(unknown)}")
        moment = details.get("time")
        text = " ".join(str(summary).split())
        if len(text) > MAX_SUMMARY:
            text = text[: MAX_SUMMARY - 1] + "…"
        self._seq += 1
        event: Event = {
            "seq": self._seq,
            "time": _now() if moment is None else int(moment),
            "kind": kind,
            "entity": details.get("entity"),
            "config_version": details.get("config_version"),
            "summary": text,
            "link": details.get("link"),
        }
        self._events.append(event)
        return event

    def observe(self, snapshot: dict[str, Any]) -> None:
        """Turns what changed since the last snapshot into events (the host calls this with
        every snapshot it publishes)."""
        before = self._last
        if snapshot.get("deleted"):
            if before is not None and not before.get("deleted"):
                self.record("state", "Endpoint deleted", link=None)
            self._last = snapshot
            return
        if snapshot.get("error") is not None or snapshot.get("state") is None:
            return  # a failed read keeps what was shown: nothing new was observed
        self._states(before, snapshot)
        self._configs(before, snapshot)
        self._entity_states(snapshot)
        self._build_milestones(before, snapshot)
        self._last = snapshot

    def _states(self, before: dict[str, Any] | None, now: dict[str, Any]) -> None:
        pending = _version(now.get("pending"))
        if before is None:
            current = _version(now.get("config"))
            said = f"Panel opened: {now.get('state')}"
            if current is not None:
                said += f"; config v{current} current"
            if pending is not None and now.get("config_update") == "IN_PROGRESS":
                said += f"; update to v{pending} in progress"
            self.record("state", said, link=_OVERVIEW)
            return
        for field, words in (("ready", _READY_WORDS), ("config_update", _UPDATE_WORDS)):
            old, new = before.get(field), now.get(field)
            if old == new:
                continue
            version = pending if pending is not None else _version(before.get("pending"))
            phrase = words.get(str(new), f"{field} changed")
            if new == "NOT_UPDATING" and old != "IN_PROGRESS":
                phrase = "No update in progress"
            self.record(
                "state",
                f"{phrase} ({field}: {old} → {new})",
                config_version=version if field == "config_update" else None,
                link=_OVERVIEW,
            )

    def _configs(self, before: dict[str, Any] | None, now: dict[str, Any]) -> None:
        pending = now.get("pending")
        version = _version(pending)
        if pending is not None and version not in self._pending_seen:
            self._pending_seen.add(version)
            if len(self._pending_seen) > 64:
                self._pending_seen = {version}
            names = ", ".join(e.get("name", "?") for e in pending.get("entities", []))
            self.record(
                "config",
                f"Config v{version} pending" + (f": {names}" if names else ""),
                config_version=version,
                link=_OVERVIEW,
            )
            started = pending.get("start_time")
            if isinstance(started, int):
                self.record(
                    "config",
                    f"Update to config v{version} started",
                    config_version=version,
                    link=_OVERVIEW,
                    time=started,
                )
        current = _version(now.get("config"))
        if before is not None and current is not None and current != _version(before.get("config")):
            self.record(
                "config",
                f"Config v{current} is now current",
                config_version=current,
                link=_OVERVIEW,
            )

    def _entity_states(self, now: dict[str, Any]) -> None:
        seen: dict[tuple[str, int | None], tuple[str | None, str | None]] = {}
        for config, pending in ((now.get("pending"), True), (now.get("config"), False)):
            if config is None:
                continue
            version = _version(config)
            for entity in config.get("entities", []):
                name = str(entity.get("name", ""))
                key = (name, version)
                state = (entity.get("state"), entity.get("message"))
                seen[key] = state
                old = self._entities.get(key)
                if old == state:
                    continue
                if old is None and not pending:
                    continue  # a current config's entities are a baseline when first seen
                word = _ENTITY_WORDS.get(str(state[0]), str(state[0]).lower())
                if old is not None and old[0] == state[0]:
                    word = f"({word})"
                message = state[1] or ""
                building = pending or state[0] in (_FAILED, "DEPLOYMENT_CREATING")
                self.record(
                    "entity",
                    f"{name} {word}" + (f": {message}" if message else ""),
                    entity=name,
                    config_version=version,
                    link=_log_link(name, version, "build" if building else "server"),
                )
        self._entities = seen  # entities of configs no longer shown are forgotten

    def _build_milestones(self, before: dict[str, Any] | None, now: dict[str, Any]) -> None:
        if now.get("config_update") == "IN_PROGRESS" and now.get("pending") is not None:
            config, last_read = now["pending"], False
        elif before is not None and before.get("config_update") == "IN_PROGRESS":
            config, last_read = before.get("pending"), True  # the update ended: read once more
        else:
            return
        if config is None:
            return
        version = _version(config)
        reads = 0
        for entity in config.get("entities", []):
            name = str(entity.get("name", ""))
            key = (name, version)
            log = self._builds.get(key)
            if log is None:
                if entity.get("state") == _READY or last_read:
                    continue  # not built in this version (or not while the panel watched)
                log = self._builds[key] = _BuildLog()
            if log.done or reads >= MAX_BUILD_READS:
                continue
            reads += 1
            self._read_build_log(name, version, log)
            if last_read or entity.get("state") in (_READY, _FAILED):
                log.done = True
        if last_read:
            self._builds = {k: v for k, v in self._builds.items() if k[1] != version}

    def _read_build_log(self, entity: str, version: int | None, log: _BuildLog) -> None:
        try:
            text = self._panel.client.build_logs(
                self._panel.endpoint_name, entity, config_version=version
            )
        except Exception:  # the next refresh tries again; the timeline is a convenience
            _log.debug("reading the build log of %s v%s failed", entity, version, exc_info=True)
            return
        lines = text.split("\n") if text else []  # an empty log has no lines, not one
        if text.endswith("\n"):
            lines.pop()
        if len(lines) < log.lines:
            log.lines = 0  # the log was replaced: read it again from the start
        new, skipped = lines[log.lines :], log.lines
        log.lines = len(lines)
        for record in parse_log_text("\n".join(new)):
            if record.timestamp is None or record.continuation:
                continue
            if not any(pattern.search(record.message) for pattern in MILESTONES):
                continue
            line = skipped + record.line
            self.record(
                "build",
                record.message,
                entity=entity,
                config_version=version,
                link={**_log_link(entity, version, "build"), "line": line},
                time=int(record.timestamp.timestamp() * 1000),
            )

    # Reading -------------------------------------------------------------------------------

    def listing(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The ``events.list`` handler."""
        since = payload.get("since", 0)
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            raise invalid("since", f"must be an integer of at least 0, got {since!r}")
        oldest = self._events[0]["seq"] if self._events else self._seq + 1
        reset = since > self._seq or (since > 0 and since < oldest - 1)
        start = 0 if reset else since
        return {
            "events": [dict(event) for event in self._events if event["seq"] > start],
            "last": self._seq,
            "reset": reset,
        }

    def events(self) -> list[Event]:
        """The events kept, oldest first (copies)."""
        return [dict(event) for event in self._events]

    def frame(self) -> pd.DataFrame:
        """The events kept as a DataFrame, oldest first: time (UTC datetime), kind, entity,
        config_version (nullable integer) and summary."""
        import pandas as pd

        ordered = sorted(self._events, key=lambda e: (e["time"], e["seq"]))
        frame: pd.DataFrame = pd.DataFrame(
            {
                "time": pd.Series(
                    pd.to_datetime([e["time"] for e in ordered], unit="ms", utc=True),
                    dtype="datetime64[ns, UTC]",  # as the client's frames (frames.py) have it
                ),
                "kind": pd.Series([e["kind"] for e in ordered], dtype="object"),
                "entity": pd.Series([e["entity"] for e in ordered], dtype="object"),
                "config_version": pd.array([e["config_version"] for e in ordered], dtype="Int64"),
                "summary": pd.Series([e["summary"] for e in ordered], dtype="object"),
            }
        )
        return frame


def install(panel: PanelHost) -> PanelEvents:
    """Starts the timeline of `panel`: it observes every snapshot published from now on and
    answers ``events.list``."""
    events = PanelEvents(panel)
    panel.on_publish(events.observe)
    panel.register_request("events.list", events.listing)
    return events


def _version(config: Mapping[str, Any] | None) -> int | None:
    if config is None:
        return None
    value = config.get("version")
    return value if isinstance(value, int) else None


def _log_link(entity: str, version: int | None, kind: str) -> dict[str, Any]:
    return {"tab": "logs", "entity": entity, "version": version, "kind": kind}


def _now() -> int:
    return int(time.time() * 1000)
