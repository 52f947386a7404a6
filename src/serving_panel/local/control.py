"""`FaultControl`: the `/__local/faults` routes from Python, for tests and rehearsals.

    ws = LocalWorkspace.start(enable_faults=True)
    ws.faults.failing_build("ads", "ERROR: No matching distribution found for torch==9.9")
    ws.faults.hold_updates("ads")
    ...
    ws.faults.release("ads")
    ws.faults.clear()

Stdlib HTTP only: the local workspace's package imports no HTTP client library.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class FaultControlError(RuntimeError):
    """The workspace refused a fault request; the message is its answer (naming the field)."""


class FaultControl:
    def __init__(self, host: str, token: str, *, timeout_s: float = 30.0) -> None:
        self._host = host.rstrip("/")
        self._token = token
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"FaultControl(host={self._host!r})"  # never the token

    # Reading and clearing -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The rules, latency and scenarios set now, each with how often it took effect, and
        the endpoints whose update is held."""
        return self._call("GET", "/__local/faults")

    def clear(self) -> dict[str, Any]:
        """Removes every rule, scenario and the latency; held updates go on."""
        return self._call("DELETE", "/__local/faults")

    # Rules and latency ----------------------------------------------------------------------

    def fail(
        self,
        path: str,
        status: int,
        *,
        method: str = "*",
        times: int | None = None,
        offset: int = 0,
        retry_after: int | None = 1,
    ) -> dict[str, Any]:
        """Requests matching `method` and the `path` glob answer `status` (429, 503 or 500)."""
        rule = {
            "method": method,
            "path": path,
            "status": status,
            "times": times,
            "offset": offset,
            "retry_after": retry_after,
        }
        return self._call("POST", "/__local/faults", {"rules": [rule]})

    def latency(self, milliseconds: int) -> dict[str, Any]:
        """Every request waits this long first (0 for none)."""
        return self._call("POST", "/__local/faults", {"latency_ms": milliseconds})

    # Scenarios ------------------------------------------------------------------------------

    def slow_build(
        self, endpoint: str, seconds: float, *, served_entity: str = "*", times: int | None = None
    ) -> dict[str, Any]:
        """Each build of a matching entity takes `seconds` more."""
        return self._scenario("slow_build", endpoint, served_entity, times, seconds=seconds)

    def failing_build(
        self, endpoint: str, message: str, *, served_entity: str = "*", times: int | None = None
    ) -> dict[str, Any]:
        """Each build of a matching entity fails, its build log and state saying `message`."""
        return self._scenario("failing_build", endpoint, served_entity, times, message=message)

    def flapping(
        self, endpoint: str, every_s: float, *, served_entity: str = "*", times: int | None = 3
    ) -> dict[str, Any]:
        """A matching entity's model server is stopped after each `every_s` seconds of health,
        `times` times: the entity goes DEPLOYMENT_RECOVERING and comes back."""
        return self._scenario("flapping", endpoint, served_entity, times, every_s=every_s)

    def cold_start(
        self, endpoint: str, seconds: float, *, served_entity: str = "*", times: int | None = None
    ) -> dict[str, Any]:
        """A matching entity woken from zero takes `seconds` more to answer."""
        return self._scenario("cold_start", endpoint, served_entity, times, seconds=seconds)

    def hold_updates(self, endpoint: str, *, times: int | None = None) -> dict[str, Any]:
        """The endpoint's updates stay IN_PROGRESS, their builds done, until `release`."""
        return self._scenario("hold_update", endpoint, "*", times)

    def release(self, endpoint: str) -> list[str]:
        """Ends the endpoint's hold_updates; returns the names of the updates it let go."""
        answer = self._call("POST", "/__local/faults/release", {"endpoint": endpoint})
        return list(answer["released"])

    # Inside ---------------------------------------------------------------------------------

    def _scenario(
        self,
        kind: str,
        endpoint: str,
        served_entity: str,
        times: int | None,
        **fields: Any,
    ) -> dict[str, Any]:
        scenario = {
            "kind": kind,
            "endpoint": endpoint,
            "served_entity": served_entity,
            "times": times,
            **fields,
        }
        return self._call("POST", "/__local/faults", {"scenarios": [scenario]})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the workspace's own http URL
            self._host + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as answer:  # noqa: S310
                result: dict[str, Any] = json.loads(answer.read())
                return result
        except urllib.error.HTTPError as error:
            raise FaultControlError(f"{method} {path}: {error.code} {_message(error)}") from None


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read()).get("message", error.reason))
    except ValueError:
        return str(error.reason)
