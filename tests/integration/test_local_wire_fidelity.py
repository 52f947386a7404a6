"""Wire differences from the real service, closed (shared/reference/wire-fidelity-2026.md): each
test names the section of the reference whose behaviour it checks, over real HTTP, through
databricks-sdk's own methods where it has one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import schemathesis
from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.credentials_provider import CredentialsProvider, CredentialsStrategy
from databricks.sdk.errors import (
    InvalidParameterValue,
    InvalidState,
    PermissionDenied,
    ResourceDoesNotExist,
    Unauthenticated,
)
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    EndpointStateReady,
    EndpointTag,
    ExternalFunctionRequestHttpMethod,
    PtEndpointCoreConfig,
    PtServedModel,
    Route,
    ServedEntityInput,
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
    TelemetryConfig,
    TelemetryFeature,
    TelemetryInferenceTableConfig,
    TrafficConfig,
    UnityCatalogTableNames,
)
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from mlflow.deployments import get_deploy_client

from harness.api import Api
from serving_panel import ServingClient
from serving_panel.errors import ClientValidationError, error_from_response
from serving_panel.errors import ResourceDoesNotExist as ResourceDoesNotExistClient
from serving_panel.errors import Unauthenticated as ClientUnauthenticated
from serving_panel.local.handle import LocalWorkspace
from serving_panel.types import Endpoint

PREFIX = "/api/2.0/serving-endpoints"
MISSING_CREDENTIAL = "Credential was not sent or was of an unsupported type for this API."


@pytest.fixture(scope="module")
def sdk(workspace: LocalWorkspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.host, token=workspace.token)


# §1: authentication failures ---------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"Authorization": "Bearer "}],
    ids=["no header", "not bearer", "empty token"],
)
def test_a_missing_or_unreadable_credential_is_the_services_401(
    workspace: LocalWorkspace, headers: dict[str, str]
) -> None:
    response = requests.get(workspace.host + PREFIX, headers=headers, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json() == {"error_code": 401, "message": MISSING_CREDENTIAL}
    assert response.headers["X-Databricks-Reason-Phrase"] == MISSING_CREDENTIAL


class _BasicAuth(CredentialsStrategy):
    """A credential the serving API doesn't take: HTTP basic, as an old script might send."""

    def auth_type(self) -> str:
        return "basic-for-test"

    def __call__(self, cfg: Config) -> CredentialsProvider:
        return lambda: {"Authorization": "Basic YWRtaW46YWRtaW4="}


def test_databricks_sdk_maps_the_401_and_403_bodies_to_its_classes(
    workspace: LocalWorkspace,
) -> None:
    # The SDK maps an error by its code first; an integer code falls through to the status.
    unsupported = WorkspaceClient(
        config=Config(host=workspace.host, credentials_strategy=_BasicAuth())
    )
    with pytest.raises(Unauthenticated, match="Credential was not sent"):
        unsupported.serving_endpoints.list()
    forged = WorkspaceClient(host=workspace.host, token="dapi" + "0" * 32)
    with pytest.raises(PermissionDenied, match="Invalid access token"):
        forged.serving_endpoints.list()


def test_the_client_reads_the_401_body_as_unauthenticated(workspace: LocalWorkspace) -> None:
    response = requests.get(workspace.host + PREFIX, timeout=30)
    error = error_from_response(response.status_code, response.content, method="GET", path=PREFIX)
    assert isinstance(error, ClientUnauthenticated)
    assert error.status == 401
    assert str(error).startswith(MISSING_CREDENTIAL) or MISSING_CREDENTIAL in str(error)


# §5: names, not-found, no-route ------------------------------------------------------------


@pytest.mark.parametrize("name", ["databricks-my-llm", "Databricks-Mine", "DATABRICKS-x"])
def test_a_new_endpoint_cant_take_the_reserved_databricks_prefix(
    sdk: WorkspaceClient, name: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=r"name: .*reserved") as raised:
        sdk.serving_endpoints.create(name=name)
    assert "databricks-" in str(raised.value)
    with pytest.raises(ResourceDoesNotExist):
        sdk.serving_endpoints.get(name)


