"""Bad input to the serving-endpoints routes: a 400 naming the field and the rule, and nothing
already stored changes. Also the other refusals (404, 409) and the input shapes that must work.

Everything goes over real HTTP to the session's local workspace; every endpoint name is unique.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import requests
from databricks.sdk.service.serving import EndpointCoreConfigInput, ServedEntityInput

from harness.api import Api, entity, settle, unique
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
MAX_BODY = 16 * 1024 * 1024
NAME_CHARS = "may only contain letters, digits, dashes and underscores"
EXTERNAL = {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat"}


def error_of(response: requests.Response, status: int, code: str) -> str:
    """The message of an error answer, after checking its status and Databricks error body."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("error_code"), str), body
    assert body["error_code"] == code, body
    message = body.get("message")
    assert isinstance(message, str) and message, body
    return message


def endpoint_path(name: str) -> str:
    return f"{PREFIX}/{quote(name, safe='')}"


def listed_names(api: Api) -> list[str]:
    response = api.get(PREFIX)
    assert response.status_code == 200, response.text
    return [e["name"] for e in response.json()["endpoints"]]


def assert_absent(api: Api, name: str) -> None:
    assert name not in listed_names(api)
    message = error_of(api.get(endpoint_path(name)), 404, "RESOURCE_DOES_NOT_EXIST")
    assert name in message


def routes(*pairs: tuple[str, int]) -> dict[str, Any]:
    return {
        "routes": [
            {"served_entity_name": name, "traffic_percentage": percentage}
            for name, percentage in pairs
        ]
    }


def two_versions(traffic: dict[str, Any] | None) -> dict[str, Any]:
    """ads1 versions 1 and 2 (served as ads1-1 and ads1-2) with the given traffic_config."""
    config: dict[str, Any] = {"served_entities": [entity("ads1", "1"), entity("ads1", "2")]}
    if traffic is not None:
        config["traffic_config"] = traffic
    return config


# (config input, the field it breaks relative to the config, fragments of the rule it breaks)
CONFIG_CASES = [
    pytest.param(
        {"served_entities": [entity("ads1", "1"), entity("ads1", "2", name="v2.0")]},
        "served_entities[1].name",
        ("served entity name 'v2.0'", NAME_CHARS),
        id="served-entity-name-with-a-dot",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", name="my model")]},
        "served_entities[0].name",
        ("served entity name 'my model'", NAME_CHARS),
        id="served-entity-name-with-a-space",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", name="e" * 64)]},
        "served_entities[0].name",
        ("served entity name must be at most 63 characters",),
        id="served-entity-name-too-long",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", name="trailing\n")]},
        "served_entities[0].name",
        (NAME_CHARS,),
        id="served-entity-name-with-a-trailing-newline",
    ),
    pytest.param(
        {
            "served_entities": [
                entity("ads1", "1", name="same"),
                entity("ads1", "2", name="same"),
            ],
            "traffic_config": routes(("same", 100)),
        },
        "served_entities",
        ("served entity names must be unique", "repeated: same"),
        id="served-entity-names-repeated",
    ),
    pytest.param(
        two_versions(routes(("ads1-1", 50), ("ads1-9", 50))),
        "traffic_config.routes[1].served_entity_name",
        ("'ads1-9' is not a served entity of this config", "served entities: ads1-1, ads1-2"),
        id="route-to-an-entity-that-does-not-exist",
    ),
    pytest.param(
        two_versions(routes(("ads1-1", 110), ("ads1-2", -10))),
        "traffic_config.routes[0].traffic_percentage",
        ("must be between 0 and 100, got 110",),
        id="percentage-above-100",
    ),
    pytest.param(
        two_versions(routes(("ads1-1", -10), ("ads1-2", 110))),
        "traffic_config.routes[0].traffic_percentage",
        ("must be between 0 and 100, got -10",),
        id="percentage-below-0",
    ),
    pytest.param(
        two_versions(routes(("ads1-1", 60), ("ads1-2", 30))),
        "traffic_config.routes",
        ("traffic percentages must add up to 100, got 90",),
        id="percentages-sum-below-100",
    ),
    pytest.param(
        two_versions(routes(("ads1-1", 60), ("ads1-2", 50))),
        "traffic_config.routes",
        ("traffic percentages must add up to 100, got 110",),
        id="percentages-sum-above-100",
    ),
    pytest.param(
        two_versions(None),
        "traffic_config",
        ("is required when an endpoint serves more than one entity",),
        id="two-entities-without-traffic-config",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", external_model=EXTERNAL)]},
        "served_entities[0]",
        ("set either external_model or the model fields", "entity_name", "not both"),
        id="entity-and-external-model-fields-mixed",
    ),
    pytest.param(
        {
            "served_entities": [entity("ads1", "1", name=f"e{i}") for i in range(16)],
            "traffic_config": routes(("e0", 100)),
        },
        "served_entities",
        ("at most 15 served entities per endpoint, got 16",),
        id="sixteen-served-entities",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", workload_type="TPU_XXL")]},
        "served_entities[0].workload_type",
        ("must be one of CPU", "GPU_SMALL", "got 'TPU_XXL'"),
        id="unknown-workload-type",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", workload_size="Gigantic")]},
        "served_entities[0].workload_size",
        ("must be one of Small, Medium, Large", "got 'Gigantic'"),
        id="unknown-workload-size",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "3")]},
        "served_entities[0].entity_version",
        ("model 'ads1' has no version 3", "registered versions: 1, 2"),
        id="model-version-not-registered",
    ),
    pytest.param(
        {"served_entities": [entity("no_such_model", "1")]},
        "served_entities[0].entity_name",
        ("no model named 'no_such_model'", "registered: ", "ads1"),
        id="model-not-registered",
    ),
    pytest.param(
        {"served_entities": [entity("x/../y", "1", name="e")]},
        "served_entities[0].entity_name",
        ("invalid model name 'x/../y'",),
        id="model-name-malformed",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "9" * 5000)]},
        "served_entities[0].entity_version",
        ("model version must be a positive integer", "registered versions: 1, 2"),
        id="model-version-of-5000-digits",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", workload_size=[])]},
        "served_entities[0].workload_size",
        ("must be one of Small, Medium, Large", "got []"),
        id="workload-size-a-list",
    ),
    pytest.param(
        {"served_entities": [entity("ads1", "1", workload_type={})]},
        "served_entities[0].workload_type",
        ("must be one of CPU", "got {}"),
        id="workload-type-an-object",
    ),
    pytest.param(
        {
            "served_models": [
                {
                    "model_name": "ads1",
                    "model_version": "7",
                    "workload_size": "Small",
                    "scale_to_zero_enabled": False,
                }
            ]
        },
        "served_models[0].model_version",
        ("model 'ads1' has no version 7", "registered versions: 1, 2"),
        id="legacy-served-model-version-not-registered",
    ),
    pytest.param(
        {"traffic_config": routes(("ads1-1", 100))},
        "served_entities",
        ("at least one served entity is required",),
        id="no-served-entities",
    ),
]

