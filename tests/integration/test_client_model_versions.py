"""`ServingClient.model_versions` (and `model_versions_df`) against a live local workspace over
real HTTP: every page read (more versions than the service's default page), newest first,
typed; a name that is not three-level refused before sending, naming the field; a model the
workspace's Unity Catalog lacks raised as `ResourceDoesNotExist`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from serving_panel import ServingClient
from serving_panel.errors import ClientValidationError, NotFound, ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace
from serving_panel.types import ModelVersion

#: More than the one page (100) the service answers with by default.
MANY = 103


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with workspace.client() as admin:
        yield admin


@pytest.fixture(scope="module")
def many_versions(workspace: LocalWorkspace, demo_models: dict[str, Path]) -> str:
    name = f"main.client_versions.m{uuid.uuid4().hex[:8]}"
    for _ in range(MANY):
        workspace.register_model(name, demo_models["regressor"])
    return name


def test_every_page_is_read_newest_first(client: ServingClient, many_versions: str) -> None:
    versions = client.model_versions(many_versions)
    assert [v.version for v in versions] == [str(n) for n in range(MANY, 0, -1)]
    newest = versions[0]
    assert isinstance(newest, ModelVersion)
    assert newest.full_name == many_versions
    assert newest.status == "READY" and newest.ready
    assert isinstance(newest.created, datetime) and newest.created.tzinfo is not None
    assert newest.to_json()["version"] == MANY  # the document as the service sent it
    assert newest.get("catalog_name") == "main"


def test_the_dataframe_has_one_typed_row_per_version(
    client: ServingClient, many_versions: str
) -> None:
    frame = client.model_versions_df(many_versions)
    assert len(frame) == MANY
    assert list(frame.columns) == [
        "full_name",
        "version",
        "status",
        "created",
        "created_by",
        "comment",
    ]
    assert frame["version"].iloc[0] == str(MANY)
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    assert set(frame["status"]) == {"READY"}
    assert str(frame["created"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    "bad",
    ["ads1", "main.default", "main..model", "a.b.c.d", "main.default.m/x", "", None, 3],
)
def test_a_name_that_is_not_three_level_is_refused_before_sending(
    client: ServingClient, bad: object
) -> None:
    with pytest.raises(ClientValidationError) as raised:
        client.model_versions(bad)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)
    assert str(raised.value).startswith("name: ")


def test_a_model_not_in_unity_catalog_is_resource_does_not_exist(client: ServingClient) -> None:
    missing = f"main.client_versions.gone{uuid.uuid4().hex[:6]}"
    with pytest.raises(ResourceDoesNotExist) as raised:
        client.model_versions(missing)
    assert isinstance(raised.value, NotFound)
    assert raised.value.status == 404
    assert missing in raised.value.message


def test_a_registered_uc_model_of_the_demo_is_listed(client: ServingClient) -> None:
    # The session workspace registers main.default.sentiment once (harness/workspaces.py).
    assert [v.version for v in client.model_versions("main.default.sentiment")] == ["1"]
