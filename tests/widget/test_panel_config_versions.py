"""`config.versions`, the add-entity form's version list, sent as the front end sends it
against a live local workspace: a Unity Catalog model's versions newest first, and errors in
words for a plain registry name, an unknown model and a bad payload (the form keeps free text)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def endpoint(client: ServingClient) -> Iterator[str]:
    name = unique("panel-versions")
    client.create(name, [entity("ads1", "1")])
    client.wait(name, poll_s=0.2, progress=False)
    yield name
    client.delete(name)


@pytest.fixture(scope="module")
def uc_model(workspace: LocalWorkspace, demo_models: dict[str, Path]) -> str:
    name = f"main.panel_versions.m{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        workspace.register_model(name, demo_models["regressor"])
    return name


def test_lists_the_versions_newest_first(
    client: ServingClient, endpoint: str, uc_model: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, auto_refresh=False), comms)
    result = view.result("config.versions", name=f"  {uc_model} ")
    assert result["name"] == uc_model
    assert result["total"] == 3
    assert [v["version"] for v in result["versions"]] == ["3", "2", "1"]
    for item in result["versions"]:
        assert set(item) == {"version", "status", "created"}
        assert item["status"] == "READY"
        assert isinstance(item["created"], int) and item["created"] > 1_700_000_000_000


def test_a_plain_registry_name_says_versions_are_listed_for_unity_catalog_only(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, auto_refresh=False), comms)
    error = view.error("config.versions", name="ads1")
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert error["status"] == 400
    assert error["message"].startswith("name: must be a Unity Catalog model name")
    assert "type the version" in error["message"]


def test_an_unknown_model_is_a_404_in_words(
    client: ServingClient, workspace: LocalWorkspace, endpoint: str, comms: CommLog
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, auto_refresh=False), comms)
    missing = f"main.panel_versions.gone{uuid.uuid4().hex[:6]}"
    error = view.error("config.versions", name=missing)
    assert (error["error_code"], error["status"]) == ("RESOURCE_DOES_NOT_EXIST", 404)
    assert f"no Unity Catalog model {missing}" in error["message"]
    assert workspace.token not in error["message"]


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "   "}, {"name": 7}])
def test_a_missing_name_is_refused_naming_the_field(
    client: ServingClient, endpoint: str, comms: CommLog, payload: dict[str, object]
) -> None:
    view = PanelView(EndpointPanel(endpoint, client=client, auto_refresh=False), comms)
    error = view.error("config.versions", **payload)
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert error["message"].startswith("name: ")