@pytest.mark.parametrize("name", ["my-databricks-endpoint", "databricks", "databricks_x"])
def test_names_that_only_contain_databricks_are_fine(sdk: WorkspaceClient, name: str) -> None:
    name = f"{name}-{uuid.uuid4().hex[:6]}" if name != "databricks" else name
    sdk.serving_endpoints.create(name=name)
    try:
        assert sdk.serving_endpoints.get(name).name == name
    finally:
        sdk.serving_endpoints.delete(name)


def test_the_clients_own_check_agrees_and_still_reads_reserved_names(
    workspace: LocalWorkspace,
) -> None:
    with ServingClient(host=workspace.host, token=workspace.token) as client:
        with pytest.raises(ClientValidationError, match=r"^name: .*reserved"):
            client.create("databricks-gte-large-en")
        # Preconfigured endpoints carry the prefix: reading one is a lookup, not a refusal.
        with pytest.raises(ResourceDoesNotExistClient):
            client.get("databricks-gte-large-en")


@pytest.mark.parametrize(
    ("method", "path", "shown"),
    [
        # As a real answer shows it (databricks/databricks-cli#383): without /api/2.0.
        ("GET", "/api/2.0/no-such-api", "/no-such-api"),
        ("POST", "/api/2.1/serving-endpoints", "/api/2.1/serving-endpoints"),
        ("GET", "/api/2.0/serving-endpoints/a%09b", "/serving-endpoints/a\tb"),
        ("DELETE", "/api/2.0/serving-endpoints/%0A", "/serving-endpoints/\n"),
        # A path that exists, with a method it doesn't take: the service's message names the
        # method, so it looks APIs up by both (inferred); the same 404, never a 405.
        ("POST", "/api/2.0/serving-endpoints/some-endpoint", "/serving-endpoints/some-endpoint"),
        ("GET", "/api/2.0/serving-endpoints/pt/x/config", "/serving-endpoints/pt/x/config"),
        (
            "DELETE",
            "/api/2.0/serving-endpoints/x/telemetry-config",
            "/serving-endpoints/x/telemetry-config",
        ),
    ],
)
def test_an_unknown_route_is_the_services_404_in_one_wording(
    workspace: LocalWorkspace, method: str, path: str, shown: str
) -> None:
    response = requests.request(
        method,
        workspace.host + path,
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=30,
    )
    assert response.status_code == 404, response.text
    assert response.json() == {
        "error_code": "ENDPOINT_NOT_FOUND",
        "message": f"No API found for '{method} {shown}'",
    }
    assert "Allow" not in response.headers


def test_get_on_the_pt_path_reads_the_endpoint_named_pt(sdk: WorkspaceClient) -> None:
    # POST .../pt creates; GET .../pt is the endpoint called "pt", as for any name.
    with pytest.raises(ResourceDoesNotExist, match="Endpoint with name 'pt' does not exist"):
        sdk.serving_endpoints.get("pt")


# §4: the endpoint GET shape ----------------------------------------------------------------


def test_the_budget_policy_comes_back_as_effective_budget_policy_id(
    sdk: WorkspaceClient, workspace: LocalWorkspace
) -> None:
    name = f"budget-{uuid.uuid4().hex[:8]}"
    sdk.serving_endpoints.create(name=name, budget_policy_id="policy-123")
    try:
        api = Api(workspace.host, workspace.token)
        got = api.get(f"{PREFIX}/{name}").json()
        assert got["effective_budget_policy_id"] == "policy-123"
        assert "budget_policy_id" not in got
        [listed] = [e for e in api.get(PREFIX).json()["endpoints"] if e["name"] == name]
        assert listed["effective_budget_policy_id"] == "policy-123"
        assert "budget_policy_id" not in listed
        # The SDK models only budget_policy_id, which the service leaves empty.
        assert sdk.serving_endpoints.get(name).budget_policy_id is None
        with ServingClient(host=workspace.host, token=workspace.token) as client:
            assert client.get(name).budget_policy_id == "policy-123"
            [item] = [e for e in client.list() if e.name == name]
            assert item.budget_policy_id == "policy-123"
    finally:
        sdk.serving_endpoints.delete(name)