# Bodies that are not a JSON object: (raw body, fragments of the message after "body: ")
RAW_BODY_CASES = [
    pytest.param(b'{"name": "x", ', ("Invalid JSON given in the body of the request",), id="json"),
    pytest.param(b"\xff\xfe{}", ("Invalid JSON given in the body of the request",), id="utf8"),
    pytest.param(b"[1, 2]", ("must be a JSON object, got list",), id="list"),
    pytest.param(b'"a string"', ("must be a JSON object, got str",), id="string"),
    pytest.param(b"42", ("must be a JSON object, got int",), id="number"),
    pytest.param(b"null", ("must be a JSON object, got NoneType",), id="null"),
    pytest.param(b"", ("a JSON object is required",), id="empty"),
]


def padded_object(prefix: str, size: int) -> bytes:
    """A JSON object of exactly `size` bytes: `prefix` fields plus a long "padding" string."""
    head = ("{" + prefix + ', "padding": "').encode()
    tail = b'"}'
    body = head + b"x" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    return body


def chunks(body: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    """The body as a stream, so it goes out chunked with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@dataclass(frozen=True)
class Ready:
    name: str
    create_body: dict[str, Any]
    create_response: dict[str, Any]


@pytest.fixture(scope="module")
def ready(workspace: LocalWorkspace) -> Iterator[Ready]:
    """An endpoint serving ads1 v1, created with the body databricks-sdk sends and settled."""
    api = Api(workspace.host, workspace.token)
    name = unique("valid")
    config = EndpointCoreConfigInput(
        name=name,
        served_entities=[
            ServedEntityInput(
                entity_name="ads1",
                entity_version="1",
                workload_size="Small",
                scale_to_zero_enabled=False,
            )
        ],
    )
    body: dict[str, Any] = {"name": name, "config": config.as_dict()}
    response = api.post(PREFIX, json=body)
    assert response.status_code == 200, response.text
    settled = settle(api, name)
    assert settled["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}, settled
    yield Ready(name, body, response.json())
    api.delete(endpoint_path(name))


def put_config_expecting_refusal(api: Api, name: str, **kwargs: Any) -> requests.Response:
    """PUTs a config that must be refused; should it be taken, the endpoint is put back."""
    response = api.put(f"{endpoint_path(name)}/config", **kwargs)
    if response.status_code == 200:
        settle(api, name)
        restored = api.put(
            f"{endpoint_path(name)}/config", json={"served_entities": [entity("ads1", "1")]}
        )
        assert restored.status_code == 200, restored.text
        settle(api, name)
    return response


# Create ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("config", "field", "rules"), CONFIG_CASES)
def test_create_with_a_bad_config_is_refused_naming_field_and_rule(
    api: Api, config: dict[str, Any], field: str, rules: tuple[str, ...]
) -> None:
    name = unique("bad-config")
    response = api.post(PREFIX, json={"name": name, "config": {"name": name, **config}})
    try:
        message = error_of(response, 400, "INVALID_PARAMETER_VALUE")
        assert message.startswith(f"config.{field}: "), message
        for rule in rules:
            assert rule in message, message
        assert_absent(api, name)
    finally:
        if response.status_code == 200:
            api.delete(endpoint_path(name))


@pytest.mark.parametrize(
    ("body", "field", "rules"),
    [
        pytest.param({"name": "has.dots"}, "name", ("'has.dots'", NAME_CHARS), id="dots"),
        pytest.param({"name": "has space"}, "name", ("'has space'", NAME_CHARS), id="space"),
        pytest.param({"name": "slash/es"}, "name", ("'slash/es'", NAME_CHARS), id="slash"),
        pytest.param(
            {"name": "n" * 64}, "name", ("endpoint name must be at most 63 characters",), id="64"
        ),
        pytest.param({}, "name", ("endpoint name is required",), id="missing"),
        pytest.param({"name": ""}, "name", ("endpoint name is required",), id="empty"),
        pytest.param({"name": 42}, "name", ("must be a non-empty string",), id="number"),
        pytest.param(
            {"name": "trailing-newline\n"},
            "name",
            (NAME_CHARS,),
            id="newline",
        ),
        pytest.param(
            {"name": "cfg-list", "config": [1]},
            "config",
            ("must be a JSON object, got list",),
            id="config-not-object",
        ),
    ],
)
def test_create_with_a_bad_body_is_refused_and_leaves_no_endpoint(
    api: Api, body: dict[str, Any], field: str, rules: tuple[str, ...]
) -> None:
    before = listed_names(api)
    response = api.post(PREFIX, json=body)
    try:
        message = error_of(response, 400, "INVALID_PARAMETER_VALUE")
        assert message.startswith(f"{field}: "), message
        for rule in rules:
            assert rule in message, message
        assert listed_names(api) == before
    finally:
        if response.status_code == 200:
            api.delete(endpoint_path(response.json()["name"]))


def test_a_63_character_name_is_the_longest_accepted(api: Api) -> None:
    name = unique("n63").ljust(63, "x")
    response = api.post(PREFIX, json={"name": name})
    try:
        assert response.status_code == 200, response.text
        assert response.json()["name"] == name
        assert name in listed_names(api)
    finally:
        api.delete(endpoint_path(name))


def test_fifteen_served_entities_pass_the_count_rule(api: Api) -> None:
    # Fifteen entities with a traffic sum of 90: refused for the sum, not the count, so the
    # limit is 15 (checking this way builds nothing).
    name = unique("fifteen")
    config = {
        "name": name,
        "served_entities": [entity("ads1", "1", name=f"e{i}") for i in range(15)],
        "traffic_config": routes(("e0", 90)),
    }
    message = error_of(
        api.post(PREFIX, json={"name": name, "config": config}), 400, "INVALID_PARAMETER_VALUE"
    )
    assert message == "config.traffic_config.routes: traffic percentages must add up to 100, got 90"
    assert_absent(api, name)


@pytest.mark.parametrize(("raw", "rules"), RAW_BODY_CASES)
def test_create_with_a_body_that_is_not_a_json_object_is_refused(
    api: Api, raw: bytes, rules: tuple[str, ...]
) -> None:
    before = listed_names(api)
    response = api.post(PREFIX, data=raw, headers={"Content-Type": "application/json"})
    message = error_of(response, 400, "INVALID_PARAMETER_VALUE")
    assert message.startswith("body: "), message
    for rule in rules:
        assert rule in message, message
    assert listed_names(api) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_create_with_a_body_over_16_mb_is_refused(api: Api, chunked: bool) -> None:
    name = unique("big")
    body = padded_object(f'"name": "{name}"', MAX_BODY + 1)
    response = api.post(PREFIX, data=chunks(body) if chunked else body)
    try:
        message = error_of(response, 400, "INVALID_PARAMETER_VALUE")
        assert message.startswith("body: request bodies are limited to 16 MB"), message
        assert str(MAX_BODY + 1) in message
        assert_absent(api, name)
    finally:
        if response.status_code == 200:
            api.delete(endpoint_path(name))


def test_a_body_of_exactly_16_mb_is_read(api: Api) -> None:
    # A 16 MB list: refused for being a list, which shows the size limit let it through.
    body = b"[" + b" " * (MAX_BODY - 2) + b"]"
    message = error_of(api.post(PREFIX, data=body), 400, "INVALID_PARAMETER_VALUE")
    assert message == "body: must be a JSON object, got list"


def test_duplicate_name_is_refused_and_the_original_is_untouched(api: Api) -> None:
    name = unique("dup")
    first = api.post(
        PREFIX, json={"name": name, "description": "the original", "tags": [{"key": "k"}]}
    )
    assert first.status_code == 200, first.text
    try:
        before = api.get(endpoint_path(name)).json()
        second = api.post(
            PREFIX,
            json={
                "name": name,
                "description": "the impostor",
                "config": {"served_entities": [entity("ads1", "2")]},
            },
        )
        message = error_of(second, 409, "RESOURCE_ALREADY_EXISTS")
        assert name in message
        assert api.get(endpoint_path(name)).json() == before
        assert before["description"] == "the original"
        assert "pending_config" not in before
        assert listed_names(api).count(name) == 1
    finally:
        api.delete(endpoint_path(name))


# PUT config --------------------------------------------------------------------------------


@pytest.mark.parametrize(("config", "field", "rules"), CONFIG_CASES)
def test_put_config_with_a_bad_config_is_refused_and_changes_nothing(
    api: Api, ready: Ready, config: dict[str, Any], field: str, rules: tuple[str, ...]
) -> None:
    before = api.get(endpoint_path(ready.name)).json()
    response = put_config_expecting_refusal(api, ready.name, json=config)
    message = error_of(response, 400, "INVALID_PARAMETER_VALUE")
    assert message.startswith(f"{field}: "), message
    for rule in rules:
        assert rule in message, message
    after = api.get(endpoint_path(ready.name)).json()
    assert after == before
    assert after["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert "pending_config" not in after


@pytest.mark.parametrize(("raw", "rules"), RAW_BODY_CASES)
def test_put_config_with_a_body_that_is_not_a_json_object_is_refused(
    api: Api, ready: Ready, raw: bytes, rules: tuple[str, ...]
) -> None:
    before = api.get(endpoint_path(ready.name)).json()
    response = put_config_expecting_refusal(
        api, ready.name, data=raw, headers={"Content-Type": "application/json"}
    )
    message = error_of(response, 400, "INVALID_PARAMETER_VALUE")
    assert message.startswith("body: "), message
    for rule in rules:
        assert rule in message, message
    assert api.get(endpoint_path(ready.name)).json() == before


def test_put_config_with_a_body_over_16_mb_is_refused(api: Api, ready: Ready) -> None:
    before = api.get(endpoint_path(ready.name)).json()
    body = padded_object(
        '"served_entities": [{"entity_name": "ads1", "entity_version": "2"}]', MAX_BODY + 1
    )
    message = error_of(
        put_config_expecting_refusal(api, ready.name, data=body), 400, "INVALID_PARAMETER_VALUE"
    )
    assert message.startswith("body: request bodies are limited to 16 MB"), message
    assert api.get(endpoint_path(ready.name)).json() == before


def test_put_config_while_an_update_is_in_progress_is_refused(api: Api) -> None:
    name = unique("busy")
    created = api.post(
        PREFIX, json={"name": name, "config": {"served_entities": [entity("slow", "1")]}}
    )
    assert created.status_code == 200, created.text
    try:
        before = api.get(endpoint_path(name)).json()
        assert before["state"]["config_update"] == "IN_PROGRESS", before
        refused = api.put(
            f"{endpoint_path(name)}/config", json={"served_entities": [entity("ads1", "1")]}
        )
        message = error_of(refused, 409, "RESOURCE_CONFLICT")
        assert name in message and "IN_PROGRESS" in message
        during = api.get(endpoint_path(name)).json()
        assert during["state"]["config_update"] == "IN_PROGRESS"
        assert during["pending_config"]["config_version"] == 1
        assert [e["name"] for e in during["pending_config"]["served_entities"]] == ["slow-1"]
        assert during["last_updated_timestamp"] == before["last_updated_timestamp"]
        done = settle(api, name)
        assert done["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}, done
        assert done["config"]["config_version"] == 1
        assert [e["name"] for e in done["config"]["served_entities"]] == ["slow-1"]
        assert "pending_config" not in done
    finally:
        api.delete(endpoint_path(name))


# Not found ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        pytest.param("GET", "", None, id="get"),
        pytest.param("DELETE", "", None, id="delete"),
        pytest.param("PUT", "/config", {"served_entities": [entity("ads1", "1")]}, id="put-config"),
        pytest.param("GET", "/served-models/ads1-1/build-logs", None, id="build-logs"),
        pytest.param("GET", "/served-models/ads1-1/logs", None, id="server-logs"),
    ],
)
def test_unknown_endpoint_is_404(
    api: Api, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    name = unique("ghost")
    response = api.request(method, endpoint_path(name) + suffix, json=body)
    message = error_of(response, 404, "RESOURCE_DOES_NOT_EXIST")
    assert message == f"Endpoint with name '{name}' does not exist."
    assert_absent(api, name)


def test_build_logs_of_an_unknown_served_model_is_404(api: Api, ready: Ready) -> None:
    response = api.get(f"{endpoint_path(ready.name)}/served-models/nope-1/build-logs")
    message = error_of(response, 404, "RESOURCE_DOES_NOT_EXIST")
    assert "'nope-1'" in message
    assert ready.name in message
    assert "served entities: ads1-1" in message
    # The real one answers.
    good = api.get(f"{endpoint_path(ready.name)}/served-models/ads1-1/build-logs")
    assert good.status_code == 200, good.text
    assert "build finished" in good.json()["logs"]


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/api/2.0/no-such-api", "/no-such-api"),  # the service leaves out /api/2.0
        ("/api/2.1/serving-endpoints", "/api/2.1/serving-endpoints"),
        ("/serving-endpoints", "/serving-endpoints"),
    ],
)
def test_unknown_api_path_is_404_endpoint_not_found(api: Api, path: str, shown: str) -> None:
    message = error_of(api.get(path), 404, "ENDPOINT_NOT_FOUND")
    assert message == f"No API found for 'GET {shown}'"


# Input shapes that must work ---------------------------------------------------------------


def test_the_sdk_create_body_with_config_name_is_accepted(api: Api, ready: Ready) -> None:
    assert ready.create_body["config"]["name"] == ready.name  # what databricks-sdk sends
    created = ready.create_response
    assert created["name"] == ready.name
    assert [e["name"] for e in created["pending_config"]["served_entities"]] == ["ads1-1"]
    endpoint = api.get(endpoint_path(ready.name)).json()
    assert "name" not in endpoint["config"]
    assert endpoint["config"]["traffic_config"] == {
        "routes": [
            {
                "served_model_name": "ads1-1",
                "served_entity_name": "ads1-1",
                "traffic_percentage": 100,
            }
        ]
    }


def test_legacy_served_models_and_trailing_slash_work(api: Api) -> None:
    name = unique("legacy")
    served_model = {
        "model_name": "ads1",
        "model_version": "2",
        "workload_size": "Small",
        "scale_to_zero_enabled": False,
    }
    created = api.post(
        PREFIX + "/", json={"name": name, "config": {"served_models": [served_model]}}
    )
    assert created.status_code == 200, created.text
    try:
        listing = api.get(PREFIX + "/")
        assert listing.status_code == 200, listing.text
        assert name in [e["name"] for e in listing.json()["endpoints"]]
        endpoint = settle(api, name)
        assert endpoint["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}, endpoint
        config = endpoint["config"]
        [served_entity] = config["served_entities"]
        assert (
            served_entity["name"],
            served_entity["entity_name"],
            served_entity["entity_version"],
        ) == ("ads1-2", "ads1", "2")
        assert "model_name" not in served_entity
        [served] = config["served_models"]
        assert (served["name"], served["model_name"], served["model_version"]) == (
            "ads1-2",
            "ads1",
            "2",
        )
        assert "entity_name" not in served
        assert served["state"]["deployment"] == "DEPLOYMENT_READY"
        assert config["traffic_config"]["routes"] == [
            {
                "served_model_name": "ads1-2",
                "served_entity_name": "ads1-2",
                "traffic_percentage": 100,
            }
        ]
    finally:
        api.delete(endpoint_path(name))
