"""Scenarios: the service's slow and failing moments, on purpose, so users rehearse their
automation against them (set through `/__local/faults` when faults are enabled).

    slow_build      each build of a matching entity waits `seconds` more before its model loads
    failing_build   each build of a matching entity fails with `message`
    flapping        a matching entity's model server is stopped every `every_s` seconds of
                    health, so the entity goes DEPLOYMENT_RECOVERING and back, for real
    cold_start      a matching entity woken from zero takes `seconds` more to become ready
    hold_update     a matching endpoint's update stays IN_PROGRESS until released

Each matches an endpoint name and a served entity name (globs, `*` by default for the entity)
and takes effect `times` times (None: until cleared). This module only keeps them and answers
the builds and the supervisor; it knows nothing of HTTP (the control route parses requests into
`Scenario`s) or of the store.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["slow_build", "failing_build", "flapping", "cold_start", "hold_update"]
KINDS: tuple[Kind, ...] = ("slow_build", "failing_build", "flapping", "cold_start", "hold_update")


@dataclass
class Scenario:
    kind: Kind
    endpoint: str
    served_entity: str = "*"
    seconds: float = 0.0  # slow_build, cold_start
    every_s: float = 0.0  # flapping
    message: str = ""  # failing_build
    times: int | None = None
    seen: int = 0

    def matches(self, endpoint: str, entity: str | None) -> bool:
        return fnmatch.fnmatchcase(endpoint, self.endpoint) and (
            entity is None or fnmatch.fnmatchcase(entity, self.served_entity)
        )

    @property
    def spent(self) -> bool:
        return self.times is not None and self.seen >= self.times

    def public(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "kind": self.kind,
            "endpoint": self.endpoint,
            "served_entity": self.served_entity,
        }
        if self.kind in ("slow_build", "cold_start"):
            shown["seconds"] = self.seconds
        if self.kind == "flapping":
            shown["every_s"] = self.every_s
        if self.kind == "failing_build":
            shown["message"] = self.message
        return {**shown, "times": self.times, "seen": self.seen}


@dataclass
class Scenarios:
    _active: list[Scenario] = field(default_factory=list)
    #: Endpoint names whose update waits in `hold` right now.
    _held: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    # Setting them ---------------------------------------------------------------------------

    def add(self, scenarios: list[Scenario]) -> None:
        with self._changed:
            self._active.extend(scenarios)
            self._changed.notify_all()

    def clear(self) -> None:
        """Removes every scenario; held updates go on."""
        with self._changed:
            self._active.clear()
            self._changed.notify_all()

    def release(self, endpoint: str) -> list[str]:
        """Removes the hold_update scenarios that match the endpoint's name (or are set for
        exactly this pattern), so the updates they hold go on and later ones are not held;
        returns the names of the held updates it let go."""
        with self._changed:
            removed = [
                s
                for s in self._active
                if s.kind == "hold_update" and (s.endpoint == endpoint or s.matches(endpoint, None))
            ]
            self._active = [s for s in self._active if all(s is not r for r in removed)]
            released = sorted(
                {name for name in self._held if any(r.matches(name, None) for r in removed)}
            )
            self._changed.notify_all()
        return released

    def state(self) -> dict[str, Any]:
        with self._changed:
            return {
                "scenarios": [s.public() for s in self._active],
                "held_updates": sorted(set(self._held)),
            }

    # Answering the builds and the supervisor ------------------------------------------------

    def build_delay(self, endpoint: str, entity: str) -> float:
        """Extra seconds this build takes (slow_build); counts as one use of each match."""
        return sum(s.seconds for s in self._take("slow_build", endpoint, entity))

    def build_failure(self, endpoint: str, entity: str) -> str | None:
        """The message this build fails with (failing_build), or None."""
        taken = self._take("failing_build", endpoint, entity, first_only=True)
        return taken[0].message if taken else None

    def cold_start_delay(self, endpoint: str, entity: str) -> float:
        """Extra seconds a model server woken from zero takes to become ready (cold_start)."""
        return sum(s.seconds for s in self._take("cold_start", endpoint, entity))

    def flap_after(self, endpoint: str, entity: str) -> float | None:
        """After how many seconds of health the model server should be stopped (flapping), or
        None; not a use yet: `flapped` counts one when the supervisor acts."""
        with self._changed:
            for scenario in self._active:
                if (
                    scenario.kind == "flapping"
                    and not scenario.spent
                    and scenario.matches(endpoint, entity)
                ):
                    return scenario.every_s
        return None

    def flapped(self, endpoint: str, entity: str) -> str | None:
        """Counts one flap; returns the reason for the entity's message (None if the scenario
        was cleared meanwhile)."""
        taken = self._take("flapping", endpoint, entity, first_only=True)
        if not taken:
            return None
        scenario = taken[0]
        of = f" of {scenario.times}" if scenario.times is not None else ""
        return f"The model server was stopped by the flapping scenario (flap {scenario.seen}{of})"

    def holds(self, endpoint: str) -> bool:
        """Whether an update of the endpoint reaching its end now would be held."""
        with self._changed:
            return any(
                s.kind == "hold_update" and not s.spent and s.matches(endpoint, None)
                for s in self._active
            )

    def hold(self, endpoint: str, stopping: threading.Event) -> bool:
        """Blocks while a hold_update scenario that matched the endpoint when the update got
        here is still set (until released or cleared, or the workspace stops); True when it
        held the update at all."""
        with self._changed:
            holding = [
                s
                for s in self._active
                if s.kind == "hold_update" and not s.spent and s.matches(endpoint, None)
            ]
            if not holding:
                return False
            for scenario in holding:
                scenario.seen += 1
            self._held.append(endpoint)
            try:
                while not stopping.is_set() and any(
                    any(s is h for s in self._active) for h in holding
                ):
                    self._changed.wait(0.5)  # wakes on release; the timeout sees `stopping`
            finally:
                self._held.remove(endpoint)
        return True

    def wake(self) -> None:
        """Wakes every held update to look again (the workspace is stopping)."""
        with self._changed:
            self._changed.notify_all()

    # Inside ---------------------------------------------------------------------------------

    def _take(
        self, kind: Kind, endpoint: str, entity: str, *, first_only: bool = False
    ) -> list[Scenario]:
        with self._changed:
            taken = []
            for scenario in self._active:
                if (
                    scenario.kind == kind
                    and not scenario.spent
                    and scenario.matches(endpoint, entity)
                ):
                    scenario.seen += 1
                    taken.append(scenario)
                    if first_only:
                        break
            return taken
