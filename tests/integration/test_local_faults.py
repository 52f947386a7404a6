"""Fault injection through `/__local/faults`: 429 and 503 answers on chosen requests, an
unexpected error inside the route (500), added latency, the rules' state, who may set them, and
bad rule bodies.

The session's workspace is shared by every test, so each rule here is scoped to a path glob
holding a unique name, and the `faults` fixture clears every rule and the latency afterwards.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from harness.api import Api, unique
from serving_panel.local.handle import LocalWorkspace

FAULTS = "/__local/faults"
PREFIX = "/api/2.0/serving-endpoints"
EMPTY = {"latency_ms": 0, "rules": [], "scenarios": [], "held_updates": []}
INTERNAL_ERROR = {
    "error_code": "INTERNAL_ERROR",
    "message": "The local workspace failed to answer this request; its log has the details.",
}


@pytest.fixture
def faults(api: Api) -> Iterator[Api]:
    """The admin's Api, with `/__local/faults` cleared before and after the test."""
    assert api.delete(FAULTS).status_code == 200
    try:
        yield api
    finally:
        cleared = api.delete(FAULTS)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json() == EMPTY


@pytest.fixture
def endpoint(api: Api) -> Iterator[str]:
    """An endpoint with no config (nothing to build) under a unique name."""
    name = unique("faulty")
    created = api.post(PREFIX, json={"name": name})
    assert created.status_code == 200, created.text
    yield name
    api.delete(f"{PREFIX}/{name}")


