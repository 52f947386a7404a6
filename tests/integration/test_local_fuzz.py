"""Malformed values thrown at every JSON route's fields, over real HTTP: never a 5xx, never a
dropped connection, and what was stored before still reads back and lists afterwards.

Hypothesis picks a route, one field of a valid body for it (or the whole body, a query
parameter, or a path segment), and a bad value: wrong types, NaN and Infinity, huge numbers,
deep nesting, long strings, unicode (lone surrogates too), nulls, empty lists and objects. The
run is bounded and derandomized, so it is the same run every time.

It runs against a workspace of its own, whose one configured endpoint stays IN_PROGRESS on a
model that loads for ten minutes: a PUT config that passes validation answers 409 instead of
starting a build, so the fuzzing never loads models.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.api import Api, entity
from harness.workspaces import start_workspace
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
PERMISSIONS = "/api/2.0/permissions/serving-endpoints"
USER = "fuzz-user@example.com"
EXAMPLES = 1500


@dataclass(frozen=True)
class Raw:
    """JSON text sent as is: what `json.dumps` would refuse or rewrite."""

    text: str


def encode(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")
    return json.dumps(value)


def nested(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


# A string that is never a valid name, so no fuzzed create or rename can succeed by chance.
_text = st.text(max_size=40).map(lambda s: s + " é\u200b☃")
_json_scalar = st.none() | st.booleans() | st.integers() | st.floats() | _text
BAD = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            1.5,
            "",
            [],
            {},
            [None],
            {"": None},
            [[]],
            2**63,
            -(2**63) - 1,
            10**300,
            "x" * 5000,
            "9" * 5000,
            "1" * 19,
            "-1",
            "0",
            Raw("NaN"),
            Raw("Infinity"),
            Raw("-Infinity"),
            Raw("1e400"),
            Raw("-1e400"),
            Raw("9" * 4301),
            Raw('"\\ud800"'),
            Raw('"a\\udfffb"'),
            Raw('"\\u0000"'),
            {"\ud800": 1},
            nested(80),
            nested(1500),
            nested(20_000),
            Raw('{"a":' * 500 + "1" + "}" * 500),
        ]
    ),
    _json_scalar,
    st.lists(_json_scalar, max_size=4),
    st.dictionaries(_text, _json_scalar, max_size=3),
    st.recursive(_json_scalar, lambda inner: st.lists(inner, max_size=3), max_leaves=8),
)


@dataclass
class Fuzzed:
    api: Api
    bare: str  # an endpoint with no config (tags, gateway, notifications, permissions, queries)
    building: str  # an endpoint whose first config stays IN_PROGRESS (config, logs)
    building_id: str
    kept: dict[str, Any]  # an endpoint no fuzzed request targets, as GET read it before
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory, demo_models: dict[str, Path]
) -> Iterator[Fuzzed]:
    ws: LocalWorkspace = start_workspace(
        tmp_path_factory.mktemp("fuzz"),
        demo_models,
        env={"SERVING_PANEL_DEMO_SLOW_SECONDS": "600"},
        enable_faults=True,
    )
    try:
        ws.add_user(USER)
        api = Api(ws.host, ws.token)
        for name in ("fz-bare", "fz-taken"):
            api.post(PREFIX, json={"name": name}).raise_for_status()
        building = api.post(
            PREFIX,
            json={"name": "fz-building", "config": {"served_entities": [entity("slow", "1")]}},
        )
        building.raise_for_status()
        api.post(
            PREFIX,
            json={"name": "fz-kept", "description": "kept", "tags": [{"key": "k", "value": "v"}]},
        ).raise_for_status()
        kept = api.get(f"{PREFIX}/fz-kept").json()
        yield Fuzzed(api, "fz-bare", "fz-building", building.json()["id"], kept)
    finally:
        ws.stop()


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    body: Any  # None: no body
    params: dict[str, str | bytes] | None = None

    def describe(self) -> str:
        body = "" if self.body is None else encode(self.body)
        shown = body if len(body) < 300 else body[:300] + f"... ({len(body)} chars)"
        return f"{self.method} {self.path} params={self.params} body={shown}"


def routes(f: Fuzzed) -> list[Case]:
    """Each JSON route with a body it accepts (or refuses only for the endpoint's state)."""
    one = f"{PREFIX}/{f.bare}"
    building = f"{PREFIX}/{f.building}"
    acl = {"access_control_list": [{"user_name": USER, "permission_level": "CAN_QUERY"}]}
    return [
        Case(
            "POST",
            PREFIX,
            {
                "name": "fz-taken",
                "config": {
                    "name": "fz-taken",
                    "served_entities": [entity("ads1", "1", environment_vars={"A": "b"})],
                    "traffic_config": {
                        "routes": [{"served_entity_name": "ads1-1", "traffic_percentage": 100}]
                    },
                    "auto_capture_config": {"enabled": False},
                },
                "description": "d",
                "tags": [{"key": "k", "value": "v"}],
                "route_optimized": False,
                "budget_policy_id": "b",
                "email_notifications": {"on_update_failure": ["a@example.com"]},
                "ai_gateway": {"usage_tracking_config": {"enabled": True}},
                "rate_limits": [{"calls": 5, "renewal_period": "minute", "key": "user"}],
                "telemetry_config": {"x": 1},
            },
        ),
        Case(
            "PUT",
            f"{building}/config",
            {
                "served_entities": [
                    entity("ads1", "1", name="a", environment_vars={"A": "b"}),
                    {
                        "name": "b",
                        "entity_name": "ads1",
                        "entity_version": 2,
                        "min_provisioned_concurrency": 0,
                        "max_provisioned_concurrency": 4,
                    },
                ],
                "served_models": [{"model_name": "ads1", "model_version": "1", "name": "c"}],
                "traffic_config": {
                    "routes": [
                        {"served_entity_name": "a", "traffic_percentage": 50},
                        {"served_model_name": "b", "traffic_percentage": 50},
                        {"served_entity_name": "c", "traffic_percentage": 0},
                    ]
                },
            },
        ),
        Case("GET", f"{building}/served-models/slow-1/build-logs", {"config_version": 1}),
        Case("GET", f"{building}/served-models/slow-1/logs", {"config_version": 1}),
        Case(
            "PATCH",
            f"{one}/tags",
            {"add_tags": [{"key": "a", "value": "b"}], "delete_tags": ["c"]},
        ),
        Case(
            "PUT",
            f"{one}/ai-gateway",
            {
                "usage_tracking_config": {"enabled": True},
                "rate_limits": [{"calls": 1, "renewal_period": "minute"}],
                "guardrails": {"input": {"safety": True}},
                "inference_table_config": {"enabled": False},
                "fallback_config": {"enabled": False},
            },
        ),
        Case(
            "PUT",
            f"{one}/rate-limits",
            {"rate_limits": [{"calls": 5, "renewal_period": "minute", "key": "endpoint"}]},
        ),
        Case(
            "PATCH",
            f"{one}/notifications",
            {
                "email_notifications": {
                    "on_update_failure": ["a@example.com"],
                    "on_update_success": ["b@example.com"],
                }
            },
        ),
        Case("PUT", f"{PERMISSIONS}/{f.building_id}", acl),
        Case("PATCH", f"{PERMISSIONS}/{f.building_id}", acl),
        Case("POST", f"/serving-endpoints/{f.bare}/invocations", {"inputs": [[1.0, 2.0]]}),
        Case(
            "POST",
            "/__local/faults",
            {
                "rules": [
                    {
                        "method": "GET",
                        "path": "/nothing-here/*",
                        "status": 503,
                        "retry_after": 1,
                        "offset": 0,
                        "times": 1,
                    }
                ],
                "latency_ms": 0,
            },
        ),
    ]


def paths_in(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_in(item, (*at, index))


def replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    head, rest = at[0], at[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = replaced(copy[head], rest, new)
    return copy


def added(value: Any, at: tuple[Any, ...], key: str, new: Any) -> Any:
    """`value` with `key: new` added to the object at `at` (or `new` appended to a list)."""
    target = value
    for step in at:
        target = target[step]
    if isinstance(target, dict):
        return replaced(value, at, {**target, key: new})
    if isinstance(target, list):
        return replaced(value, at, [*target, new])
    return replaced(value, at, new)


@st.composite
def cases(draw: st.DrawFn, f: Fuzzed) -> Case:
    base = draw(st.sampled_from(routes(f)))
    bad = draw(BAD)
    how = draw(st.sampled_from(["replace", "replace", "replace", "add", "query", "path"]))
    if how == "query":
        name = draw(st.sampled_from(["config_version", "filter", "startIndex", "count"]))
        value = bad.text if isinstance(bad, Raw) else encode(bad).strip('"')
        return Case(base.method, base.path, base.body, {name: value[:5000]})
    segments = base.path.split("/")
    variable = (f.bare, f.building, f.building_id, "slow-1")
    named = [i for i, segment in enumerate(segments) if segment in variable]
    if how == "path" and named:
        index = draw(st.sampled_from(named))
        text = bad if isinstance(bad, str) else encode(bad)
        segments[index] = quote(text[:3000], safe="")
        return Case(base.method, "/".join(segments), base.body)
    at = draw(st.sampled_from(list(paths_in(base.body))))
    if how == "add":
        return Case(base.method, base.path, added(base.body, at, draw(_text), bad))
    return Case(base.method, base.path, replaced(base.body, at, bad))


SCIM = ["/api/2.0/preview/scim/v2/Users", "/api/2.0/preview/scim/v2/Groups"]


def send(session: requests.Session, f: Fuzzed, case: Case) -> None:
    data = None if case.body is None else encode(case.body).encode("utf-8", "surrogatepass")
    try:
        response = session.request(
            case.method,
            f.api.host + case.path,
            data=data,
            params=case.params,
            headers={"Authorization": f"Bearer {f.api.token}", "Content-Type": "application/json"},
            timeout=30,
        )
    except requests.RequestException as error:
        f.failures.append(f"{type(error).__name__} on {case.describe()}")
        return
    if response.status_code >= 500:
        f.failures.append(f"{response.status_code} {response.text[:300]} on {case.describe()}")


def test_malformed_values_on_every_json_route_get_no_5xx(fuzzed: Fuzzed) -> None:
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(cases(fuzzed))
    def run(case: Case) -> None:
        send(session, fuzzed, case)

    run()
    scim_params: list[dict[str, str | bytes]] = [
        {"filter": b'userName eq "\xed\xa0\x80"'},
        {"count": "9" * 5000},
    ]
    for path in SCIM:
        for params in scim_params:
            send(session, fuzzed, Case("GET", path, None, params))
    fuzzed.api.delete("/__local/faults").raise_for_status()
    unique = sorted(set(fuzzed.failures))
    assert not unique, f"{len(unique)} server errors:\n" + "\n".join(unique[:40])

    listing = fuzzed.api.get(PREFIX)
    assert listing.status_code == 200, listing.text
    assert fuzzed.kept in [
        fuzzed.api.get(f"{PREFIX}/{e['name']}").json()
        for e in listing.json()["endpoints"]
        if e["name"] == "fz-kept"
    ]
    for endpoint in listing.json()["endpoints"]:
        got = fuzzed.api.get(f"{PREFIX}/{quote(endpoint['name'], safe='')}")
        assert got.status_code == 200, got.text
