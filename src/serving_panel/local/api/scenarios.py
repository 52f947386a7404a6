"""The `scenarios` of a `/__local/faults` request, parsed into `Scenario`s: every field checked,
each refusal a 400 naming the field and its rule (`local/scenarios.py` says what each does)."""

from __future__ import annotations

import math
from typing import Any

from serving_panel.local.scenarios import KINDS, Scenario
from serving_panel.local.state.errors import invalid

#: The longest a scenario may make anything wait (seconds): an hour.
MAX_SECONDS = 3600.0
MAX_MESSAGE = 4096
_COMMON = {"kind", "endpoint", "served_entity", "times"}
_FIELDS = {
    "slow_build": {"seconds"},
    "failing_build": {"message"},
    "flapping": {"every_s"},
    "cold_start": {"seconds"},
    "hold_update": set(),
}


def parse_scenarios(raw: Any) -> list[Scenario]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid("scenarios", "must be a list")
    return [_parse(f"scenarios[{index}]", item) for index, item in enumerate(raw)]


def _parse(where: str, raw: Any) -> Scenario:
    if not isinstance(raw, dict):
        raise invalid(where, "must be a JSON object")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise invalid(f"{where}.kind", f"must be one of {', '.join(KINDS)}")
    allowed = _COMMON | _FIELDS[kind]
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise invalid(
            f"{where}.{unknown[0]}",
            f"is not a field of a {kind} scenario (its fields: {', '.join(sorted(allowed))})",
        )
    scenario = Scenario(
        kind=kind,
        endpoint=_glob(f"{where}.endpoint", raw.get("endpoint"), required=True),
        served_entity=_glob(f"{where}.served_entity", raw.get("served_entity", "*")),
        times=_times(f"{where}.times", raw.get("times")),
    )
    if kind in ("slow_build", "cold_start"):
        scenario.seconds = _seconds(f"{where}.seconds", raw.get("seconds"), minimum=0)
    if kind == "flapping":
        scenario.every_s = _seconds(f"{where}.every_s", raw.get("every_s"), minimum=1)
    if kind == "failing_build":
        scenario.message = _message(f"{where}.message", raw.get("message"))
    return scenario


def _glob(where: str, value: Any, *, required: bool = False) -> str:
    if value is None and required:
        raise invalid(where, "is required: an endpoint name, or a glob such as ads-*")
    if not isinstance(value, str) or not value.strip():
        raise invalid(where, "must be a non-empty name or glob (* matches any)")
    return value


def _times(where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(where, "must be a positive integer, or null for every time")
    return value


def _seconds(where: str, value: Any, *, minimum: float) -> float:
    """A duration above 0 (and at least `minimum`), at most an hour."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    in_range = number and math.isfinite(value) and value > 0 and minimum <= value <= MAX_SECONDS
    if not in_range:
        floor = f"at least {minimum:g}" if minimum > 0 else "above 0"
        raise invalid(where, f"must be a number of seconds, {floor} and at most {MAX_SECONDS:g}")
    return float(value)


def _message(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(where, "must be a non-empty string: what the failed build says")
    if len(value) > MAX_MESSAGE:
        raise invalid(where, f"must be at most {MAX_MESSAGE} characters, got {len(value)}")
    return value
