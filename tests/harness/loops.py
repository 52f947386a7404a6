"""Coroutines run to the end on an event loop of their own, in a thread of their own: the
suite's browser tests keep an event loop running in the main thread, where `asyncio.run`
refuses to start."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: The loops the workspace may run on: asyncio's own and, where installed, uvloop's.
LOOPS = ["asyncio", *(["uvloop"] if importlib.util.find_spec("uvloop") else [])]


def run_on_own_loop(
    scenario: Callable[[], Coroutine[Any, Any, T]], loop_kind: str = "asyncio"
) -> T:
    """`scenario()`'s result (or its exception), run on a new loop of `loop_kind`."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            if loop_kind == "uvloop":
                import uvloop

                results.append(uvloop.run(scenario()))
            else:
                results.append(asyncio.run(scenario()))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the scenario did not finish"
    if errors:
        raise errors[0]
    return results[0]
