"""How many queries one served entity takes at once, and the bounded queue in front of it.

Each model server gets its own gate, so a slow model fills only its own slots and queue:
requests to every other entity never wait behind it. Past the queue a request is refused at once
(the route answers `429 REQUEST_LIMIT_EXCEEDED` with `Retry-After`) instead of piling up.

Numbers: the service gives `Small` 4 concurrent requests, `Medium` 8-16 and `Large` 16-64; we take
4, 8 and 16 (one model server process each, as `WorkerSpec.concurrency`). An entity configured
with `max_provisioned_concurrency` gets that many, capped at `MAX_CONCURRENCY` (threads in one
local process, not the service's 1024). The queue holds `QUEUE_PER_SLOT` times the concurrency:
the service's queue depth is not published, so this is our choice (Azure ML, for one, admits
twice the concurrency in all).

Gates live on the event loop (no locks): entering waits in arrival order, and a leaving request
hands its slot straight to the first waiter, so a late arrival never overtakes the queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

from serving_panel.local.serving.states import CONCURRENCY

MAX_CONCURRENCY = 64
QUEUE_PER_SLOT = 1
DEFAULT_CONCURRENCY = CONCURRENCY["Small"]


def concurrency(entity: Mapping[str, Any]) -> int:
    """Requests the served entity takes at once, from its stored config."""
    provisioned = entity.get("max_provisioned_concurrency")
    if isinstance(provisioned, int) and not isinstance(provisioned, bool) and provisioned > 0:
        return min(provisioned, MAX_CONCURRENCY)
    return CONCURRENCY.get(str(entity.get("workload_size", "Small")), DEFAULT_CONCURRENCY)


class OverloadedError(Exception):
    """Every slot is taken and the queue is full."""


class Gate:
    def __init__(self, limit: int, queue: int) -> None:
        self.limit = max(1, limit)
        self.queue = max(0, queue)
        self.inside = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def idle(self) -> bool:
        return self.inside == 0 and not self._waiting

    async def enter(self) -> None:
        """Takes a slot, waiting in line for one; raises OverloadedError when the line is full.
        Cancelled while waiting, it leaves the line (and gives back a slot handed to it)."""
        if self.inside < self.limit and not self._waiting:
            self.inside += 1
            return
        if len(self._waiting) >= self.queue:
            raise OverloadedError
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.leave()  # the slot was handed over just as we gave up: pass it on
            elif turn in self._waiting:
                self._waiting.remove(turn)
            raise

    def leave(self) -> None:
        """Gives the slot to the first waiter still waiting, or frees it."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot changes hands; `inside` stays the same
                return
        self.inside -= 1
