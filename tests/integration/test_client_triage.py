"""Failure triage with real failing models on the local workspace: each cause it can produce
(a missing module, a requirement this environment cannot meet, a model that raises while
loading, a model version gone from the store, a load past the build timeout, a model server
over its memory limit), from `wait`'s UpdateFailed to the log line it quotes. The causes only a
Databricks workspace produces are tested on sample text in tests/unit/test_triage.py.

The endpoints on the session workspace are created together (their builds run side by side);
the timeout and the memory limit each need a workspace of their own settings. The memory limit
takes longest (the workspace restarts the model server four times, backing off 1 + 2 + 4 + 8 s,
before it gives up), so its endpoint is created first and fails while the other tests run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.api import entity, unique
from harness.failing import HUNGRY_MB, UNMET_REQUIREMENT, write_failing_models
from harness.workspaces import start_workspace
from serving_panel import ServingClient
from serving_panel.errors import UpdateFailed
from serving_panel.local.handle import LocalWorkspace
from serving_panel.triage import Diagnosis

HUNGRY_LIMIT_MB = HUNGRY_MB // 2


@pytest.fixture(scope="module")
def failing_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_failing_models(tmp_path_factory.mktemp("failing-models"))


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with workspace.client() as admin:
        yield admin


@pytest.fixture(scope="module")
def hungry(
    tmp_path_factory: pytest.TempPathFactory,
    demo_models: dict[str, Path],
    failing_models: dict[str, Path],
) -> Iterator[ServingClient]:
    """A workspace whose memory limit is half of what the hungry model takes while it loads,
    with an endpoint "hungry" serving it, created at once; a client of it."""
    ws = start_workspace(
        tmp_path_factory.mktemp("hungry"),
        demo_models,
        env={"SERVING_PANEL_MEMORY_LIMIT_MB": str(HUNGRY_LIMIT_MB)},
    )
    try:
        ws.register_model("hungry", failing_models["hungry"])
        with ws.client() as admin:
            admin.create("hungry", [entity("hungry", "1")])
            yield admin
    finally:
        ws.stop()


@pytest.fixture(scope="module")
def failing(
    workspace: LocalWorkspace,
    client: ServingClient,
    failing_models: dict[str, Path],
    hungry: ServingClient,
) -> Iterator[dict[str, str]]:
    """One endpoint per cause, all created before any test waits: cause -> endpoint name.
    (It asks for `hungry` only to start that slow failure first.)"""
    models = {}
    for cause, path in failing_models.items():
        models[cause] = unique(f"triage-{cause.replace('_', '-')}")
        workspace.register_model(models[cause], path)
    vanishing = unique("triage-vanishing")
    for _ in range(2):
        workspace.register_model(vanishing, failing_models["missing_module"])
    names = {
        "missing-module": ("missing-module", models["missing_module"]),
        "requirement-unavailable": ("requirement", models["unmet_requirement"]),
        "model-load-error": ("load-error", "broken"),
        "model-version-missing": ("vanished", vanishing),
    }
    endpoints = {cause: unique(f"triage-{short}") for cause, (short, _) in names.items()}
    # The vanishing model's build waits 3 s before it resolves the model, time enough to
    # delete the version the endpoint was created with (creating it checks that it exists).
    workspace.faults.slow_build(endpoints["model-version-missing"], 3, times=1)
    for cause, (_, model) in names.items():
        version = "2" if model == vanishing else "1"
        client.create(endpoints[cause], [entity(model, version)])
    shutil.rmtree(workspace.data_dir / "models" / vanishing / "2")
    yield endpoints
    for name in endpoints.values():
        client.delete(name)


def failure(client: ServingClient, name: str) -> UpdateFailed:
    with pytest.raises(UpdateFailed) as raised:
        client.wait(name, timeout=120, poll_s=0.2, progress=False)
    return raised.value


def check_quote(client: ServingClient, name: str, diagnosis: Diagnosis) -> str:
    """The first quoted line is the log's line at that number, as the Logs tab would show it;
    returns its text."""
    assert diagnosis.log is not None and diagnosis.line is not None
    read = client.build_logs if diagnosis.log == "build" else client.logs
    assert diagnosis.entity is not None
    log = read(name, diagnosis.entity, config_version=diagnosis.config_version)
    line = log.split("\n")[diagnosis.line - 1]
    assert diagnosis.evidence[0].text == line.strip()
    return line


def test_a_model_importing_a_missing_module(client: ServingClient, failing: dict[str, str]) -> None:
    name = failing["missing-module"]
    error = failure(client, name)
    found = error.diagnosis
    assert found is not None
    assert (found.cause, found.log, found.config_version) == ("missing-module", "build", 1)
    line = check_quote(client, name, found)
    assert "No module named 'serving_panel_triage_no_such_module'" in line
    assert "missing-module" in str(error)
    assert found.title in str(error)


def test_a_requirement_this_environment_cannot_meet(
    client: ServingClient, failing: dict[str, str]
) -> None:
    name = failing["requirement-unavailable"]
    found = failure(client, name).diagnosis
    assert found is not None
    assert (found.cause, found.log) == ("requirement-unavailable", "build")
    line = check_quote(client, name, found)
    assert f"ERROR requirement {UNMET_REQUIREMENT}: not installed, NOT SATISFIED" in line
    assert found.evidence[-1].source == "state"  # "requirements not satisfied by ..."


def test_a_model_that_raises_while_loading(client: ServingClient, failing: dict[str, str]) -> None:
    name = failing["model-load-error"]
    found = failure(client, name).diagnosis
    assert found is not None
    assert (found.cause, found.log, found.entity) == ("model-load-error", "build", "broken-1")
    line = check_quote(client, name, found)
    assert "model failed to load: RuntimeError: demo model 'broken' fails to load" in line
    assert any("in load_context" in quote.text for quote in found.evidence)


def test_a_model_version_gone_from_the_store(
    client: ServingClient, failing: dict[str, str]
) -> None:
    name = failing["model-version-missing"]
    found = failure(client, name).diagnosis
    assert found is not None
    assert (found.cause, found.log) == ("model-version-missing", "build")
    line = check_quote(client, name, found)
    assert "has no version 2 in the local model store (registered versions: 1)" in line


def test_a_failing_log_read_does_not_hide_the_failure(
    workspace: LocalWorkspace, client: ServingClient
) -> None:
    """Both logs answer 500: UpdateFailed still comes, its cause read from the state message."""
    name = unique("triage-no-logs")
    workspace.faults.fail(f"/api/2.0/serving-endpoints/{name}/served-models/*", 500, method="GET")
    try:
        client.create(name, [entity("broken", "1")])
        error = failure(client, name)
    finally:
        workspace.faults.clear()
    assert "build log unavailable" in str(error)
    found = error.diagnosis
    assert found is not None
    assert found.cause == "model-load-error"
    assert (found.log, found.line) == (None, None)
    assert [quote.source for quote in found.evidence] == ["state"]
    client.delete(name)


def test_a_load_past_the_build_timeout(tmp_path: Path, demo_models: dict[str, Path]) -> None:
    ws = start_workspace(tmp_path / "ws", demo_models, env={"SERVING_PANEL_BUILD_TIMEOUT_S": "2"})
    try:
        with ws.client() as admin:
            hour = {"SERVING_PANEL_DEMO_SLOW_SECONDS": "3600"}
            admin.create("hangs", [entity("slow", "1", environment_vars=hour)])
            found = failure(admin, "hangs").diagnosis
            assert found is not None
            assert (found.cause, found.log) == ("timeout", "build")
            line = check_quote(admin, "hangs", found)
            assert "timed out: the model did not load within the build timeout of 2 s" in line
    finally:
        ws.stop()


def test_a_model_server_over_its_memory_limit(hungry: ServingClient) -> None:
    """The build passes (its load has no limit); each model server is killed while loading
    until the workspace gives up: the cause is in the server log."""
    error = failure(hungry, "hungry")
    found = error.diagnosis
    assert found is not None
    assert (found.cause, found.log) == ("out-of-memory", "server")
    line = check_quote(hungry, "hungry", found)
    assert "memory limit exceeded: resident memory" in line
    assert f"is over the limit of {HUNGRY_LIMIT_MB} MB" in line
    assert "out-of-memory" in str(error)


def test_a_dependency_conflict_replayed_by_the_workspace(
    workspace: LocalWorkspace, client: ServingClient
) -> None:
    """The local workspace resolves nothing, so it cannot conflict; its failing_build scenario
    replays pip's words (tests/unit/sample_logs) into a real build log, line by line."""
    name = unique("triage-conflict")
    sample = Path(__file__).parents[1] / "unit" / "sample_logs" / "pip-conflict.build.log"
    workspace.faults.failing_build(name, sample.read_text(encoding="utf-8"), times=1)
    client.create(name, [entity("ads1", "1")])
    found = failure(client, name).diagnosis
    assert found is not None
    assert (found.cause, found.log) == ("dependency-conflict", "build")
    line = check_quote(client, name, found)
    assert "because these package versions have conflicting dependencies" in line
    assert found.evidence[-1].source == "state"  # the scenario's message is the state message
    client.delete(name)