def add_rules(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(FAULTS, json=body)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def error_body(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("error_code"), str), body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def test_429_for_the_next_two_matching_requests_then_through(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(
        faults,
        {
            "rules": [
                {"method": "GET", "path": f"{path}*", "status": 429, "retry_after": 2, "times": 2}
            ]
        },
    )
    for _ in range(2):
        response = faults.get(path)
        assert response.status_code == 429, response.text
        assert response.headers["Retry-After"] == "2"
        assert error_body(response)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    third = faults.get(path)
    assert third.status_code == 200, third.text
    assert third.json()["name"] == endpoint


def test_rules_match_only_their_method_and_path(faults: Api, endpoint: str) -> None:
    other = unique("bystander")
    add_rules(faults, {"rules": [{"method": "GET", "path": f"{PREFIX}/{endpoint}", "status": 503}]})
    # Another path and another method pass; the rule has no `times`, so it keeps failing.
    assert faults.get(f"{PREFIX}/{other}").status_code == 404
    assert faults.post(PREFIX, json={"name": other}).status_code == 200
    try:
        assert faults.get(f"{PREFIX}/{endpoint}").status_code == 503
        assert faults.get(f"{PREFIX}/{endpoint}").status_code == 503
        assert faults.get(f"{PREFIX}/{other}").status_code == 200
    finally:
        faults.delete(f"{PREFIX}/{other}")


def test_offset_lets_the_first_requests_through(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(faults, {"rules": [{"path": path, "status": 503, "offset": 2, "times": 1}]})
    statuses = [faults.get(path).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]


def test_503_is_temporarily_unavailable_with_retry_after(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(faults, {"rules": [{"method": "GET", "path": path, "status": 503, "times": 1}]})
    response = faults.get(path)
    assert response.status_code == 503, response.text
    assert error_body(response)["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert response.headers["Retry-After"] == "1"  # the default
    assert faults.get(path).status_code == 200


def test_retry_after_null_sends_no_header(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(faults, {"rules": [{"path": path, "status": 429, "retry_after": None}]})
    response = faults.get(path)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_latency_is_added_to_requests(faults: Api, endpoint: str) -> None:
    latency_ms = 300
    state = add_rules(faults, {"latency_ms": latency_ms})
    assert state["latency_ms"] == latency_ms
    started = time.monotonic()
    response = faults.get(f"{PREFIX}/{endpoint}")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert elapsed >= latency_ms / 1000


def test_state_shows_rules_and_seen_counts(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}*"
    rule = {"method": "get", "path": path, "status": 429, "retry_after": 3, "times": 1}
    added = add_rules(faults, {"rules": [rule]})
    expected = {**rule, "method": "GET", "offset": 0, "seen": 0}
    assert added == {**EMPTY, "rules": [expected]}
    for _ in range(3):
        faults.get(f"{PREFIX}/{endpoint}")
    faults.delete(f"{PREFIX}/{endpoint}-not-matched-by-method")
    state = faults.get(FAULTS)
    assert state.status_code == 200, state.text
    assert state.json() == {**EMPTY, "rules": [{**expected, "seen": 3}]}


def test_delete_clears_rules_and_latency(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(faults, {"latency_ms": 50, "rules": [{"path": path, "status": 503}]})
    assert faults.get(path).status_code == 503
    cleared = faults.delete(FAULTS)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json() == EMPTY
    assert faults.get(FAULTS).json() == EMPTY
    assert faults.get(path).status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_non_admin_gets_403(
    faults: Api, workspace: LocalWorkspace, endpoint: str, method: str
) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(faults, {"rules": [{"path": path, "status": 503, "times": 1}]})
    before = faults.get(FAULTS).json()
    user = f"{unique('not-admin')}@example.com"
    as_user = faults.as_user(workspace.add_user(user))
    body = {"rules": [{"path": "/*", "status": 503}], "latency_ms": 1000}
    response = as_user.request(method, FAULTS, json=body if method == "POST" else None)
    assert response.status_code == 403, response.text
    error = error_body(response)
    assert error["error_code"] == "PERMISSION_DENIED"
    assert user in error["message"]
    assert faults.get(FAULTS).json() == before


def test_no_token_gets_401(faults: Api) -> None:
    response = faults.as_user(None).post(FAULTS, json={"rules": [{"path": "/*", "status": 503}]})
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == 401  # an integer, as the service sends it
    assert faults.get(FAULTS).json() == EMPTY


GOOD = {"path": "/api/2.0/serving-endpoints/never-matches-*", "status": 503}


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        pytest.param({"rules": "all"}, "rules", "must be a list", id="rules-not-list"),
        pytest.param({"rules": [GOOD, 7]}, "rules[1]", "must be a JSON object", id="not-object"),
        pytest.param(
            {"rules": [GOOD, {**GOOD, "status": 418}]},
            "rules[1].status",
            "must be 429, 503 or 500",
            id="status-418",
        ),
        pytest.param(
            {"rules": [{"path": GOOD["path"]}]}, "rules[0].status", "must be 429", id="no-status"
        ),
        pytest.param(
            {"rules": [{"status": 429}]}, "rules[0].path", "starting with /", id="no-path"
        ),
        pytest.param(
            {"rules": [{**GOOD, "path": "api/*"}]},
            "rules[0].path",
            "must be a path glob starting with /",
            id="relative-path",
        ),
        pytest.param(
            {"rules": [{**GOOD, "retry_after": -1}]},
            "rules[0].retry_after",
            "whole number of seconds",
            id="retry-after-negative",
        ),
        pytest.param(
            {"rules": [{**GOOD, "retry_after": "soon"}]},
            "rules[0].retry_after",
            "whole number of seconds",
            id="retry-after-text",
        ),
        pytest.param(
            {"rules": [{**GOOD, "times": 0}]},
            "rules[0].times",
            "must be a positive integer or null",
            id="times-zero",
        ),
        pytest.param(
            {"rules": [{**GOOD, "offset": -1}]},
            "rules[0].offset",
            "must be a non-negative integer",
            id="offset-negative",
        ),
        pytest.param(
            {"rules": [GOOD], "latency_ms": 60_001},
            "latency_ms",
            "between 0 and 60000",
            id="latency-too-high",
        ),
        pytest.param(
            {"latency_ms": -1}, "latency_ms", "between 0 and 60000", id="latency-negative"
        ),
        pytest.param({"latency_ms": "100"}, "latency_ms", "must be an integer", id="latency-text"),
        pytest.param(
            {"latency_ms": True},
            "latency_ms",
            "must be an integer",
            id="latency-bool",
        ),
        pytest.param(
            {"rules": [{**GOOD, "times": True}]},
            "rules[0].times",
            "must be a positive integer",
            id="times-bool",
        ),
        pytest.param(
            {"rules": [{**GOOD, "offset": True}]},
            "rules[0].offset",
            "must be a non-negative integer",
            id="offset-bool",
        ),
        pytest.param(
            {"rules": [{**GOOD, "retry_after": True}]},
            "rules[0].retry_after",
            "whole number of seconds",
            id="retry-after-bool",
        ),
    ],
)
def test_a_bad_rule_body_is_400_naming_the_field_and_adds_nothing(
    faults: Api, body: dict[str, Any], field: str, rule: str
) -> None:
    response = faults.post(FAULTS, json=body)
    assert response.status_code == 400, response.text
    error = error_body(response)
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert error["message"].startswith(f"{field}: "), error
    assert rule in error["message"], error
    assert faults.get(FAULTS).json() == EMPTY


@pytest.mark.parametrize(
    ("raw", "rule"), [(b"[]", "must be a JSON object"), (b"{", "Invalid JSON")]
)
def test_a_body_that_is_not_a_json_object_is_400(faults: Api, raw: bytes, rule: str) -> None:
    response = faults.post(FAULTS, data=raw)
    assert response.status_code == 400, response.text
    error = error_body(response)
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert error["message"].startswith("body: ") and rule in error["message"], error
    assert faults.get(FAULTS).json() == EMPTY


def test_without_enable_faults_the_control_route_is_404() -> None:
    plain = LocalWorkspace.start()
    try:
        api = Api(plain.host, plain.token)
        for method in ("GET", "POST", "DELETE"):
            response = api.request(method, FAULTS, json={"rules": []} if method == "POST" else None)
            assert response.status_code == 404, response.text
            error = error_body(response)
            assert error["error_code"] == "ENDPOINT_NOT_FOUND"
            assert "--enable-faults" in error["message"]
        # The workspace itself answers.
        assert api.get(PREFIX).json() == {"endpoints": []}
    finally:
        plain.stop()
    assert not plain.running


# An unexpected error inside a route (status 500 rules) -----------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        pytest.param("GET", "", None, id="get"),
        pytest.param("GET", "", b'{"unread": "body"}', id="get-with-an-unread-body"),
        pytest.param("PATCH", "/tags", b'{"add_tags": [{"key": "a"}]}', id="patch-tags"),
    ],
)
def test_an_unexpected_error_is_a_500_body_on_a_connection_that_stays_usable(
    faults: Api, endpoint: str, method: str, suffix: str, body: bytes | None
) -> None:
    path = f"{PREFIX}/{endpoint}{suffix}"
    add_rules(faults, {"rules": [{"method": method, "path": path, "status": 500, "times": 1}]})
    host, port = faults.host.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {faults.token}", "Content-Type": "application/json"}
    try:
        connection.request(method, path, body=body, headers=headers)
        failed = connection.getresponse()
        text = failed.read()
        assert failed.status == 500, text
        assert failed.getheader("connection") != "close"
        assert json.loads(text) == INTERNAL_ERROR
        sock = connection.sock
        # The same connection answers the next request (a reset would raise here).
        connection.request("GET", f"{PREFIX}/{endpoint}", headers=headers)
        after = connection.getresponse()
        assert after.status == 200, after.read()
        assert json.loads(after.read())["name"] == endpoint
        assert connection.sock is sock
    finally:
        connection.close()


def test_a_pooled_session_survives_an_unexpected_error(faults: Api, endpoint: str) -> None:
    path = f"{PREFIX}/{endpoint}"
    add_rules(faults, {"rules": [{"method": "GET", "path": path, "status": 500, "times": 1}]})
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {faults.token}"
        assert session.get(faults.host + path, timeout=30).status_code == 500
        # A PATCH is not retried on a connection the server dropped: it must get through.
        tagged = session.patch(
            f"{faults.host}{path}/tags", json={"add_tags": [{"key": "after"}]}, timeout=30
        )
        assert tagged.status_code == 200, tagged.text
        assert tagged.json() == {"tags": [{"key": "after"}]}
