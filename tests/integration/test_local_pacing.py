"""Update pacing: an update stays IN_PROGRESS for at least the workspace's minimum, so clients
see it in progress and a second update conflicts, as on the service; its build log and entity
states move through their steps meanwhile. Nothing here measures time: the minimum is long
enough (PACE_S) for the calls made right after an update to land inside it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import ResourceConflict
from databricks.sdk.service.serving import ServedEntityInput

from harness.api import Api, entity, settle, unique
from harness.workspaces import start_workspace
from serving_panel import errors
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
#: Each update's minimum time here (seconds): the requests a test sends right after an update
#: must arrive within it, on a loaded machine too.
PACE_S = 6.0


@pytest.fixture(scope="module")
def paced(
    tmp_path_factory: pytest.TempPathFactory, demo_models: dict[str, Path]
) -> Iterator[LocalWorkspace]:
    ws = start_workspace(tmp_path_factory.mktemp("paced"), demo_models, min_update_seconds=PACE_S)
    try:
        yield ws
    finally:
        ws.stop()


@pytest.fixture(scope="module")
def ready(paced: LocalWorkspace) -> str:
    """An endpoint serving ads1 v1, its first (paced) update over."""
    api = Api(paced.host, paced.token)
    name = unique("paced")
    created = api.post(
        PREFIX, json={"name": name, "config": {"served_entities": [entity("ads1", "1")]}}
    )
    assert created.status_code == 200, created.text
    assert created.json()["state"]["config_update"] == "IN_PROGRESS"
    assert settle(api, name)["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    return name


def test_an_update_needing_no_build_is_in_progress_and_a_second_conflicts(
    paced: LocalWorkspace, ready: str
) -> None:
    api = Api(paced.host, paced.token)
    version = api.get(f"{PREFIX}/{ready}").json()["config"]["config_version"]

    # The same served entity: nothing to build, which used to end before the next GET.
    first = api.put(f"{PREFIX}/{ready}/config", json={"served_entities": [entity("ads1", "1")]})

    assert first.status_code == 200, first.text
    assert first.json()["state"]["config_update"] == "IN_PROGRESS"
    seen = api.get(f"{PREFIX}/{ready}").json()
    assert seen["state"] == {"ready": "READY", "config_update": "IN_PROGRESS"}
    assert seen["pending_config"]["config_version"] == version + 1
    sdk = WorkspaceClient(host=paced.host, token=paced.token)
    with pytest.raises(ResourceConflict, match="IN_PROGRESS"):
        sdk.serving_endpoints.update_config(
            ready,
            served_entities=[
                ServedEntityInput(
                    entity_name="ads1",
                    entity_version="2",
                    workload_size="Small",
                    scale_to_zero_enabled=False,
                )
            ],
        )
    # Stop, too, waits for the update (409, as the service refuses it during one).
    with pytest.raises(errors.ResourceConflict, match="IN_PROGRESS"):
        paced.client().stop(ready)

    done = sdk.serving_endpoints.wait_get_serving_endpoint_not_updating(ready)
    assert done.state is not None and done.state.config_update is not None
    assert done.state.config_update.value == "NOT_UPDATING"
    assert done.config is not None and done.config.config_version == version + 1
    assert [e.entity_version for e in done.config.served_entities or []] == ["1"]


def test_a_build_moves_through_its_steps_while_in_progress(
    paced: LocalWorkspace, ready: str
) -> None:
    api = Api(paced.host, paced.token)
    answer = api.put(f"{PREFIX}/{ready}/config", json={"served_entities": [entity("ads1", "2")]})
    assert answer.status_code == 200, answer.text
    version = answer.json()["pending_config"]["config_version"]

    def entity_state(body: dict[str, Any]) -> tuple[str, str]:
        [served] = body["pending_config"]["served_entities"]
        state = served["state"]
        return state["deployment"], state["deployment_state_message"]

    steps = [entity_state(answer.json())]
    deadline = time.monotonic() + 120
    while True:  # polling: the API's only way to follow an update
        body = api.get(f"{PREFIX}/{ready}").json()
        if body["state"]["config_update"] != "IN_PROGRESS":
            break
        if entity_state(body) != steps[-1]:
            steps.append(entity_state(body))
        assert time.monotonic() < deadline, f"still IN_PROGRESS: {body}"

    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}, body
    assert body["config"]["config_version"] == version
    # Seen while the update was in progress: the entity moved on from where it began.
    assert steps[0] == ("DEPLOYMENT_CREATING", "Waiting for the build to start.")
    assert len(steps) >= 2, steps
    assert all(deployment == "DEPLOYMENT_CREATING" for deployment, _ in steps[:-1]), steps
    log = api.get(
        f"{PREFIX}/{ready}/served-models/ads1-2/build-logs", params={"config_version": version}
    ).json()["logs"]
    order = [
        "build started",
        "resolved ads1 version 2",
        "MLmodel: python_function flavor",
        "loading the model in a fresh process",
        "build finished",
    ]
    positions = [log.find(step) for step in order]
    assert -1 not in positions and positions == sorted(positions), log
