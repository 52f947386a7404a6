"""MLflow's deployments client (`get_deploy_client("databricks")`), unchanged, against the local
workspace: list, get, create, update config and delete."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from mlflow.deployments import get_deploy_client

from harness.api import Api, entity, settle, unique
from serving_panel.local.handle import LocalWorkspace

FAULTS = "/__local/faults"


@dataclass
class Count:
    requests: int = 0


@contextmanager
def counting(api: Api, method: str, path: str) -> Iterator[Count]:
    """Counts the requests to `path` made inside the block, through the workspace's fault
    rules: a rule that lets its first million matches through only counts them."""
    rule = {"method": method, "path": path, "status": 503, "offset": 1_000_000}
    assert api.post(FAULTS, json={"rules": [rule]}).status_code == 200
    count = Count()
    try:
        yield count
    finally:
        rules = api.get(FAULTS).json()["rules"]
        count.requests = sum(r["seen"] for r in rules if (r["method"], r["path"]) == (method, path))
        assert api.delete(FAULTS).status_code == 200


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

    with counting(api, "DELETE", f"/api/2.0/serving-endpoints/{name}") as deletes:
        assert client.delete_endpoint(endpoint=name) == {}
    assert deletes.requests == 1  # MLflow retries 5xx answers: one request shows none came
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


def test_errors_surface_as_mlflow_errors_without_retry_storms(client: Any, api: Api) -> None:
    missing = unique("missing")
    path = f"/api/2.0/serving-endpoints/{missing}"
    with (
        counting(api, "GET", path) as gets,
        pytest.raises(Exception, match="does not exist"),
    ):
        client.get_endpoint(endpoint=missing)
    assert gets.requests == 1  # a 404, sent once: MLflow would have retried a 5xx
