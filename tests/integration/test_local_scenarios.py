"""Scenarios through `/__local/faults`: a slow build, a failing build, an update held
IN_PROGRESS until released, an entity flapping through DEPLOYMENT_RECOVERING, and a slow
scale-from-zero; each seen the way a user's automation sees it (GETs, `ServingClient.wait`,
logs), and bad scenario bodies refused by field with nothing stored.

Scenarios match endpoint names, so the tests share the session's workspace under unique names;
the `control` fixture clears every scenario afterwards.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.api import Api, create_ready, entity, settle, unique, wait_for
from harness.workspaces import start_workspace
from serving_panel.errors import UpdateFailed
from serving_panel.local.control import FaultControl, FaultControlError
from serving_panel.local.handle import LocalWorkspace

FAULTS = "/__local/faults"
PREFIX = "/api/2.0/serving-endpoints"


@pytest.fixture
def control(workspace: LocalWorkspace) -> Iterator[FaultControl]:
    workspace.faults.clear()
    try:
        yield workspace.faults
    finally:
        state = workspace.faults.clear()
        assert state["scenarios"] == [] and state["rules"] == []


def entity_state(api: Api, name: str, field: str = "config") -> dict[str, Any]:
    body = api.get(f"{PREFIX}/{name}").json()
    config = body.get(field) or {}
    entities = config.get("served_entities") or [{"state": {}}]
    state: dict[str, Any] = entities[0]["state"]
    return state


def build_log(api: Api, name: str, entity_name: str) -> str:
    answer = api.get(f"{PREFIX}/{name}/served-models/{entity_name}/build-logs")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["logs"])


def test_a_slow_build_keeps_the_update_in_progress_for_its_seconds(
    api: Api, control: FaultControl
) -> None:
    name = unique("slowbuild")
    state = control.slow_build(name, 3, times=1)
    assert state["scenarios"] == [
        {
            "kind": "slow_build",
            "endpoint": name,
            "served_entity": "*",
            "seconds": 3.0,
            "times": 1,
            "seen": 0,
        }
    ]
    started = time.monotonic()
    api.post(PREFIX, json={"name": name, "config": {"served_entities": [entity()]}})
    wait_for(
        lambda: "slow_build scenario" in build_log(api, name, "ads1-1"),
        what="the build to say it is slowed",
    )
    assert api.get(f"{PREFIX}/{name}").json()["state"]["config_update"] == "IN_PROGRESS"
    body = settle(api, name)
    assert time.monotonic() - started >= 3.0
    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert control.state()["scenarios"][0]["seen"] == 1
    api.delete(f"{PREFIX}/{name}")


def test_a_failing_build_fails_the_update_with_the_given_message(
    workspace: LocalWorkspace, api: Api, control: FaultControl
) -> None:
    name = unique("failbuild")
    create_ready(api, name, entity())
    message = (
        "Collecting torch==9.9\n"
        "ERROR: Could not find a version that satisfies the requirement torch==9.9"
    )
    control.failing_build(name, message, times=1)
    api.put(
        f"{PREFIX}/{name}/config", json={"served_entities": [entity(version="2")]}
    ).raise_for_status()
    with pytest.raises(UpdateFailed) as failed:
        workspace.client().wait(name, timeout=60, poll_s=0.2, progress=False)
    assert "Could not find a version that satisfies the requirement torch==9.9" in str(failed.value)
    pending = entity_state(api, name, "pending_config")
    assert pending == {"deployment": "DEPLOYMENT_FAILED", "deployment_state_message": message}
    body = api.get(f"{PREFIX}/{name}").json()
    assert body["state"] == {"ready": "READY", "config_update": "UPDATE_FAILED"}
    assert body["config"]["config_version"] == 1  # the previous config still serves
    log = build_log(api, name, "ads1-2")
    assert " ERROR Collecting torch==9.9" in log
    assert " ERROR build failed (failing_build scenario)" in log
    # times=1: the next update builds for real.
    api.put(
        f"{PREFIX}/{name}/config", json={"served_entities": [entity(version="2")]}
    ).raise_for_status()
    assert settle(api, name)["state"]["config_update"] == "NOT_UPDATING"
    api.delete(f"{PREFIX}/{name}")


def test_a_held_update_stays_in_progress_and_conflicts_until_released(
    api: Api, control: FaultControl
) -> None:
    name = unique("held")
    create_ready(api, name, entity())
    control.hold_updates(name)
    api.put(
        f"{PREFIX}/{name}/config", json={"served_entities": [entity(version="2")]}
    ).raise_for_status()
    wait_for(lambda: name in control.state()["held_updates"], what="the update to be held")
    body = api.get(f"{PREFIX}/{name}").json()
    assert body["state"]["config_update"] == "IN_PROGRESS"
    assert body["pending_config"]["config_version"] == 2
    conflict = api.put(f"{PREFIX}/{name}/config", json={"served_entities": [entity()]})
    assert conflict.status_code == 409, conflict.text
    assert "held IN_PROGRESS until released" in build_log(api, name, "ads1-2")

    assert control.release(name) == [name]
    body = settle(api, name)
    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert body["config"]["config_version"] == 2
    assert "the update was released" in build_log(api, name, "ads1-2")
    assert control.state()["held_updates"] == []
    api.delete(f"{PREFIX}/{name}")


def test_clearing_the_scenarios_lets_a_held_update_go_on(api: Api, control: FaultControl) -> None:
    name = unique("heldclear")
    control.hold_updates(name)
    api.post(PREFIX, json={"name": name, "config": {"served_entities": [entity()]}})
    wait_for(lambda: name in control.state()["held_updates"], what="the update to be held")
    control.clear()
    assert settle(api, name)["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    api.delete(f"{PREFIX}/{name}")


def test_a_flapping_entity_goes_recovering_and_comes_back(api: Api, control: FaultControl) -> None:
    name = unique("flappy")
    endpoint_id = create_ready(api, name, entity())["id"]
    control.flapping(name, every_s=1, times=2)
    recovering = wait_for(
        lambda: (
            (state := entity_state(api, name))["deployment"] == "DEPLOYMENT_RECOVERING" and state
        ),
        what="the entity to recover from a flap",
    )
    # Which flap the poll catches depends on the machine's load: the first, or already the second.
    assert re.match(
        r"The model server was stopped by the flapping scenario \(flap [12] of 2\) and is "
        r"restarting",
        recovering["deployment_state_message"],
    ), recovering

    def restarts() -> int:
        workers = api.get("/__local/workers").json()["workers"]
        [worker] = [w for w in workers if w["endpoint_id"] == endpoint_id]
        return int(worker["restarts"])

    wait_for(
        lambda: restarts() == 2 and entity_state(api, name)["deployment"] == "DEPLOYMENT_READY",
        what="two flaps, then ready again",
    )
    assert control.state()["scenarios"][0]["seen"] == 2
    assert api.get(f"{PREFIX}/{name}").json()["state"]["ready"] == "READY"
    answer = api.post(f"/serving-endpoints/{name}/invocations", json={"inputs": [{"x": 1.0}]})
    assert answer.status_code == 200, answer.text
    logs = api.get(f"{PREFIX}/{name}/served-models/ads1-1/logs").json()["logs"]
    assert "stopped by the flapping scenario, signal 9" in logs
    api.delete(f"{PREFIX}/{name}")


def test_a_cold_start_delays_the_first_answer_after_scale_to_zero(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    ws = start_workspace(
        tmp_path / "ws",
        demo_models,
        env={"SERVING_PANEL_SCALE_TO_ZERO_IDLE_S": "1"},
        enable_faults=True,
    )
    try:
        api = Api(ws.host, ws.token)
        create_ready(api, "sleepy", entity(scale_to_zero_enabled=True))
        wait_for(
            lambda: "Scaled to zero" in entity_state(api, "sleepy")["deployment_state_message"],
            what="scale to zero",
        )
        ws.faults.cold_start("sleepy", 3, times=1)
        started = time.monotonic()
        answer = api.post(
            "/serving-endpoints/sleepy/invocations", json={"dataframe_records": [{"x": 2.0}]}
        )
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started >= 3.0
        logs = api.get(f"{PREFIX}/sleepy/served-models/ads1-1/logs").json()["logs"]
        assert "the start takes 3 s more (cold_start scenario)" in logs
        assert ws.faults.state()["scenarios"][0]["seen"] == 1
    finally:
        ws.stop()


@pytest.mark.parametrize(
    ("scenario", "field", "rule"),
    [
        ({"kind": "meltdown", "endpoint": "a"}, "scenarios[0].kind", "must be one of"),
        ({"kind": "slow_build", "seconds": 1}, "scenarios[0].endpoint", "is required"),
        (
            {"kind": "slow_build", "endpoint": "", "seconds": 1},
            "scenarios[0].endpoint",
            "non-empty",
        ),
        ({"kind": "slow_build", "endpoint": "a"}, "scenarios[0].seconds", "number of seconds"),
        ({"kind": "slow_build", "endpoint": "a", "seconds": 0}, "scenarios[0].seconds", "above 0"),
        ({"kind": "cold_start", "endpoint": "a", "seconds": 3601}, "scenarios[0].seconds", "3600"),
        (
            {"kind": "slow_build", "endpoint": "a", "seconds": True},
            "scenarios[0].seconds",
            "number",
        ),
        (
            {"kind": "flapping", "endpoint": "a", "every_s": 0.5},
            "scenarios[0].every_s",
            "at least 1",
        ),
        (
            {"kind": "failing_build", "endpoint": "a", "message": " "},
            "scenarios[0].message",
            "non-empty",
        ),
        (
            {"kind": "failing_build", "endpoint": "a", "message": "x" * 4097},
            "scenarios[0].message",
            "at most 4096",
        ),
        ({"kind": "hold_update", "endpoint": "a", "times": 0}, "scenarios[0].times", "positive"),
        (
            {"kind": "hold_update", "endpoint": "a", "seconds": 2},
            "scenarios[0].seconds",
            "not a field of a hold_update scenario",
        ),
        ("slow", "scenarios[0]", "JSON object"),
    ],
)
def test_a_bad_scenario_is_400_naming_the_field_and_stores_nothing(
    api: Api, control: FaultControl, scenario: Any, field: str, rule: str
) -> None:
    rule_added = {"path": "/api/2.0/serving-endpoints/never-*", "status": 503}
    answer = api.post(FAULTS, json={"rules": [rule_added], "scenarios": [scenario]})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"].startswith(f"{field}: ") and rule in body["message"], body
    state = control.state()
    assert state["rules"] == [] and state["scenarios"] == []


def test_an_unknown_top_level_field_is_refused_by_name(api: Api, control: FaultControl) -> None:
    answer = api.post(FAULTS, json={"scenario": [{"kind": "hold_update", "endpoint": "a"}]})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("scenario: is not a field here")
    assert control.state()["scenarios"] == []


def test_fault_control_raises_with_the_workspaces_message_and_hides_the_token(
    workspace: LocalWorkspace, control: FaultControl
) -> None:
    with pytest.raises(FaultControlError, match=r"scenarios\[0\]\.seconds: must be a number"):
        control.slow_build("a", -1)
    assert workspace.token not in repr(control)
    with pytest.raises(FaultControlError, match="endpoint: is required"):
        control.release("")


def test_release_needs_an_admin(workspace: LocalWorkspace, api: Api, control: FaultControl) -> None:
    token = workspace.add_user(f"{unique('user')}@example.com")
    answer = api.as_user(token).post(f"{FAULTS}/release", json={"endpoint": "a"})
    assert answer.status_code == 403, answer.text
