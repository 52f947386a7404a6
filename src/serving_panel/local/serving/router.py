"""Routes invocations to served entities' model servers by traffic percentage.

The routing table of an endpoint is swapped atomically when a new config goes live. Picking a
target counts the request as in flight on that worker under the same lock, so once a swap has
returned, no new request can reach a worker being retired, and its drain waits for the ones
that already did: updates lose no request.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import urllib3

from serving_panel.local.serving.states import WorkerKey
from serving_panel.local.serving.supervisor import Supervisor

REQUEST_TIMEOUT_S = 297.0  # the service's execution limit


@dataclass(frozen=True)
class Target:
    entity: str
    key: WorkerKey
    percentage: int


@dataclass
class Forwarded:
    status: int
    content_type: str
    body: bytes | None = None
    chunks: Iterator[bytes] | None = None


class WorkerUnavailableError(Exception):
    """The model server could not be reached (it died or is restarting)."""


class Router:
    def __init__(self, supervisor: Supervisor, *, rng: random.Random | None = None) -> None:
        self.supervisor = supervisor
        self._tables: dict[str, tuple[Target, ...]] = {}
        self._lock = threading.Lock()
        self._rng = rng or random.Random()  # noqa: S311 - traffic splitting, not secrets
        self._http = urllib3.PoolManager(num_pools=64, maxsize=32, retries=False)

    def set_routes(self, endpoint_id: str, targets: list[Target]) -> None:
        with self._lock:
            self._tables[endpoint_id] = tuple(targets)

    def clear(self, endpoint_id: str) -> None:
        with self._lock:
            self._tables.pop(endpoint_id, None)

    def targets(self, endpoint_id: str) -> tuple[Target, ...]:
        with self._lock:
            return self._tables.get(endpoint_id, ())

    def acquire(self, endpoint_id: str, served_entity: str | None = None) -> Target | None:
        """Chooses a target (weighted by percentage, or the named entity) and counts the
        request in flight on it. Call `release` when done."""
        with self._lock:
            table = self._tables.get(endpoint_id, ())
            if served_entity is not None:
                chosen = next((t for t in table if t.entity == served_entity), None)
            else:
                weighted = [t for t in table if t.percentage > 0]
                chosen = (
                    self._rng.choices(weighted, weights=[t.percentage for t in weighted])[0]
                    if weighted
                    else None
                )
            if chosen is not None:
                self.supervisor.begin_request(chosen.key)
            return chosen

    def release(self, target: Target) -> None:
        self.supervisor.end_request(target.key)

    def forward(self, target: Target, body: bytes, *, stream: bool) -> Forwarded:
        """Sends the body to the target's model server (blocking; run it in a thread)."""
        address = self.supervisor.address(target.key)
        if address is None:
            raise WorkerUnavailableError(f"the model server of {target.entity} is not running")
        url = f"http://{address[0]}:{address[1]}/invocations"
        try:
            response = self._http.request(
                "POST",
                url,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    **self.supervisor.request_headers(target.key),
                },
                timeout=urllib3.Timeout(connect=5.0, read=REQUEST_TIMEOUT_S),
                preload_content=not stream,
            )
        except urllib3.exceptions.HTTPError as error:
            raise WorkerUnavailableError(
                f"the model server of {target.entity} did not answer: {error}"
            ) from error
        content_type = response.headers.get("Content-Type", "application/json")
        if not stream or response.status != 200:
            data = response.data if not stream else response.read()
            if stream:
                response.release_conn()
            return Forwarded(response.status, content_type, body=data)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(4096, decode_content=True)
            finally:
                response.release_conn()

        return Forwarded(response.status, content_type, chunks=chunks())

    def close(self) -> None:
        self._http.clear()