@pytest.mark.parametrize("key", ["effective_budget_policy_id", "budget_policy_id"])
def test_the_clients_typed_endpoint_reads_the_old_and_new_budget_names(key: str) -> None:
    # A workspace that still says budget_policy_id (an older local one) reads the same.
    assert Endpoint.from_json({"name": "e", key: "p-1"}).budget_policy_id == "p-1"


def test_workload_size_is_filled_in_only_when_no_size_was_sent(sdk: WorkspaceClient) -> None:
    name = f"sizes-{uuid.uuid4().hex[:8]}"
    entities = [
        ServedEntityInput(
            entity_name="ads1",
            entity_version="1",
            name="by-concurrency",
            min_provisioned_concurrency=0,
            max_provisioned_concurrency=8,
            scale_to_zero_enabled=False,
        ),
        ServedEntityInput(entity_name="ads1", entity_version="2", name="unsized"),
        ServedEntityInput(
            entity_name="ads1", entity_version="1", name="medium", workload_size="Medium"
        ),
    ]
    routes = [
        Route(served_entity_name="by-concurrency", traffic_percentage=50),
        Route(served_entity_name="unsized", traffic_percentage=25),
        Route(served_entity_name="medium", traffic_percentage=25),
    ]
    sdk.serving_endpoints.create_and_wait(
        name=name,
        config=EndpointCoreConfigInput(
            name=name, served_entities=entities, traffic_config=TrafficConfig(routes=routes)
        ),
    )
    try:
        endpoint = sdk.serving_endpoints.get(name)
        assert endpoint.state is not None and endpoint.state.ready == EndpointStateReady.READY
        assert endpoint.config is not None
        by_name = {e.name: e for e in endpoint.config.served_entities or []}
        sized = by_name["by-concurrency"]
        assert sized.workload_size is None
        assert (sized.min_provisioned_concurrency, sized.max_provisioned_concurrency) == (0, 8)
        assert by_name["unsized"].workload_size == "Small"
        assert by_name["medium"].workload_size == "Medium"
        assert by_name["medium"].min_provisioned_concurrency is None
    finally:
        sdk.serving_endpoints.delete(name)


