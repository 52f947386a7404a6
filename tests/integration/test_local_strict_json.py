"""Only strict JSON goes in, so everything stored comes back out: NaN and Infinity, numbers out
of range, unpaired surrogates, deep nesting and huge integers are a 400 naming the field and
the rule on every JSON route, and what was already stored keeps listing.

Also the inputs that used to be 5xx (issue 10, findings 8, 9 and 18). Real HTTP against the
session's local workspace; every endpoint name is unique.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.api import Api, unique
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
HEADERS = {"Content-Type": "application/json"}


def refusal(response: requests.Response) -> str:
    """The message of a 400 INVALID_PARAMETER_VALUE (after checking it is one)."""
    assert response.status_code == 400, f"{response.status_code}: {response.text[:300]}"
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE", body
    message: str = body["message"]
    return message


def names(api: Api) -> list[str]:
    listing = api.get(PREFIX)
    assert listing.status_code == 200, listing.text
    return [e["name"] for e in listing.json()["endpoints"]]


@pytest.fixture
def bare(api: Api) -> Iterator[str]:
    """An endpoint with no config (nothing to build), tagged, under a unique name."""
    name = unique("strict")
    created = api.post(PREFIX, json={"name": name, "tags": [{"key": "k", "value": "v"}]})
    assert created.status_code == 200, created.text
    yield name
    api.delete(f"{PREFIX}/{name}")


LITERALS = [
    pytest.param("NaN", "NaN is not a JSON number", id="nan"),
    pytest.param("Infinity", "Infinity is not a JSON number", id="infinity"),
    pytest.param("-Infinity", "-Infinity is not a JSON number", id="minus-infinity"),
    pytest.param("1e400", "the number 1e400 is out of range", id="overflowing-float"),
    pytest.param("-1e400", "the number -1e400 is out of range", id="overflowing-negative"),
]


@pytest.mark.parametrize(("literal", "rule"), LITERALS)
def test_create_refuses_non_finite_numbers_naming_the_field(
    api: Api, literal: str, rule: str
) -> None:
    name = unique("poison")
    body = f'{{"name": "{name}", "telemetry_config": {{"x": {literal}}}}}'
    message = refusal(api.post(PREFIX, data=body, headers=HEADERS))
    assert message.startswith("telemetry_config.x: "), message
    assert rule in message, message
    assert name not in names(api)


# (method, path after the endpoint, body with {} where the bad number goes, field it names)
WRITES = [
    pytest.param(
        "PUT", "/ai-gateway", '{"guardrails": {"input": {"x": %s}}}', "guardrails.input.x", id="ai"
    ),
    pytest.param(
        "PATCH",
        "/notifications",
        '{"email_notifications": {"on_update_failure": ["a@b.c"], "x": [%s]}}',
        "email_notifications.x[0]",
        id="notifications",
    ),
    pytest.param(
        "PATCH",
        "/tags",
        '{"add_tags": [{"key": "a", "value": %s}]}',
        "add_tags[0].value",
        id="tags",
    ),
    pytest.param(
        "PUT",
        "/rate-limits",
        '{"rate_limits": [{"calls": %s, "renewal_period": "minute"}]}',
        "rate_limits[0].calls",
        id="rate-limits",
    ),
    pytest.param(
        "PUT",
        "/config",
        '{"served_entities": [{"entity_name": "ads1", "entity_version": "1",'
        ' "min_provisioned_concurrency": %s}]}',
        "served_entities[0].min_provisioned_concurrency",
        id="config",
    ),
]


@pytest.mark.parametrize(("method", "suffix", "template", "field"), WRITES)
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400"])
def test_writes_refuse_non_finite_numbers_and_the_endpoint_still_reads(
    api: Api, bare: str, method: str, suffix: str, template: str, field: str, literal: str
) -> None:
    before = api.get(f"{PREFIX}/{bare}").json()
    response = api.request(
        method, f"{PREFIX}/{bare}{suffix}", data=template % literal, headers=HEADERS
    )
    message = refusal(response)
    assert message.startswith(f"{field}: "), message
    assert literal in message, message
    assert api.get(f"{PREFIX}/{bare}").json() == before
    assert bare in names(api)


def test_permissions_and_queries_refuse_nan_naming_the_field(api: Api, bare: str) -> None:
    endpoint_id = api.get(f"{PREFIX}/{bare}").json()["id"]
    acl = '{"access_control_list": [{"user_name": NaN, "permission_level": "CAN_VIEW"}]}'
    for method in ("PUT", "PATCH"):
        message = refusal(
            api.request(
                method,
                f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
                data=acl,
                headers=HEADERS,
            )
        )
        assert message.startswith("access_control_list[0].user_name: NaN is not"), message
    query = '{"inputs": [[1.0, Infinity]]}'
    message = refusal(api.post(f"/serving-endpoints/{bare}/invocations", data=query))
    assert message.startswith("inputs[0][1]: Infinity is not a JSON number"), message


def nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


@pytest.mark.parametrize("depth", [100, 2_000, 200_000], ids=["101", "2001", "200001"])
def test_json_nested_deeper_than_100_levels_is_refused(api: Api, bare: str, depth: int) -> None:
    # The body object is level 1, so `depth` objects inside it make depth + 1 levels.
    body = '{"add_tags": [], "x": ' + nested(depth) + "}"
    message = refusal(api.patch(f"{PREFIX}/{bare}/tags", data=body, headers=HEADERS))
    assert message == "body: JSON may nest objects and arrays at most 100 levels deep"


# Every route that reads a JSON body: (method, path with {name} and {id}).
JSON_ROUTES = [
    ("POST", PREFIX),
    ("PUT", PREFIX + "/{name}/config"),
    ("GET", PREFIX + "/{name}/served-models/e-1/build-logs"),
    ("GET", PREFIX + "/{name}/served-models/e-1/logs"),
    ("PATCH", PREFIX + "/{name}/tags"),
    ("PUT", PREFIX + "/{name}/ai-gateway"),
    ("PUT", PREFIX + "/{name}/rate-limits"),
    ("PATCH", PREFIX + "/{name}/notifications"),
    ("PUT", "/api/2.0/permissions/serving-endpoints/{id}"),
    ("PATCH", "/api/2.0/permissions/serving-endpoints/{id}"),
    ("POST", "/serving-endpoints/{name}/invocations"),
    ("POST", "/__local/faults"),
]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            "[" * 5000 + "]" * 5000,
            "body: JSON may nest objects and arrays at most 100 levels deep",
            id="nested-5000",
        ),
        pytest.param(
            '{"x": ' + "1" * 5000 + "}",
            "x: integers may have at most 4300 digits, this one has 5000",
            id="digits-5000",
        ),
        pytest.param(
            '{"x": [NaN]}',
            "x[0]: NaN is not a JSON number; NaN and Infinity are not allowed",
            id="nan",
        ),
    ],
)
def test_parse_limits_hold_on_every_json_route(
    api: Api, bare: str, body: str, message: str
) -> None:
    endpoint_id = api.get(f"{PREFIX}/{bare}").json()["id"]
    for method, template in JSON_ROUTES:
        path = template.format(name=bare, id=endpoint_id)
        response = api.request(method, path, data=body, headers=HEADERS)
        assert refusal(response) == message, f"{method} {path}"
    assert bare in names(api)


def test_nan_stored_by_an_older_version_reads_back_as_null(tmp_path: Path) -> None:
    data_dir = tmp_path / "ws"
    first = LocalWorkspace.start(data_dir=data_dir)
    try:
        admin = Api(first.host, first.token)
        body = {"name": "old", "telemetry_config": {"x": 1, "y": [2]}}
        assert admin.post(PREFIX, json=body).status_code == 200
    finally:
        first.stop()
    with sqlite3.connect(data_dir / "workspace.db") as db:
        db.execute(
            "UPDATE endpoints SET attributes=? WHERE name='old'",
            ('{"description":"","telemetry_config":{"x":NaN,"y":[Infinity]}}',),
        )
    second = LocalWorkspace.start(data_dir=data_dir)
    try:
        admin = Api(second.host, second.token)
        assert names(admin) == ["old"]
        got = admin.get(f"{PREFIX}/old")
        assert got.status_code == 200, got.text
        assert got.json()["telemetry_config"] == {"x": None, "y": [None]}
    finally:
        second.stop()


def test_json_nested_exactly_100_levels_is_read(api: Api) -> None:
    name = unique("deep")
    # The body object and 99 nested in telemetry_config: 100 levels.
    body = f'{{"name": "{name}", "telemetry_config": {nested(99)}}}'
    created = api.post(PREFIX, data=body, headers=HEADERS)
    try:
        assert created.status_code == 200, created.text
        level, objects = api.get(f"{PREFIX}/{name}").json()["telemetry_config"], 0
        while isinstance(level, dict):
            level, objects = level["a"], objects + 1
        assert (level, objects) == (1, 99)
    finally:
        api.delete(f"{PREFIX}/{name}")


def test_an_integer_of_over_4300_digits_is_refused_naming_field_and_rule(api: Api) -> None:
    name = unique("digits")
    body = f'{{"name": "{name}", "telemetry_config": {{"x": {"7" * 4301}}}}}'
    message = refusal(api.post(PREFIX, data=body, headers=HEADERS))
    assert message == (
        "telemetry_config.x: integers may have at most 4300 digits, this one has 4301"
    )
    assert name not in names(api)


def test_an_integer_of_4300_digits_is_stored_and_served(api: Api) -> None:
    name = unique("digits")
    body = f'{{"name": "{name}", "telemetry_config": {{"x": {"7" * 4300}}}}}'
    created = api.post(PREFIX, data=body, headers=HEADERS)
    try:
        assert created.status_code == 200, created.text
        response = api.get(f"{PREFIX}/{name}")
        assert response.status_code == 200
        assert f'"x":{"7" * 4300}' in response.text
        assert name in names(api)
    finally:
        api.delete(f"{PREFIX}/{name}")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        pytest.param('"\\ud800"', "tags[0].value", id="escaped-lone-surrogate"),
        pytest.param('"a\\udfffb"', "tags[0].value", id="escaped-lone-low-surrogate"),
    ],
)
def test_a_string_with_an_unpaired_surrogate_is_refused(api: Api, value: str, field: str) -> None:
    name = unique("surrogate")
    body = f'{{"name": "{name}", "tags": [{{"key": "k", "value": {value}}}]}}'
    message = refusal(api.post(PREFIX, data=body, headers=HEADERS))
    assert message.startswith(f"{field}: must be valid Unicode text"), message
    assert name not in names(api)


def test_a_surrogate_pair_is_fine(api: Api) -> None:
    name = unique("emoji")
    body = f'{{"name": "{name}", "description": "\\ud83d\\ude00"}}'
    created = api.post(PREFIX, data=body, headers=HEADERS)
    try:
        assert created.status_code == 200, created.text
        assert api.get(f"{PREFIX}/{name}").json()["description"] == "\N{GRINNING FACE}"
    finally:
        api.delete(f"{PREFIX}/{name}")


# Finding 9 and 18's inputs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "literal", ["1e400", "[]", '"1e400"', "true", "0", "1.5", str(2**63), "1" + "0" * 300]
)
def test_a_bad_config_version_on_the_logs_routes_is_a_400(
    api: Api, bare: str, literal: str
) -> None:
    for kind in ("build-logs", "logs"):
        response = api.request(
            "GET",
            f"{PREFIX}/{bare}/served-models/e-1/{kind}",
            data=f'{{"config_version": {literal}}}',
            headers=HEADERS,
        )
        assert refusal(response).startswith("config_version: "), response.text


@pytest.mark.parametrize("kind", ["build-logs", "logs"])
@pytest.mark.parametrize("query", ["", "?config_version=1"])
def test_a_300_character_served_model_name_is_a_404_without_a_path(
    api: Api, workspace: LocalWorkspace, bare: str, kind: str, query: str
) -> None:
    served = "m" * 300
    response = api.get(f"{PREFIX}/{bare}/served-models/{served}/{kind}{query}")
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert f"Served model '{served}' does not exist on endpoint '{bare}'" in body["message"]
    assert str(workspace.data_dir) not in response.text
    assert "/logs/" not in response.text


def test_notifications_follow_one_rule_on_create_and_on_patch(api: Api, bare: str) -> None:
    name = unique("notify")
    bad = {"email_notifications": {"on_update_failure": 0}}
    on_create = refusal(api.post(PREFIX, json={"name": name, **bad}))
    on_patch = refusal(api.patch(f"{PREFIX}/{bare}/notifications", json=bad))
    assert on_create == on_patch
    assert on_create == "email_notifications.on_update_failure: must be a list of email addresses"
    assert name not in names(api)


@pytest.mark.parametrize(
    ("gateway", "message"),
    [
        (
            {"guardrails": {"input": {"invalid_keywords": [None]}}},
            "guardrails.input.invalid_keywords[0]: must be a string, got null",
        ),
        (
            {"inference_table_config": {"schema_name": {"a": 1}}},
            "inference_table_config.schema_name: must be a string, got dict",
        ),
        (
            {"guardrails": {"output": {"pii": {"behavior": "HIDE"}}}},
            "guardrails.output.pii.behavior: must be one of BLOCK, MASK, NONE, got 'HIDE'",
        ),
        (
            {"rate_limits": [{"renewal_period": "minute", "calls": True}]},
            "rate_limits[0].calls: must be an integer, got bool",
        ),
        ({"fallback_config": {}}, None),
        (
            {"fallback_config": {"enabled": "yes"}},
            "fallback_config.enabled: must be true or false, got str",
        ),
        (
            {"usage_tracking_config": {"enabled": 1}},
            "usage_tracking_config.enabled: must be true or false, got int",
        ),
    ],
)
def test_an_ai_gateway_of_the_wrong_shape_is_refused_and_the_stored_one_kept(
    api: Api, bare: str, gateway: dict[str, object], message: str | None
) -> None:
    kept = {"usage_tracking_config": {"enabled": True}}
    assert api.put(f"{PREFIX}/{bare}/ai-gateway", json=kept).status_code == 200
    response = api.put(f"{PREFIX}/{bare}/ai-gateway", json=gateway)
    if message is None:  # an empty object is an unset field, as the service leaves it out
        assert response.status_code == 200, response.text
        return
    assert refusal(response) == message
    assert api.get(f"{PREFIX}/{bare}").json()["ai_gateway"] == kept
