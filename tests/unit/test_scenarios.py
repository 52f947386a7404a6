"""The scenarios registry on its own: matching by name globs, `times`, and holding updates
until released, cleared or the workspace stops (threads wait on conditions, never sleeps)."""

from __future__ import annotations

import threading
import time

from serving_panel.local.scenarios import Scenario, Scenarios


def holding_thread(scenarios: Scenarios, name: str, stopping: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=scenarios.hold, args=(name, stopping), daemon=True)
    thread.start()
    return thread


def wait_held(scenarios: Scenarios, name: str) -> None:
    """Polls the public state until the update shows as held (10 s at most)."""
    deadline = time.monotonic() + 10
    while name not in scenarios.state()["held_updates"]:
        assert time.monotonic() < deadline, f"{name} never held"
        threading.Event().wait(0.01)


def test_a_scenario_matches_globs_and_counts_its_times() -> None:
    scenarios = Scenarios()
    scenarios.add([Scenario("slow_build", "ads-*", served_entity="a*", seconds=2, times=2)])
    assert scenarios.build_delay("other", "a1") == 0
    assert scenarios.build_delay("ads-1", "b1") == 0
    assert scenarios.build_delay("ads-1", "a1") == 2
    assert scenarios.build_delay("ads-2", "a2") == 2
    assert scenarios.build_delay("ads-1", "a1") == 0  # spent
    assert scenarios.state()["scenarios"][0]["seen"] == 2


def test_the_first_failing_build_wins() -> None:
    scenarios = Scenarios()
    scenarios.add(
        [
            Scenario("failing_build", "*", message="one"),
            Scenario("failing_build", "x", message="two"),
        ]
    )
    assert scenarios.build_failure("x", "e") == "one"


def test_no_hold_scenario_returns_at_once() -> None:
    assert Scenarios().hold("ads", threading.Event()) is False


def test_a_hold_lasts_until_released_by_name_even_for_a_glob() -> None:
    scenarios = Scenarios()
    scenarios.add([Scenario("hold_update", "ads*", times=1)])
    thread = holding_thread(scenarios, "ads", threading.Event())
    wait_held(scenarios, "ads")
    assert thread.is_alive()
    assert not scenarios.holds("ads")  # times=1: a second update would not be held
    assert scenarios.release("ads") == ["ads"]
    thread.join(10)
    assert not thread.is_alive()
    assert scenarios.state() == {"scenarios": [], "held_updates": []}


def test_a_hold_ends_when_the_workspace_stops() -> None:
    scenarios = Scenarios()
    scenarios.add([Scenario("hold_update", "ads")])
    stopping = threading.Event()
    thread = holding_thread(scenarios, "ads", stopping)
    wait_held(scenarios, "ads")
    stopping.set()
    scenarios.wake()
    thread.join(10)
    assert not thread.is_alive()
    assert scenarios.state()["scenarios"][0]["kind"] == "hold_update"  # still set


def test_flaps_are_counted_when_they_happen() -> None:
    scenarios = Scenarios()
    scenarios.add([Scenario("flapping", "ads", every_s=5, times=1)])
    assert scenarios.flap_after("ads", "e") == 5
    assert scenarios.flapped("ads", "e") == (
        "The model server was stopped by the flapping scenario (flap 1 of 1)"
    )
    assert scenarios.flap_after("ads", "e") is None
