"""MLflow's deployments client (`get_deploy_client("databricks")`), unchanged, against the local
workspace: list, get, create, update config and delete."""

from __future__ import annotations

import time
from typing import Any

import pytest
from mlflow.deployments import get_deploy_client

from harness.api import Api, entity, settle, unique
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture
def client(workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABRICKS_HOST", workspace.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", workspace.token)
    monkeypatch.delenv("DATABRICKS_CONFIG_PROFILE", raising=False)
    return get_deploy_client("databricks")  # type: ignore[no-untyped-call]


def test_create_get_list_update_delete(client: Any, api: Api) -> None:
    name = unique("mlflow")
    created = client.create_endpoint(
        config={"name": name, "config": {"served_entities": [entity("ads1", "1")]}}
    )
    assert created["name"] == name
    assert created["state"]["config_update"] == "IN_PROGRESS"
    settle(api, name)

    endpoint = client.get_endpoint(endpoint=name)
    assert endpoint["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert endpoint["config"]["served_entities"][0]["entity_name"] == "ads1"
    assert name in [e["name"] for e in client.list_endpoints()]

    updated = client.update_endpoint_config(
        endpoint=name, config={"served_entities": [entity("ads1", "2")]}
    )
    assert updated["pending_config"]["config_version"] == 2
    body = settle(api, name)
    assert body["config"]["served_entities"][0]["entity_version"] == "2"

    started = time.monotonic()
    assert client.delete_endpoint(endpoint=name) == {}
    # MLflow retries 500s for minutes; an answer well inside that (with room for a loaded
    # machine) shows none came back.
    assert time.monotonic() - started < 60
    assert name not in [e["name"] for e in client.list_endpoints()]


def test_tags_through_mlflow(client: Any, api: Api) -> None:
    name = unique("mlflow-tags")
    client.create_endpoint(
        config={"name": name, "config": {"served_entities": [entity("ads1", "1")]}}
    )
    try:
        answer = client.update_endpoint_tags(
            endpoint=name, config={"add_tags": [{"key": "owner", "value": "ml"}]}
        )
        assert answer["tags"] == [{"key": "owner", "value": "ml"}]
    finally:
        client.delete_endpoint(endpoint=name)


def test_errors_surface_as_mlflow_errors_without_retry_storms(client: Any) -> None:
    started = time.monotonic()
    with pytest.raises(Exception, match="does not exist"):
        client.get_endpoint(endpoint=unique("missing"))
    assert time.monotonic() - started < 60  # MLflow's retries of a 5xx would take minutes
