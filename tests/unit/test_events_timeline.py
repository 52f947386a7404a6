"""panel/events.py on a scripted host: which snapshot changes become events, how build logs
are read (once per refresh per pending entity, new lines only), the bounded buffer and the
``events.list`` cursor. The live version is tests/widget/test_panel_events.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from serving_panel.panel import events as events_module
from serving_panel.panel.events import PanelEvents, install
from serving_panel.panel.protocol import Handler, Observer, RequestError

T = 1_700_000_000_000


def line(ms_after: int, level: str, message: str) -> str:
    seconds, ms = divmod(ms_after, 1000)
    return f"2023-11-14T22:13:{20 + seconds:02d}.{ms:03d}Z {level} {message}"


class Client:
    def __init__(self) -> None:
        self.logs: dict[tuple[str, int | None], list[str]] = {}
        self.reads: list[tuple[str, int | None]] = []

    def build_logs(self, name: str, entity: str, *, config_version: int | None = None) -> str:
        self.reads.append((entity, config_version))
        return "\n".join(self.logs.get((entity, config_version), []))


class Host:
    endpoint_name = "ep"

    def __init__(self) -> None:
        self.client = Client()
        self.observers: list[Observer] = []
        self.handlers: dict[str, Handler] = {}

    def on_publish(self, observer: Observer) -> None:
        self.observers.append(observer)

    def register_request(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    def publish(self, snapshot: dict[str, Any]) -> None:
        for observer in self.observers:
            observer(snapshot)

    def ask(self, **payload: Any) -> Mapping[str, Any]:
        result: Mapping[str, Any] = self.handlers["events.list"](payload)
        return result


def config(
    version: int, *entities: tuple[str, str, str], start: int | None = None
) -> dict[str, Any]:
    return {
        "version": version,
        "start_time": start,
        "entities": [{"name": n, "state": s, "message": m} for n, s, m in entities],
    }


def snap(
    *,
    current: dict[str, Any] | None = None,
    pending: dict[str, Any] | None = None,
    update: str = "NOT_UPDATING",
    ready: str = "READY",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "state": "Ready",
        "ready": ready,
        "config_update": update,
        "config": current,
        "pending": pending,
        "error": None,
        **extra,
    }


READY_V1 = config(1, ("ads1-1", "DEPLOYMENT_READY", ""))


def summaries(host: Host, since: int = 0) -> list[str]:
    return [e["summary"] for e in host.ask(since=since)["events"]]


def test_changes_become_events_and_builds_are_read_incrementally() -> None:
    host = Host()
    install(host)  # type: ignore[arg-type]
    host.publish(snap(current=READY_V1))
    assert summaries(host) == ["Panel opened: Ready; config v1 current"]
    host.publish(snap(current=READY_V1))  # nothing changed
    assert len(summaries(host)) == 1

    log = host.client.logs[("b-1", 2)] = [line(0, "INFO", "build started for served entity b-1")]
    creating = ("b-1", "DEPLOYMENT_CREATING", "Waiting.")
    host.publish(snap(current=READY_V1, pending=config(2, creating, start=T), update="IN_PROGRESS"))
    first = host.ask(since=1)["events"]
    assert [(e["kind"], e["summary"]) for e in first] == [
        ("state", "Update in progress (config_update: NOT_UPDATING → IN_PROGRESS)"),
        ("config", "Config v2 pending: b-1"),
        ("config", "Update to config v2 started"),
        ("entity", "b-1 creating: Waiting."),
        ("build", "build started for served entity b-1"),
    ]
    assert first[2]["time"] == T
    assert first[4]["link"] == {
        "tab": "logs",
        "entity": "b-1",
        "version": 2,
        "kind": "build",
        "line": 1,
    }
    assert host.client.reads == [("b-1", 2)]

    log += [
        line(100, "INFO", "requirement x: ok"),
        line(200, "INFO", "loading the model in a fresh process"),
        "Traceback (most recent call last):",
        "  build failed in a frame",  # a continuation: not a milestone
        line(300, "ERROR", "build failed: boom"),
    ]
    failed = ("b-1", "DEPLOYMENT_FAILED", "boom")
    host.publish(snap(current=READY_V1, pending=config(2, failed, start=T), update="IN_PROGRESS"))
    added = host.ask(since=first[-1]["seq"])["events"]
    assert [(e["kind"], e["summary"]) for e in added] == [
        ("entity", "b-1 failed: boom"),
        ("build", "loading the model in a fresh process"),
        ("build", "build failed: boom"),
    ]
    assert [e["link"]["line"] for e in added[1:]] == [3, 6]
    assert host.client.reads == [("b-1", 2)] * 2

    log.append(line(400, "INFO", "the update was released"))
    host.publish(snap(current=READY_V1, pending=config(2, failed, start=T), update="IN_PROGRESS"))
    assert host.client.reads == [("b-1", 2)] * 2  # failed: its build is over, no more reads
    host.publish(snap(current=READY_V1, update="UPDATE_FAILED"))
    last = summaries(host, since=added[-1]["seq"])
    assert last == ["Update failed (config_update: IN_PROGRESS → UPDATE_FAILED)"]


def test_a_config_becoming_current_and_the_last_read_when_the_update_ends() -> None:
    host = Host()
    install(host)  # type: ignore[arg-type]
    creating = ("m-2", "DEPLOYMENT_CREATING", "")
    host.publish(snap(current=READY_V1, pending=config(2, creating), update="IN_PROGRESS"))
    host.client.logs[("m-2", 2)] = [line(0, "INFO", "build finished in 1.00 s")]
    host.publish(snap(current=config(2, ("m-2", "DEPLOYMENT_READY", ""))))
    said = summaries(host)
    assert "build finished in 1.00 s" in said  # read once more as the update ended
    assert "Config v2 is now current" in said
    assert "m-2 ready" in said  # the key (entity, version) carried over from pending
    assert "Update finished (config_update: IN_PROGRESS → NOT_UPDATING)" in said
    assert host.client.reads == [("m-2", 2), ("m-2", 2)]


def test_failed_reads_and_deleted_endpoints() -> None:
    host = Host()
    install(host)  # type: ignore[arg-type]
    host.publish(snap(current=READY_V1))
    host.publish(snap(current=None, error={"message": "boom"}))  # a failed read: nothing new
    assert len(summaries(host)) == 1
    host.publish(snap(current=READY_V1, deleted=True))
    assert summaries(host)[-1] == "Endpoint deleted"


def test_the_buffer_is_bounded_and_the_cursor_says_when_to_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events_module, "MAX_EVENTS", 5)
    host = Host()
    events = PanelEvents(host)  # type: ignore[arg-type]
    for n in range(12):
        events.record("permissions", f"change {n}")
    kept = events.listing({"since": 0})
    assert [e["seq"] for e in kept["events"]] == [8, 9, 10, 11, 12]
    assert kept["reset"] is False and kept["last"] == 12
    assert events.listing({"since": 2})["reset"] is True  # seq 3..7 were dropped
    assert events.listing({"since": 7}) == {"events": kept["events"], "last": 12, "reset": False}
    assert events.listing({"since": 99})["reset"] is True
    with pytest.raises(RequestError):
        events.listing({"since": "1"})
    with pytest.raises(ValueError, match="kind"):
        events.record("nonsense", "x")
    with pytest.raises(TypeError, match="colour"):
        events.record("state", "x", colour="red")
    long = events.record("state", "word " * 200)
    assert len(long["summary"]) == events_module.MAX_SUMMARY
    assert events.frame()["summary"].tolist()[-1] == long["summary"]
