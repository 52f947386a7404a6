"""The request/response protocol the panel's browser side speaks to Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from serving_panel.panel.protocol import MAX_REPLY_BYTES, RequestError, RequestRouter, send_partial


def echo(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"echo": dict(payload)}


@pytest.fixture
def router() -> RequestRouter:
    router = RequestRouter()
    router.register("echo", echo)
    return router


def request(kind: Any, payload: Any = None, request_id: Any = "r-1") -> dict[str, Any]:
    message = {"type": "request", "kind": kind, "id": request_id}
    if payload is not None:
        message["payload"] = payload
    return message


def test_answers_with_the_handler_result_under_the_request_id(router: RequestRouter) -> None:
    reply = router.handle(request("echo", {"a": 1}))
    assert reply == {"type": "reply", "id": "r-1", "ok": True, "result": {"echo": {"a": 1}}}


def test_a_missing_payload_is_an_empty_object(router: RequestRouter) -> None:
    reply = router.handle(request("echo"))
    assert reply is not None
    assert reply["result"] == {"echo": {}}


@pytest.mark.parametrize(
    "message",
    [None, "hello", [], {"type": "reply", "id": "x"}, {"type": "request", "kind": "echo"}],
)
def test_ignores_what_is_not_a_request(router: RequestRouter, message: Any) -> None:
    assert router.handle(message) is None


def test_unknown_kind_names_the_known_ones(router: RequestRouter) -> None:
    reply = router.handle(request("logs"))
    assert reply is not None
    assert reply["ok"] is False
    assert reply["error"]["message"] == "unknown request kind 'logs'; known kinds: echo"
    assert reply["error"]["status"] == 400


def test_a_payload_that_is_not_an_object_is_refused(router: RequestRouter) -> None:
    reply = router.handle(request("echo", [1, 2]))
    assert reply is not None
    assert reply["error"]["message"] == "payload must be a JSON object"


def test_request_errors_keep_their_code_and_status(router: RequestRouter) -> None:
    def denied(payload: Mapping[str, Any]) -> None:
        raise RequestError("needs CAN_MANAGE", error_code="PERMISSION_DENIED", status=403)

    router.register("grant", denied)
    reply = router.handle(request("grant", {}))
    assert reply is not None
    assert reply["error"] == {
        "message": "needs CAN_MANAGE",
        "error_code": "PERMISSION_DENIED",
        "status": 403,
    }


def test_unexpected_exceptions_become_inline_errors(router: RequestRouter) -> None:
    def broken(payload: Mapping[str, Any]) -> None:
        raise KeyError("config")

    router.register("broken", broken)
    reply = router.handle(request("broken", {}))
    assert reply is not None
    assert reply["ok"] is False
    assert reply["error"]["error_code"] == "INTERNAL_ERROR"
    assert reply["error"]["message"] == "KeyError: 'config'"


def test_replies_over_the_message_limit_are_refused(router: RequestRouter) -> None:
    router.register("huge", lambda payload: "x" * MAX_REPLY_BYTES)
    reply = router.handle(request("huge", {}))
    assert reply is not None
    assert reply["ok"] is False
    assert reply["error"]["error_code"] == "RESPONSE_TOO_LARGE"
    assert "ask for a smaller page" in reply["error"]["message"]


def test_a_kind_registers_once(router: RequestRouter) -> None:
    with pytest.raises(ValueError, match="'echo' is already registered"):
        router.register("echo", echo)


class _Host:
    """Just the `send` of a PanelHost: what `send_partial` uses."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, content: dict[str, Any], buffers: list[Any] | None = None) -> None:
        self.sent.append(content)


def test_partials_go_out_under_the_request_id_before_the_reply(router: RequestRouter) -> None:
    host = _Host()

    def pieces(payload: Mapping[str, Any]) -> int:
        for n in range(3):
            send_partial(host, {"n": n})  # type: ignore[arg-type]
        return 3

    router.register("pieces", pieces)
    reply = router.handle(request("pieces", request_id="r-9"))
    assert host.sent == [{"type": "partial", "id": "r-9", "data": {"n": n}} for n in range(3)]
    assert reply == {"type": "reply", "id": "r-9", "ok": True, "result": 3}
    with pytest.raises(RuntimeError):  # outside a handler there is no request to answer
        send_partial(host, {"n": 4})  # type: ignore[arg-type]


def test_a_partial_over_the_size_cap_fails_the_request(router: RequestRouter) -> None:
    host = _Host()
    router.register("huge", lambda payload: send_partial(host, "x" * MAX_REPLY_BYTES))  # type: ignore[arg-type]
    reply = router.handle(request("huge"))
    assert reply is not None and not reply["ok"]
    assert reply["error"]["error_code"] == "RESPONSE_TOO_LARGE"
    assert host.sent == []
