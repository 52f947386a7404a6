"""The admission gate's rules, on a real event loop: its numbers from an entity's config, the
line in arrival order, refusal past it, and slots given back by callers who give up."""

from __future__ import annotations

import asyncio
from typing import TypeVar

import pytest

from harness.loops import run_on_own_loop
from serving_panel.local.serving.admission import (
    MAX_CONCURRENCY,
    Gate,
    OverloadedError,
    concurrency,
)

T = TypeVar("T")


async def one_turn() -> None:
    """One turn of the event loop: tasks just created run to their first await. Deterministic
    (asyncio runs every ready callback each turn), not a wait for time to pass."""
    await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        ({"workload_size": "Small"}, 4),
        ({"workload_size": "Medium"}, 8),
        ({"workload_size": "Large"}, 16),
        ({}, 4),
        # validation still fills in workload_size next to provisioned concurrency; the latter wins
        ({"workload_size": "Small", "max_provisioned_concurrency": 12}, 12),
        ({"min_provisioned_concurrency": 0, "max_provisioned_concurrency": 4096}, MAX_CONCURRENCY),
        ({"max_provisioned_concurrency": 0}, 4),
    ],
)
def test_concurrency_comes_from_the_entity_config(entity: dict[str, object], expected: int) -> None:
    assert concurrency(entity) == expected


def test_waiters_enter_in_arrival_order_and_the_line_is_bounded() -> None:
    async def scenario() -> list[str]:
        gate = Gate(limit=1, queue=2)
        entered: list[str] = []

        async def query(name: str) -> None:
            await gate.enter()
            entered.append(name)

        await gate.enter()  # the one slot
        first = asyncio.ensure_future(query("first"))
        second = asyncio.ensure_future(query("second"))
        await one_turn()  # both get in line
        assert gate.waiting == 2
        with pytest.raises(OverloadedError):
            await gate.enter()
        gate.leave()  # hands the slot to "first"
        await first
        gate.leave()
        await second
        gate.leave()
        assert gate.idle()
        return entered

    assert run_on_own_loop(scenario) == ["first", "second"]


def test_a_waiter_who_gives_up_leaves_the_line_and_passes_on_a_handed_slot() -> None:
    async def scenario() -> None:
        gate = Gate(limit=1, queue=2)
        await gate.enter()
        leaving = asyncio.ensure_future(gate.enter())
        staying = asyncio.ensure_future(gate.enter())
        await one_turn()
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        assert gate.waiting == 1
        # The slot is handed over and the receiver is cancelled before it runs: it passes on.
        gate.leave()
        staying.cancel()
        with pytest.raises(asyncio.CancelledError):
            await staying
        assert gate.inside == 0 and gate.idle()

    run_on_own_loop(scenario)