@pytest.mark.parametrize(
    ("entity", "field", "rule"),
    [
        (
            {"workload_size": "Small", "max_provisioned_concurrency": 4},
            "config.served_entities[0]",
            "not both",
        ),
        (
            {"min_provisioned_concurrency": 8, "max_provisioned_concurrency": 4},
            "config.served_entities[0].min_provisioned_concurrency",
            "must not exceed max_provisioned_concurrency (4), got 8",
        ),
        (
            {"max_provisioned_concurrency": "four"},
            "config.served_entities[0].max_provisioned_concurrency",
            "must be an integer",
        ),
        (
            {"min_provisioned_concurrency": -4},
            "config.served_entities[0].min_provisioned_concurrency",
            "must be at least 0",
        ),
    ],
)
def test_bad_sizing_is_a_400_naming_the_field(
    workspace: LocalWorkspace, entity: dict[str, object], field: str, rule: str
) -> None:
    name = f"badsize-{uuid.uuid4().hex[:8]}"
    body = {
        "name": name,
        "config": {"served_entities": [{"entity_name": "ads1", "entity_version": "1", **entity}]},
    }
    api = Api(workspace.host, workspace.token)
    response = api.post(PREFIX, json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert error["message"].startswith(f"{field}: "), error
    assert rule in error["message"]
    assert api.get(f"{PREFIX}/{name}").status_code == 404


# §6: routes databricks-sdk has ------------------------------------------------------------


@pytest.fixture(scope="module")
def viewer_sdk(workspace: LocalWorkspace) -> tuple[str, WorkspaceClient]:
    """A user with no grant yet, and an SDK client acting as them."""
    user = f"viewer-{uuid.uuid4().hex[:8]}@example.com"
    return user, WorkspaceClient(host=workspace.host, token=workspace.add_user(user))


def grant(sdk: WorkspaceClient, endpoint: str, user: str, level: str) -> None:
    endpoint_id = sdk.serving_endpoints.get(endpoint).id
    assert endpoint_id is not None
    sdk.serving_endpoints.update_permissions(
        endpoint_id,
        access_control_list=[
            ServingEndpointAccessControlRequest(
                user_name=user, permission_level=ServingEndpointPermissionLevel(level)
            )
        ],
    )


def test_patch_telemetry_config_sets_replaces_and_removes_it(
    sdk: WorkspaceClient, viewer_sdk: tuple[str, WorkspaceClient]
) -> None:
    name = f"telemetry-{uuid.uuid4().hex[:8]}"
    sdk.serving_endpoints.create(name=name)
    try:
        tables = TelemetryConfig(
            table_names=UnityCatalogTableNames(
                logs_table="main.obs.logs", metrics_table="main.obs.metrics"
            ),
            enabled_telemetry_features=[
                TelemetryFeature.TELEMETRY_FEATURE_LOGS,
                TelemetryFeature.TELEMETRY_FEATURE_METRICS,
            ],
            inference_table_config=TelemetryInferenceTableConfig(sampling_fraction=0.25),
        )
        answer = sdk.serving_endpoints.patch_telemetry_config(name, telemetry_config=tables)
        assert answer.name == name
        assert answer.telemetry_config == tables
        assert sdk.serving_endpoints.get(name).telemetry_config == tables
        profile = TelemetryConfig(telemetry_profile_id="profile-7")
        answer = sdk.serving_endpoints.patch_telemetry_config(name, telemetry_config=profile)
        assert answer.telemetry_config == profile
        # Leaving the config out removes telemetry, as the SDK documents.
        answer = sdk.serving_endpoints.patch_telemetry_config(name)
        assert answer.telemetry_config is None
        assert sdk.serving_endpoints.get(name).telemetry_config is None

        user, viewer = viewer_sdk
        grant(sdk, name, user, "CAN_QUERY")
        with pytest.raises(PermissionDenied, match="CAN_MANAGE"):
            viewer.serving_endpoints.patch_telemetry_config(name, telemetry_config=profile)
        assert sdk.serving_endpoints.get(name).telemetry_config is None
    finally:
        sdk.serving_endpoints.delete(name)


@pytest.mark.parametrize(
    ("telemetry", "field", "rule"),
    [
        (
            {"telemetry_profile_id": "p", "table_names": {"logs_table": "a.b.c"}},
            "telemetry_config",
            "not both",
        ),
        (
            {"enabled_telemetry_features": ["TELEMETRY_FEATURE_EVERYTHING"]},
            "telemetry_config.enabled_telemetry_features[0]",
            "must be one of",
        ),
        (
            {"inference_table_config": {"sampling_fraction": 1.5}},
            "telemetry_config.inference_table_config.sampling_fraction",
            "from 0.0 to 1.0",
        ),
        (
            {"table_names": {"logs_table": ""}},
            "telemetry_config.table_names.logs_table",
            "non-empty",
        ),
        ("everything", "telemetry_config", "must be a JSON object"),
    ],
)
def test_bad_telemetry_config_is_a_400_naming_the_field(
    workspace: LocalWorkspace, telemetry: object, field: str, rule: str
) -> None:
    api = Api(workspace.host, workspace.token)
    name = f"telemetry-bad-{uuid.uuid4().hex[:8]}"
    assert api.post(PREFIX, json={"name": name}).status_code == 200
    try:
        for response in (
            api.patch(f"{PREFIX}/{name}/telemetry-config", json={"telemetry_config": telemetry}),
            api.post(PREFIX, json={"name": name + "-2", "telemetry_config": telemetry}),
        ):
            assert response.status_code == 400, response.text
            error = response.json()
            assert error["error_code"] == "INVALID_PARAMETER_VALUE"
            assert error["message"].startswith(f"{field}: "), error
            assert rule in error["message"]
        assert "telemetry_config" not in api.get(f"{PREFIX}/{name}").json()
        assert api.get(f"{PREFIX}/{name}-2").status_code == 404
    finally:
        api.delete(f"{PREFIX}/{name}")


def test_provisioned_throughput_create_and_update_through_the_sdk(
    sdk: WorkspaceClient, viewer_sdk: tuple[str, WorkspaceClient]
) -> None:
    name = f"pt-{uuid.uuid4().hex[:8]}"
    created = sdk.serving_endpoints.create_provisioned_throughput_endpoint_and_wait(
        name=name,
        config=PtEndpointCoreConfig(
            served_entities=[
                PtServedModel(
                    entity_name="ads1",
                    entity_version="1",
                    provisioned_model_units=50,
                    burst_scaling_enabled=False,
                )
            ]
        ),
        tags=[EndpointTag(key="team", value="llm")],
        budget_policy_id="policy-pt",
    )
    try:
        assert created.state is not None and created.state.ready == EndpointStateReady.READY
        assert created.config is not None
        [entity] = created.config.served_entities or []
        assert (entity.name, entity.entity_version, entity.provisioned_model_units) == (
            "ads1-1",
            "1",
            50,
        )
        assert entity.workload_size is None
        assert entity.burst_scaling_enabled is None  # accepted, not echoed, as on any config
        assert created.tags == [EndpointTag(key="team", value="llm")]

        user, viewer = viewer_sdk
        grant(sdk, name, user, "CAN_QUERY")
        new_config = PtEndpointCoreConfig(
            served_entities=[
                PtServedModel(entity_name="ads1", entity_version="2", provisioned_model_units=100)
            ]
        )
        with pytest.raises(PermissionDenied, match="CAN_MANAGE"):
            viewer.serving_endpoints.update_provisioned_throughput_endpoint_config(name, new_config)
        updated = sdk.serving_endpoints.update_provisioned_throughput_endpoint_config_and_wait(
            name, new_config
        )
        assert updated.config is not None and updated.config.config_version == 2
        [entity] = updated.config.served_entities or []
        assert (entity.name, entity.provisioned_model_units) == ("ads1-2", 100)
        # It serves like any endpoint.
        answer = viewer.serving_endpoints.query(name, dataframe_records=[{"x": 1.0}, {"x": 2.0}])
        assert answer.served_model_name == "ads1-2"
        assert answer.predictions is not None and len(answer.predictions) == 2
    finally:
        sdk.serving_endpoints.delete(name)


@pytest.mark.parametrize(
    ("entity", "field", "rule"),
    [
        ({"entity_version": "1"}, "config.served_entities[0].provisioned_model_units", "required"),
        (
            {"entity_version": "1", "provisioned_model_units": 0},
            "config.served_entities[0].provisioned_model_units",
            "must be at least 1",
        ),
        (
            {"entity_version": "1", "provisioned_model_units": 10, "scale_to_zero_enabled": True},
            "config.served_entities[0].scale_to_zero_enabled",
            "can't scale to zero",
        ),
        (
            {"entity_version": "1", "provisioned_model_units": 10, "workload_size": "Small"},
            "config.served_entities[0].workload_size",
            "provisioned_model_units",
        ),
        (
            {"entity_version": "9", "provisioned_model_units": 10},
            "config.served_entities[0].entity_version",
            "",
        ),
    ],
)
def test_bad_provisioned_throughput_input_is_a_400_naming_the_field(
    workspace: LocalWorkspace, entity: dict[str, object], field: str, rule: str
) -> None:
    api = Api(workspace.host, workspace.token)
    name = f"pt-bad-{uuid.uuid4().hex[:8]}"
    config = {"served_entities": [{"entity_name": "ads1", **entity}]}
    created = api.post(f"{PREFIX}/pt", json={"name": name, "config": config})
    assert api.post(PREFIX, json={"name": name}).status_code == 200
    try:
        updated = api.put(f"{PREFIX}/pt/{name}/config", json={"config": config})
        for response in (created, updated):
            assert response.status_code == 400, response.text
            error = response.json()
            assert error["error_code"] == "INVALID_PARAMETER_VALUE"
            assert error["message"].startswith(f"{field}: "), error
            assert rule in error["message"]
        assert "config" not in api.get(f"{PREFIX}/{name}").json()
    finally:
        api.delete(f"{PREFIX}/{name}")


def test_provisioned_throughput_bodies_need_a_config_and_a_free_name(
    workspace: LocalWorkspace,
) -> None:
    api = Api(workspace.host, workspace.token)
    missing = api.post(f"{PREFIX}/pt", json={"name": f"pt-{uuid.uuid4().hex[:8]}"})
    assert missing.status_code == 400
    assert missing.json()["message"].startswith("config: ")
    reserved = api.post(
        f"{PREFIX}/pt",
        json={
            "name": "databricks-pt",
            "config": {
                "served_entities": [
                    {"entity_name": "ads1", "entity_version": "1", "provisioned_model_units": 1}
                ]
            },
        },
    )
    assert reserved.status_code == 400
    assert reserved.json()["message"].startswith("name: ")
    nowhere = api.put(f"{PREFIX}/pt/{uuid.uuid4().hex[:8]}/config", json={"config": {}})
    assert nowhere.status_code == 404
    assert nowhere.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


# §7: the per-endpoint OpenAPI document -----------------------------------------------------


@pytest.fixture(scope="module")
def signed_endpoint(sdk: WorkspaceClient) -> Iterator[str]:
    """A READY endpoint serving the one demo model logged with a signature (text -> label)."""
    name = f"openapi-{uuid.uuid4().hex[:8]}"
    sdk.serving_endpoints.create_and_wait(
        name=name,
        config=EndpointCoreConfigInput(
            name=name,
            served_entities=[
                ServedEntityInput(
                    entity_name="main.default.sentiment",
                    entity_version="1",
                    workload_size="Small",
                    scale_to_zero_enabled=False,
                )
            ],
        ),
    )
    yield name
    sdk.serving_endpoints.delete(name)


def _openapi(sdk: WorkspaceClient, name: str) -> dict[str, Any]:
    contents = sdk.serving_endpoints.get_open_api(name).contents
    assert contents is not None
    document: dict[str, Any] = json.loads(contents.read())
    return document


def test_the_openapi_document_has_the_services_shape(
    sdk: WorkspaceClient, workspace: LocalWorkspace, signed_endpoint: str
) -> None:
    document = _openapi(sdk, signed_endpoint)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": signed_endpoint, "version": "1"}
    assert document["servers"] == [{"url": f"{workspace.host}/serving-endpoints/{signed_endpoint}"}]
    assert list(document["paths"]) == ["/served-models/sentiment-1/invocations"]
    schemathesis.openapi.from_dict(document).validate()  # valid OpenAPI 3.1
    operation = document["paths"]["/served-models/sentiment-1/invocations"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert [next(iter(branch["required"])) for branch in request["oneOf"]] == [
        "dataframe_split",
        "dataframe_records",
        "instances",
        "inputs",
    ]
    [records] = [b for b in request["oneOf"] if b["required"] == ["dataframe_records"]]
    row = records["properties"]["dataframe_records"]["items"]
    assert row["properties"] == {"text": {"type": "string"}}
    assert row["required"] == ["text"]
    with ServingClient(host=workspace.host, token=workspace.token) as client:
        assert client.openapi(signed_endpoint) == document


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["text"], "data": [["great"], ["awful"]]}},
        {"dataframe_records": [{"text": "great"}, {"text": "awful"}]},
        {"instances": [{"text": "great"}, {"text": "awful"}]},
        {"inputs": {"text": ["great", "awful"]}},
    ],
    ids=["split", "records", "instances", "inputs"],
)
def test_a_request_the_document_describes_is_answered_as_it_describes(
    sdk: WorkspaceClient, workspace: LocalWorkspace, signed_endpoint: str, body: dict[str, Any]
) -> None:
    document = _openapi(sdk, signed_endpoint)
    [(path, item)] = document["paths"].items()
    operation = item["post"]
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    Draft202012Validator(request_schema).validate(body)  # exactly one branch of the oneOf
    url = document["servers"][0]["url"] + path
    answer = requests.post(
        url, json=body, headers={"Authorization": f"Bearer {workspace.token}"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    response_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator(response_schema).validate(answer.json())
    assert len(answer.json()["predictions"]) == 2


def test_a_body_the_document_refuses_matches_no_branch(
    sdk: WorkspaceClient, signed_endpoint: str
) -> None:
    document = _openapi(sdk, signed_endpoint)
    [item] = document["paths"].values()
    schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({"dataframe_records": [{"text": 3}]})
    assert not validator.is_valid({"dataframe_records": [{"words": "x"}]})
    assert not validator.is_valid({"prompt": "hello"})


def test_no_openapi_document_without_a_signature_or_before_ready(sdk: WorkspaceClient) -> None:
    unsigned = f"openapi-unsigned-{uuid.uuid4().hex[:8]}"
    sdk.serving_endpoints.create_and_wait(
        name=unsigned,
        config=EndpointCoreConfigInput(
            name=unsigned,
            served_entities=[ServedEntityInput(entity_name="ads1", entity_version="1")],
        ),
    )
    empty = f"openapi-empty-{uuid.uuid4().hex[:8]}"
    sdk.serving_endpoints.create(name=empty)  # no config: NOT_READY for good
    try:
        with pytest.raises(ResourceDoesNotExist, match="'ads1-1' was logged without a model sig"):
            sdk.serving_endpoints.get_open_api(unsigned)
        with pytest.raises(InvalidState, match="not ready"):
            sdk.serving_endpoints.get_open_api(empty)
    finally:
        sdk.serving_endpoints.delete(unsigned)
        sdk.serving_endpoints.delete(empty)


# §2: the admins group ----------------------------------------------------------------------


def test_the_inherited_admins_entry_has_no_display_name(
    sdk: WorkspaceClient, workspace: LocalWorkspace
) -> None:
    name = f"admins-{uuid.uuid4().hex[:8]}"
    sdk.serving_endpoints.create(name=name)
    endpoint_id = sdk.serving_endpoints.get(name).id
    try:
        raw = Api(workspace.host, workspace.token).get(
            f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
        )
        [admins] = [e for e in raw.json()["access_control_list"] if e.get("group_name") == "admins"]
        assert admins == {
            "group_name": "admins",
            "all_permissions": [
                {
                    "permission_level": "CAN_MANAGE",
                    "inherited": True,
                    "inherited_from_object": ["/serving-endpoints/"],
                }
            ],
        }
    finally:
        sdk.serving_endpoints.delete(name)


# MLflow's deployments client, for the changed shapes ---------------------------------------


@contextmanager
def counting(api: Api, method: str, path: str) -> Iterator[list[int]]:
    """How many requests to `path` the block made (one item, filled in at its end), counted by
    a fault rule that lets its first million matches through (as test_local_mlflow.py does)."""
    rule = {"method": method, "path": path, "status": 503, "offset": 1_000_000}
    assert api.post("/__local/faults", json={"rules": [rule]}).status_code == 200
    count: list[int] = []
    try:
        yield count
    finally:
        rules = api.get("/__local/faults").json()["rules"]
        count.append(sum(r["seen"] for r in rules if (r["method"], r["path"]) == (method, path)))
        assert api.delete("/__local/faults").status_code == 200


@pytest.fixture
def mlflow_client(workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABRICKS_HOST", workspace.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", workspace.token)
    monkeypatch.delenv("DATABRICKS_CONFIG_PROFILE", raising=False)
    return get_deploy_client("databricks")  # type: ignore[no-untyped-call]


def test_mlflow_sees_the_changed_shapes(mlflow_client: Any, workspace: LocalWorkspace) -> None:
    name = f"mlflow-wire-{uuid.uuid4().hex[:8]}"
    entity = {"entity_name": "ads1", "entity_version": "1", "max_provisioned_concurrency": 4}
    created = mlflow_client.create_endpoint(
        config={
            "name": name,
            "budget_policy_id": "policy-m",
            "config": {"served_entities": [entity]},
        }
    )
    try:
        assert created["effective_budget_policy_id"] == "policy-m"
        assert "budget_policy_id" not in created
        [served] = mlflow_client.get_endpoint(endpoint=name)["pending_config"]["served_entities"]
        assert served["max_provisioned_concurrency"] == 4
        assert "workload_size" not in served
    finally:
        mlflow_client.delete_endpoint(endpoint=name)
    api = Api(workspace.host, workspace.token)
    reserved = "databricks-from-mlflow"
    with counting(api, "POST", PREFIX + "/") as posts, pytest.raises(Exception, match="reserved"):
        mlflow_client.create_endpoint(
            config={"name": reserved, "config": {"served_entities": [entity]}}
        )
    assert posts == [1]  # a 400, sent once: MLflow retries only what it thinks transient


def test_mlflow_gets_the_401_once_without_retrying(
    workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HTTP basic credentials, which databricks-sdk (under MLflow) sends and the API refuses.
    monkeypatch.setenv("DATABRICKS_HOST", workspace.host)
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    monkeypatch.delenv("DATABRICKS_CONFIG_PROFILE", raising=False)
    monkeypatch.setenv("DATABRICKS_USERNAME", "someone")
    monkeypatch.setenv("DATABRICKS_PASSWORD", "not-a-token")
    client = get_deploy_client("databricks")  # type: ignore[no-untyped-call]
    api = Api(workspace.host, workspace.token)
    with (
        counting(api, "GET", PREFIX + "/") as gets,
        pytest.raises(Exception, match="Credential was not sent"),
    ):
        client.list_endpoints()
    assert gets == [1]


def test_external_function_calls_find_no_connection(sdk: WorkspaceClient) -> None:
    with pytest.raises(ResourceDoesNotExist, match="Connection 'github' does not exist"):
        # The SDK's own method (its mixin sends null for the parts not given).
        sdk.serving_endpoints.http_request(
            "github",
            ExternalFunctionRequestHttpMethod.GET,
            "/user",
            headers={"Accept": "application/json"},
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "GET", "path": "/"}, "connection_name"),
        ({"connection_name": "c", "method": "HEAD", "path": "/"}, "method"),
        ({"connection_name": "c", "method": "GET"}, "path"),
        ({"connection_name": "c", "method": "GET", "path": "/", "headers": {"a": "b"}}, "headers"),
        ({"connection_name": "c", "method": "GET", "path": "/", "params": "[1]"}, "params"),
        ({"connection_name": "c", "method": "POST", "path": "/", "json": "{nope"}, "json"),
    ],
)
def test_bad_external_function_calls_are_a_400_naming_the_field(
    workspace: LocalWorkspace, body: dict[str, object], field: str
) -> None:
    response = Api(workspace.host, workspace.token).post("/api/2.0/external-function", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert response.json()["message"].startswith(f"{field}: ")


def test_external_function_needs_a_credential(workspace: LocalWorkspace) -> None:
    body = {"connection_name": "c", "method": "GET", "path": "/"}
    response = Api(workspace.host, None).post("/api/2.0/external-function", json=body)
    assert response.status_code == 401
