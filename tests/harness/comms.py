"""A kernel-less comm that records what a widget sends, installed through `comm.create_comm`.

Outside a kernel ipywidgets gets a DummyComm that drops every message. The `comm` package makes
`create_comm` replaceable for exactly this (ipykernel replaces it with the real one), so tests
see the same messages a front end would, without mocking anything of ours.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import comm
from comm.base_comm import BaseComm

T = TypeVar("T")


@dataclass
class PublishedMessage:
    msg_type: str
    data: dict[str, Any]
    buffers: list[Any]


@dataclass
class CommLog:
    """Everything every recording comm published while installed (from any thread: a widget
    answers background requests from its worker threads)."""

    messages: list[PublishedMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def record(self, message: PublishedMessage) -> None:
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def wait_for(self, found: Callable[[], T | None], timeout: float = 120.0) -> T:
        """What `found` returns once it returns something, checked at each message."""
        with self._arrived:
            result = self._arrived.wait_for(found, timeout)
        if result is None:
            raise AssertionError(f"nothing the test waited for arrived within {timeout} s")
        return result

    def custom(self) -> list[dict[str, Any]]:
        """Contents of custom messages (`widget.send(...)`), oldest first."""
        return [
            m.data["content"]
            for m in self.messages
            if m.msg_type == "comm_msg" and m.data.get("method") == "custom"
        ]

    def state_updates(self) -> list[dict[str, Any]]:
        """State the kernel pushed to the front end (`method: update`), oldest first."""
        return [
            m.data["state"]
            for m in self.messages
            if m.msg_type == "comm_msg" and m.data.get("method") == "update"
        ]


class RecordingComm(BaseComm):
    def __init__(self, log: CommLog, **kwargs: Any) -> None:
        self._log = log
        super().__init__(**kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[Any] | None = None,
        **keys: Any,
    ) -> None:
        self._log.record(PublishedMessage(msg_type, dict(data or {}), list(buffers or [])))


@contextmanager
def recording_comms() -> Iterator[CommLog]:
    log = CommLog()
    original = comm.create_comm
    comm.create_comm = lambda *args, **kwargs: RecordingComm(log, *args, **kwargs)
    try:
        yield log
    finally:
        comm.create_comm = original


def front_end_message(content: dict[str, Any]) -> dict[str, Any]:
    """A comm message as the front end sends it for `model.send(content)`."""
    return {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}


def front_end_update(state: dict[str, Any]) -> dict[str, Any]:
    """A comm message as the front end sends it for `model.set(...); model.save_changes()`."""
    return {
        "content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
        "buffers": [],
    }


class PanelView:
    """A front end of one panel for tests: sends requests the way the browser does and returns
    Python's replies (found by id among the recorded custom messages)."""

    _ids = itertools.count(1)

    def __init__(self, panel: Any, log: CommLog) -> None:
        self.panel = panel
        self.log = log

    def ask(self, kind: str, /, **payload: Any) -> dict[str, Any]:
        reply, _ = self.ask_in_pieces(kind, **payload)
        return reply

    def ask_in_pieces(
        self, kind: str, /, **payload: Any
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The reply, and the partial messages sent for the request before it (in order)."""
        return self.wait_in_pieces(self.send(kind, **payload))

    def send(self, kind: str, /, **payload: Any) -> str:
        """Sends a request without waiting for its reply; returns its id."""
        request_id = f"test-{next(self._ids)}"
        message = {"type": "request", "kind": kind, "id": request_id, "payload": payload}
        self.panel._handle_msg(front_end_message(message))
        return request_id

    def wait_reply(self, request_id: str) -> dict[str, Any]:
        """The reply to a request sent, once it came (a background one comes later)."""
        reply, _ = self.wait_in_pieces(request_id)
        return reply

    def wait_in_pieces(self, request_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        def replied() -> list[dict[str, Any]] | None:
            mine = [m for m in self.log.custom() if m.get("id") == request_id]
            return mine if any(m.get("type") == "reply" for m in mine) else None

        mine = self.log.wait_for(replied)
        [reply] = [m for m in mine if m.get("type") == "reply"]
        partials = [m for m in mine if m.get("type") == "partial"]
        assert mine.index(reply) == len(mine) - 1, "partials after the reply"
        return reply, partials

    def result(self, kind: str, /, **payload: Any) -> dict[str, Any]:
        """The result of a request that must succeed."""
        reply = self.ask(kind, **payload)
        assert reply["ok"], reply.get("error")
        result: dict[str, Any] = reply["result"]
        return result

    def error(self, kind: str, /, **payload: Any) -> dict[str, Any]:
        """The error of a request that must fail."""
        reply = self.ask(kind, **payload)
        assert not reply["ok"], reply.get("result")
        error: dict[str, Any] = reply["error"]
        return error
