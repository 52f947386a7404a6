"""Faults on purpose: make chosen routes answer 429 or 503, fail with an unexpected error
(status 500: the request runs, and its answer raises), or add latency to every request.

Rules live in memory and are set through the control routes (`/__local/faults`) when the
workspace runs with faults enabled. The middleware stands in for the network and the service's
front door, so it runs before authentication, and writes its own error bodies.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving_panel.local.state.errors import invalid

_CODES = {429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}
_MESSAGES = {
    429: "Too many requests (fault injected by the local workspace).",
    503: "The service is temporarily unavailable (fault injected by the local workspace).",
}


@dataclass
class FaultRule:
    """Answer `status` to requests matching `method` and the `path` glob.

    429 and 503 are answered here, before the route runs. 500 lets the route run and raises
    `InjectedFaultError` when it starts its answer, as a bug in the handler would.

    The first `offset` matches pass through; then `times` matches fail (None: all of them).
    """

    method: str
    path: str
    status: int
    retry_after: int | None = 1
    offset: int = 0
    times: int | None = None
    seen: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "retry_after": self.retry_after,
            "offset": self.offset,
            "times": self.times,
            "seen": self.seen,
        }


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    latency_ms: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, body: dict[str, Any]) -> None:
        """Adds rules and sets the latency from a control request's body."""
        rules = body.get("rules", [])
        if not isinstance(rules, list):
            raise invalid("rules", "must be a list")
        parsed = []
        for index, raw in enumerate(rules):
            field_name = f"rules[{index}]"
            if not isinstance(raw, dict):
                raise invalid(field_name, "must be a JSON object")
            status = raw.get("status")
            if not _is_int(status) or status not in (*_CODES, 500):
                raise invalid(f"{field_name}.status", "must be 429, 503 or 500")
            method = str(raw.get("method", "*")).upper()
            path = raw.get("path")
            if not isinstance(path, str) or not path.startswith("/"):
                raise invalid(f"{field_name}.path", "must be a path glob starting with /")
            retry_after = raw.get("retry_after", 1)
            if retry_after is not None and (not _is_int(retry_after) or retry_after < 0):
                raise invalid(f"{field_name}.retry_after", "must be a whole number of seconds")
            times = raw.get("times")
            if times is not None and (not _is_int(times) or times < 1):
                raise invalid(f"{field_name}.times", "must be a positive integer or null")
            offset = raw.get("offset", 0)
            if not _is_int(offset) or offset < 0:
                raise invalid(f"{field_name}.offset", "must be a non-negative integer")
            parsed.append(FaultRule(method, path, int(status), retry_after, offset, times))
        latency = body.get("latency_ms")
        if latency is not None and (not _is_int(latency) or not 0 <= latency <= 60_000):
            raise invalid("latency_ms", "must be an integer between 0 and 60000")
        with self._lock:
            self.rules.extend(parsed)
            if latency is not None:
                self.latency_ms = latency

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.latency_ms = 0

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"latency_ms": self.latency_ms, "rules": [r.public() for r in self.rules]}

    def match(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.method not in ("*", method) or not fnmatch.fnmatchcase(path, rule.path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.offset:
                    return None
                if rule.times is not None and rule.seen > rule.offset + rule.times:
                    continue
                return rule
        return None


class InjectedFaultError(RuntimeError):
    """The unexpected error a status-500 rule raises inside the route."""


async def _failing_send(message: Message) -> None:
    raise InjectedFaultError("fault injected by the local workspace: the answer failed")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__local/"):
            await self.app(scope, receive, send)
            return
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        rule = self.faults.match(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.status == 500:
            await self.app(scope, receive, _failing_send)
            return
        body = json.dumps({"error_code": _CODES[rule.status], "message": _MESSAGES[rule.status]})
        headers = [(b"content-type", b"application/json")]
        if rule.retry_after is not None:
            headers.append((b"retry-after", str(rule.retry_after).encode()))
        await send({"type": "http.response.start", "status": rule.status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})
