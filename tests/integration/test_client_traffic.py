"""ServingClient.set_traffic and rollback against a live local workspace over real HTTP: the
shift is seen by databricks-sdk, bad input and updates in progress are refused with nothing
sent, and a failed update is rolled back to the config the client saw before it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient

from harness.api import entity, unique, wait_for
from serving_panel import ServingClient
from serving_panel.config_edits import config_body
from serving_panel.errors import ClientValidationError, UpdateFailed, UpdateInProgress
from serving_panel.local.handle import LocalWorkspace
from serving_panel.types import Endpoint


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with ServingClient(workspace.host, workspace.token) as serving:
        yield serving


def entities_as_input(endpoint: Endpoint) -> list[dict[str, Any]]:
    assert endpoint.config is not None
    entities: list[dict[str, Any]] = config_body(endpoint.config.to_json())["served_entities"]
    return entities


def test_a_traffic_shift_from_100_0_to_80_20_is_seen_by_databricks_sdk(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("traffic")
    client.create(
        name,
        [entity("ads1", "1"), entity("ads1", "2", environment_vars={"MODE": "a'b"})],
        traffic={"ads1-1": 100, "ads1-2": 0},
    )
    before = client.wait(name, until="ready", poll_s=0.2, progress=False)
    answer = client.set_traffic(name, {"ads1-1": 80, "ads1-2": 20})
    assert answer.pending_config is not None
    assert answer.pending_config.traffic() == {"ads1-1": 80, "ads1-2": 20}
    client.wait(name, until="ready", poll_s=0.2, progress=False)

    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    seen = sdk.serving_endpoints.get(name)
    assert seen.config is not None and seen.config.traffic_config is not None
    routes = seen.config.traffic_config.routes or []
    assert [(r.served_entity_name, r.traffic_percentage) for r in routes] == [
        ("ads1-1", 80),
        ("ads1-2", 20),
    ]
    assert seen.config.config_version == 2
    # The served entities went back unchanged: same inputs, nothing read-only sent as input.
    after = client.get(name)
    assert entities_as_input(after) == entities_as_input(before)
    assert after.config is not None
    assert all("state" in e.to_json() for e in after.config.served_entities)
    client.delete(name)


@pytest.mark.parametrize(
    ("traffic", "field"),
    [
        ({"ads1-1": 70, "ads1-2": 20}, "traffic"),
        ({"ads1-1": 80, "ads1-9": 20}, "traffic['ads1-9']"),
        ({"ads1-1": 120, "ads1-2": -20}, "traffic['ads1-1']"),
        ({"ads1-1": 80.5, "ads1-2": 19.5}, "traffic['ads1-1']"),
    ],
)
def test_bad_traffic_is_refused_naming_the_field_and_nothing_is_sent(
    client: ServingClient, shared_ready: str, traffic: dict[str, Any], field: str
) -> None:
    before = client.get(shared_ready)
    with pytest.raises(ClientValidationError) as refused:
        client.set_traffic(shared_ready, traffic)
    assert str(refused.value).startswith(f"{field}: ")
    after = client.get(shared_ready)
    assert after.config is not None and before.config is not None
    assert after.config.config_version == before.config.config_version
    assert after.pending_config is None
    assert after.config_update == "NOT_UPDATING"
    assert after.config.traffic() == {"ads1-1": 100, "ads1-2": 0}


@pytest.fixture(scope="module")
def shared_ready(client: ServingClient) -> Iterator[str]:
    name = unique("traffic-ro")
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 100, "ads1-2": 0}
    )
    client.wait(name, poll_s=0.2, progress=False)
    yield name
    client.delete(name)


def test_a_change_during_an_update_is_refused_before_sending(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("traffic-held")
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 100, "ads1-2": 0}
    )
    client.wait(name, poll_s=0.2, progress=False)
    control = workspace.faults
    control.hold_updates(name)
    try:
        client.update_config(
            name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 50, "ads1-2": 50}
        )
        wait_for(lambda: name in control.state()["held_updates"], what="the update to be held")
        with pytest.raises(UpdateInProgress, match=r"update to config 2 is in progress"):
            client.set_traffic(name, {"ads1-1": 80, "ads1-2": 20})
        with pytest.raises(UpdateInProgress):
            client.rollback(name, 1)
        held = client.get(name)
        assert held.pending_config is not None
        assert held.pending_config.config_version == 2
        assert held.pending_config.traffic() == {"ads1-1": 50, "ads1-2": 50}
    finally:
        control.release(name)
    done = client.wait(name, poll_s=0.2, progress=False)
    assert done.config is not None and done.config.config_version == 2
    client.delete(name)


def test_a_failed_update_is_rolled_back_to_the_config_before_it(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("rollback")
    client.create(name, [entity("ads1", "1", environment_vars={"K": "v"})])
    good = client.wait(name, until="ready", poll_s=0.2, progress=False)
    client.update_config(name, [entity("broken", "1")])
    with pytest.raises(UpdateFailed):
        client.wait(name, poll_s=0.2, progress=False, timeout=120)
    assert sorted(client.seen_configs(name)) == [1, 2]
    assert [e.label for e in client.seen_configs(name)[2].served_entities] == ["broken@1"]

    # A client that never saw v1 still knows it: the failed update left it current.
    fresh = ServingClient(workspace.host, workspace.token)
    answer = fresh.rollback(name, 1)
    assert answer.pending_config is not None
    assert answer.pending_config.config_version == 3
    back = client.wait(name, until="ready", poll_s=0.2, progress=False)
    assert back.state == "Ready"
    assert back.config is not None and back.config.config_version == 3
    assert entities_as_input(back) == entities_as_input(good)
    assert back.config.traffic() == {"ads1-1": 100}
    fresh.close()
    client.delete(name)


def test_rolling_back_to_a_version_never_seen_names_the_known_ones(
    client: ServingClient, shared_ready: str
) -> None:
    version = client.get(shared_ready).config
    assert version is not None
    with pytest.raises(ClientValidationError) as refused:
        client.rollback(shared_ready, 7)
    assert str(refused.value).startswith("config_version: ")
    assert f"known: {version.config_version}" in str(refused.value)
    with pytest.raises(ClientValidationError, match=r"^config_version: must be an integer"):
        client.rollback(shared_ready, "1")  # type: ignore[arg-type]
    after = client.get(shared_ready)
    assert after.config is not None and after.config.config_version == version.config_version
    assert after.pending_config is None


def test_a_re_created_endpoint_does_not_inherit_the_old_ones_history(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("traffic-again")
    client.create(name, [entity("ads1", "1")])
    client.wait(name, poll_s=0.2, progress=False)
    client.update_config(name, [entity("ads1", "2")])
    client.wait(name, poll_s=0.2, progress=False)
    assert sorted(client.seen_configs(name)) == [1, 2]
    other = ServingClient(workspace.host, workspace.token)
    other.delete(name)  # another client deletes it and makes it anew
    other.create(name, [entity("ads1", "2")])
    other.wait(name, poll_s=0.2, progress=False)
    client.get(name)
    assert sorted(client.seen_configs(name)) == [1]
    assert [e.label for e in client.seen_configs(name)[1].served_entities] == ["ads1@2"]
    other.delete(name)
    other.close()
