"""Routes invocations to served entities' model servers by traffic percentage.

The routing table of an endpoint is swapped atomically when a new config goes live. Picking a
target counts the request as in flight on that worker under the same lock, so once a swap has
returned, no new request can reach a worker being retired, and its drain waits for the ones
that already did (queued ones included): updates lose no request.

Everything per request runs on the event loop: admission through the target's own gate
(`admission.py`), waiting for a starting model server, and the exchange with it
(`upstream.py`). No thread pool sits in the path, so nothing one slow model holds can keep
another entity's requests from running.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass

from serving_panel.local.serving.admission import (
    DEFAULT_CONCURRENCY,
    QUEUE_PER_SLOT,
    Gate,
)
from serving_panel.local.serving.states import State, WorkerKey
from serving_panel.local.serving.supervisor import Supervisor
from serving_panel.local.serving.upstream import ModelServerClient, Reply, UpstreamError

REQUEST_TIMEOUT_S = 297.0  # the service's execution limit per request
READY_POLL_S = 0.02  # how often a request waiting for a starting model server looks again
_GONE = (State.FATAL, State.STOPPED, State.STOPPING)


@dataclass(frozen=True)
class Target:
    entity: str
    key: WorkerKey
    percentage: int
    concurrency: int = DEFAULT_CONCURRENCY


class WorkerUnavailableError(Exception):
    """The model server could not be reached (it died or is restarting)."""


def model_server_headers(target: Target) -> dict[str, str]:
    """The headers of the request to a model server (besides Host and Content-Length): the one
    place to add any the model server requires."""
    return {"Content-Type": "application/json"}


class Router:
    def __init__(
        self,
        supervisor: Supervisor,
        *,
        rng: random.Random | None = None,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.supervisor = supervisor
        self.request_timeout_s = request_timeout_s
        self._tables: dict[str, tuple[Target, ...]] = {}
        self._live: set[WorkerKey] = set()
        self._lock = threading.Lock()
        self._rng = rng or random.Random()  # noqa: S311 - traffic splitting, not secrets
        self._gates: dict[WorkerKey, Gate] = {}
        self._upstream = ModelServerClient()

    # Routing table (written from update threads, read per request) ------------------------

    def set_routes(self, endpoint_id: str, targets: list[Target]) -> None:
        with self._lock:
            self._tables[endpoint_id] = tuple(targets)
            self._relive()

    def clear(self, endpoint_id: str) -> None:
        with self._lock:
            self._tables.pop(endpoint_id, None)
            self._relive()

    def _relive(self) -> None:
        self._live = {t.key for table in self._tables.values() for t in table}
        # list() copies in one step; the event loop may add a gate meanwhile
        for key, gate in list(self._gates.items()):
            if key not in self._live and gate.idle():
                self._gates.pop(key, None)

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
                if len(weighted) > 1:
                    weights = [t.percentage for t in weighted]
                    chosen = self._rng.choices(weighted, weights=weights)[0]
                else:  # one entity takes all traffic (the usual case): no draw needed
                    chosen = weighted[0] if weighted else None
            if chosen is not None:
                self.supervisor.begin_request(chosen.key)
            return chosen

    def release(self, target: Target) -> None:
        self.supervisor.end_request(target.key)

    # Per request, on the event loop -------------------------------------------------------

    def gate(self, target: Target) -> Gate:
        """The target's admission gate: its concurrency, and a queue as long again."""
        gate = self._gates.get(target.key)
        if gate is None:
            gate = Gate(target.concurrency, target.concurrency * QUEUE_PER_SLOT)
            self._gates[target.key] = gate
        return gate

    def leave(self, target: Target, gate: Gate) -> None:
        gate.leave()
        if gate.idle() and target.key not in self._live:
            self._gates.pop(target.key, None)

    async def wait_ready(self, target: Target, timeout_s: float) -> bool:
        """True once the target's model server is healthy (a scaled-to-zero one is woken
        first). A starting server is polled rather than waited on in a thread, so waiting
        holds no pool and ends the moment the caller goes."""
        worker = self.supervisor.get(target.key)
        if worker is None:
            return False
        if worker.ready.is_set():
            return True
        if worker.state == State.IDLE:
            # Starting a process and recording the entity's state take milliseconds: not on
            # the loop, where every other query waits for them. Rare (once per wake-up).
            woken = await asyncio.get_running_loop().run_in_executor(
                None, self.supervisor.wake, target.key
            )
            if woken is None:
                return False
            worker = woken
        deadline = time.monotonic() + timeout_s
        while not worker.ready.is_set():
            if worker.state in _GONE or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(READY_POLL_S)
        return True

    async def send(self, target: Target, body: bytes) -> Reply:
        """Posts the body to the target's model server; the caller reads or relays the reply
        and must `close()` it whatever happens."""
        contact = self.supervisor.contact(target.key)
        if contact is None:
            raise WorkerUnavailableError(f"the model server of {target.entity} is not running")
        address, secret = contact
        try:
            return await self._upstream.post(
                address, "/invocations", model_server_headers(target) | secret, body
            )
        except UpstreamError as error:
            raise WorkerUnavailableError(
                f"the model server of {target.entity} did not answer: {error}"
            ) from error

    def close(self) -> None:
        self._upstream.close()
