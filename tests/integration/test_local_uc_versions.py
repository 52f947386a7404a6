"""Unity Catalog's model-version listing on the local workspace, over real HTTP: the answer's
fields as the service writes them (ModelVersionInfo), pages with `max_results` and
`page_token`, the service's 404 for an unknown model, refusals that name the field, who may
list (any valid token), and databricks-sdk's `model_versions.list` reading it unchanged."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceDoesNotExist
from databricks.sdk.service.catalog import ModelVersionInfoStatus

from harness.api import Api
from serving_panel.local.handle import LocalWorkspace

UC = "/api/2.1/unity-catalog/models"
VERSION_FIELDS = {
    "model_name",
    "catalog_name",
    "schema_name",
    "version",
    "status",
    "id",
    "created_at",
    "updated_at",
}


@pytest.fixture(scope="module")
def three_versions(workspace: LocalWorkspace, demo_models: dict[str, Path]) -> str:
    """A UC model of this module's own with three versions."""
    name = f"main.uc_versions.m{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        workspace.register_model(name, demo_models["regressor"])
    return name


def versions_path(full_name: str) -> str:
    return f"{UC}/{full_name}/versions"


def test_lists_every_version_with_the_service_fields(api: Api, three_versions: str) -> None:
    answer = api.get(versions_path(three_versions))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"model_versions"}  # one page: no next_page_token
    listed = body["model_versions"]
    assert [v["version"] for v in listed] == [1, 2, 3]
    catalog, schema, model = three_versions.split(".")
    for item in listed:
        assert set(item) == VERSION_FIELDS
        assert (item["catalog_name"], item["schema_name"], item["model_name"]) == (
            catalog,
            schema,
            model,
        )
        assert item["status"] == "READY"
        assert isinstance(item["created_at"], int) and item["created_at"] > 1_700_000_000_000
    assert len({item["id"] for item in listed}) == 3
    # The same version keeps its id from one read to the next.
    again = api.get(versions_path(three_versions)).json()["model_versions"]
    assert [v["id"] for v in again] == [v["id"] for v in listed]


def test_pages_follow_next_page_token_to_the_end(api: Api, three_versions: str) -> None:
    seen: list[int] = []
    params: dict[str, str | int] = {"max_results": 2}
    pages = 0
    while True:
        answer = api.get(versions_path(three_versions), params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages += 1
        seen += [v["version"] for v in body["model_versions"]]
        if "next_page_token" not in body:
            break
        params = {"max_results": 2, "page_token": body["next_page_token"]}
    assert (pages, seen) == (2, [1, 2, 3])
    # 0 means the server's page size, which holds all three.
    whole = api.get(versions_path(three_versions), params={"max_results": 0}).json()
    assert [v["version"] for v in whole["model_versions"]] == [1, 2, 3]


def test_an_unknown_model_is_the_services_404(api: Api) -> None:
    name = f"main.uc_versions.nope{uuid.uuid4().hex[:6]}"
    answer = api.get(versions_path(name))
    assert answer.status_code == 404
    assert answer.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": f"Routine or Model '{name}' does not exist.",
    }


def test_a_plain_registry_name_is_not_a_unity_catalog_model(api: Api) -> None:
    answer = api.get(versions_path("ads1"))  # registered, but not under a three-level name
    assert answer.status_code == 400
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"].startswith("full_name: must be a three-level name")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_results": -1}, "max_results"),
        ({"max_results": "ten"}, "max_results"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"page_token": base64.urlsafe_b64encode(b"before:2").decode()}, "page_token"),
    ],
)
def test_bad_paging_is_refused_naming_the_field(
    api: Api, three_versions: str, params: dict[str, object], field: str
) -> None:
    answer = api.get(versions_path(three_versions), params=params)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert answer.json()["message"].startswith(f"{field}: ")


def test_any_valid_token_may_list_and_no_token_may_not(
    api: Api, workspace: LocalWorkspace, three_versions: str
) -> None:
    # The service checks EXECUTE and USE_CATALOG/USE_SCHEMA; the local workspace keeps no UC
    # privileges, so a user with no grant at all lists the versions too.
    token = workspace.add_user(f"uc-reader-{uuid.uuid4().hex[:6]}@example.com")
    reader = api.as_user(token).get(versions_path(three_versions))
    assert reader.status_code == 200
    assert len(reader.json()["model_versions"]) == 3
    nobody = api.as_user(None).get(versions_path(three_versions))
    assert nobody.status_code == 401
    assert nobody.json()["error_code"] == 401


def test_databricks_sdk_lists_the_versions_unchanged(
    workspace: LocalWorkspace, three_versions: str
) -> None:
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    listed = list(sdk.model_versions.list(full_name=three_versions, max_results=2))
    assert [v.version for v in listed] == [1, 2, 3]  # the SDK followed the page token
    catalog, schema, model = three_versions.split(".")
    for info in listed:
        assert info.status == ModelVersionInfoStatus.READY
        assert (info.catalog_name, info.schema_name, info.model_name) == (catalog, schema, model)
        assert info.created_at is not None and info.id is not None

    missing = f"main.uc_versions.gone{uuid.uuid4().hex[:6]}"
    with pytest.raises(ResourceDoesNotExist) as raised:
        list(sdk.model_versions.list(full_name=missing))
    assert isinstance(raised.value, NotFound)
    assert f"Routine or Model '{missing}' does not exist." in str(raised.value)
