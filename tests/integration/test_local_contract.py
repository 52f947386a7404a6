"""The local workspace's OpenAPI contract (`src/serving_panel/local/api/openapi.json`).

The document must be valid OpenAPI, be what `/__local/openapi.json` serves, and describe exactly
the routes the app serves, so it can't drift from the code. Then schemathesis fuzzes every
operation over real HTTP, as the admin, against a workspace of this module's own (faults off,
so nothing it sends can inject faults or delete endpoints other tests use): no request may get
a 5xx, and the answers to valid requests must match the document. The fault controls, which
that workspace lacks, are fuzzed on the shared workspace and cleared afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.schemas import OpenApiSchema
from starlette.routing import Route

from harness.api import Api, entity, settle, unique
from harness.workspaces import start_workspace
from serving_panel.local.api.app import create_app
from serving_panel.local.api.routes.control import OPENAPI_DOCUMENT
from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.workspace import Workspace

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: Operations anyone may call; every other one takes `Authorization: Bearer <token>`.
PUBLIC = {("GET", "/.well-known/databricks-config"), ("GET", "/__local/openapi.json")}

#: Generated requests per operation and generation mode (positive, then negative).
MAX_EXAMPLES = 20
#: Wall-clock budget of the whole fuzzing run; each operation gets its share, in order.
FUZZ_BUDGET_S = 45.0
REQUEST_TIMEOUT_S = 30.0
# By value: mypy, which checks against Python 3.10, sees the StrEnum's members as plain str.
POSITIVE = GenerationMode("positive")
NEGATIVE = GenerationMode("negative")


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_bytes())
    return document


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def served_routes(data_dir: Path) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, as Starlette will match them."""
    workspace = Workspace(data_dir, enable_faults=True)
    try:
        app = create_app(workspace)
        pairs: set[tuple[str, str]] = set()
        for route in app.routes:
            assert isinstance(route, Route), f"not a plain route: {route!r}"
            assert route.methods, f"{route.path} accepts every method"
            pairs.update((method, route.path) for method in route.methods)
        return pairs
    finally:
        workspace.close()


# The document -----------------------------------------------------------------------------


def test_document_is_valid_openapi_31() -> None:
    document = load_document()
    assert document["openapi"].startswith("3.1.")
    schema = schemathesis.openapi.from_path(OPENAPI_DOCUMENT)
    schema.validate()  # raises on anything the OpenAPI 3.1 meta-schema rejects
    results = list(schema.get_all_operations())
    problems = [result.err() for result in results if not isinstance(result, Ok)]
    assert problems == []
    assert len(results) == len(documented_operations(document))


def test_document_is_pretty_printed_with_two_spaces() -> None:
    raw = OPENAPI_DOCUMENT.read_text()
    assert raw == json.dumps(json.loads(raw), indent=2, ensure_ascii=False) + "\n"


def test_workspace_serves_the_document_byte_for_byte(workspace: LocalWorkspace) -> None:
    response = requests.get(workspace.host + "/__local/openapi.json", timeout=REQUEST_TIMEOUT_S)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.content == OPENAPI_DOCUMENT.read_bytes()
    served = schemathesis.openapi.from_url(workspace.host + "/__local/openapi.json")
    served.validate()


def test_document_describes_exactly_the_routes_the_app_serves(tmp_path: Path) -> None:
    routes = served_routes(tmp_path)
    # Starlette answers HEAD wherever it answers GET; the document leaves that implicit.
    gets = {path for method, path in routes if method == "GET"}
    heads = {path for method, path in routes if method == "HEAD"}
    assert heads == gets
    served = {(method, path) for method, path in routes if method != "HEAD"}
    documented = documented_operations(load_document())
    assert sorted(served - documented) == [], "served but not documented"
    assert sorted(documented - served) == [], "documented but not served"


def test_every_operation_but_the_public_ones_requires_a_bearer_token() -> None:
    document = load_document()
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]
    public = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS and operation.get("security", document["security"]) == []
    }
    assert public == PUBLIC


# The live workspace -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A real, ready endpoint in the fuzzing workspace, so fuzzing gets past the 404s."""

    name: str
    endpoint_id: str
    served: str


@pytest.fixture(scope="module")
def fuzz_workspace(
    tmp_path_factory: pytest.TempPathFactory, demo_models: dict[str, Path]
) -> Iterator[LocalWorkspace]:
    """This module's own workspace: faults off, the demo models registered."""
    ws = start_workspace(
        tmp_path_factory.mktemp("contract-workspace"), demo_models, enable_faults=False
    )
    try:
        yield ws
    finally:
        ws.stop()


@pytest.fixture(scope="module")
def target(fuzz_workspace: LocalWorkspace) -> Target:
    api = Api(fuzz_workspace.host, fuzz_workspace.token)
    name = unique("contract")
    response = api.post(
        "/api/2.0/serving-endpoints",
        json={"name": name, "config": {"served_entities": [entity("ads1", "1")]}},
    )
    assert response.status_code == 200, response.text
    body = settle(api, name)
    assert body["state"]["ready"] == "READY", body
    return Target(name, body["id"], body["config"]["served_entities"][0]["name"])


@pytest.fixture(scope="module")
def served_schema(fuzz_workspace: LocalWorkspace) -> OpenApiSchema:
    return schemathesis.openapi.from_url(fuzz_workspace.host + "/__local/openapi.json")


def test_unauthenticated_calls_get_401_except_on_public_operations(
    fuzz_workspace: LocalWorkspace, served_schema: OpenApiSchema
) -> None:
    document = load_document()
    wrong = []
    for method, path in sorted(documented_operations(document)):
        url = fuzz_workspace.host + path.replace("{", "").replace("}", "")
        response = requests.request(
            method,
            url,
            json={} if method in ("POST", "PUT", "PATCH") else None,
            timeout=REQUEST_TIMEOUT_S,
        )
        expected = 200 if (method, path) in PUBLIC else 401
        if response.status_code != expected:
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            continue
        try:
            served_schema[path][method].validate_response(response)
        except (Failure, FailureGroup) as error:
            wrong.append(f"{method} {path}: {response.status_code} doesn't match: {error}")
    assert wrong == []


@dataclass
class FuzzReport:
    cases: int = 0
    seconds: float = 0.0
    per_operation: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{len(self.per_operation)} (operation, mode) runs, {self.cases} requests in "
            f"{self.seconds:.1f} s; statuses {statuses}"
        )


def _negatable(operation: dict[str, Any], path_item: dict[str, Any]) -> bool:
    """Negative mode needs something it can break: a body or a typed query parameter (any
    string is a valid path parameter, so path parameters alone leave it nothing to do)."""
    parameters = [*path_item.get("parameters", []), *operation.get("parameters", [])]
    return "requestBody" in operation or any(p["in"] == "query" for p in parameters)


Plan = list[tuple[str, str, GenerationMode]]
#: Stop, then start: fuzzed between the valid and the invalid requests (see `_fuzz_plan`).
RESTARTING = ("/config:stop", "/config:start")


def _fuzz_plan(document: dict[str, Any], paths: set[str] | None = None) -> Plan:
    """Every operation with valid data first, then stopping and starting an endpoint, then
    every operation with invalid data where it has some, and deleting an endpoint last, so
    the target outlives the rest. Valid requests go first so that what they read back was
    stored by valid requests too, and must match the document; `fuzz` waits for a started
    target to be built again before going on (queries meanwhile would get 503)."""
    pairs = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS and (paths is None or path in paths)
    ]
    lifecycle = [pair for end in RESTARTING for pair in pairs if pair[1].endswith(end)]
    last = [pair for pair in pairs if pair == ("DELETE", "/api/2.0/serving-endpoints/{name}")]
    pairs = [pair for pair in pairs if pair not in last and pair not in lifecycle]
    positive: Plan = [(method, path, POSITIVE) for method, path in pairs]
    restarting: Plan = [(method, path, POSITIVE) for method, path in lifecycle]
    negative: Plan = [
        (method, path, NEGATIVE)
        for method, path in pairs
        if _negatable(document["paths"][path][method.lower()], document["paths"][path])
    ]
    deleting: Plan = [(method, path, POSITIVE) for method, path in last]
    return [*positive, *restarting, *negative, *deleting]


def _describe(
    case: schemathesis.Case[Any], response: schemathesis.Response | None, note: str
) -> str:
    status = response.status_code if response is not None else "no response"
    body = response.text[:500] if response is not None else ""
    sent = case.body if not isinstance(case.body, bytes) else case.body[:300]
    return (
        f"{case.method.upper()} {case.formatted_path} query={case.query!r} "
        f"body={str(sent)[:300]!r} -> {status} {body} {note}".rstrip()
    )


def _run_operation(
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    strategy: st.SearchStrategy[schemathesis.Case[Any]],
    *,
    mode: GenerationMode,
    statuses: set[str],
    host: str,
    headers: dict[str, str],
    stop_at: float,
    report: FuzzReport,
) -> None:
    calls = 0

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        nonlocal calls
        if calls and time.monotonic() > stop_at:
            return  # this operation's share of the budget is spent
        calls += 1
        try:
            response = case.call(base_url=host, headers=headers, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as error:
            report.server_errors.append(_describe(case, None, f"{type(error).__name__}: {error}"))
            return
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            report.server_errors.append(_describe(case, response, ""))
        elif str(response.status_code) not in statuses:
            report.nonconforming.append(_describe(case, response, "(undocumented status)"))
        elif mode is POSITIVE:
            try:
                operation.validate_response(response, case=case)
            except (Failure, FailureGroup) as error:
                report.nonconforming.append(_describe(case, response, f"\n{error}"))

    run()
    report.cases += calls
    report.per_operation[f"{operation.label} ({mode.value})"] = calls


def fuzz(
    schema: OpenApiSchema,
    plan: Plan,
    ws: LocalWorkspace,
    fixed: dict[str, str],
    budget_s: float,
) -> FuzzReport:
    """Runs the plan as the workspace's admin, each step within its share of the budget.

    Path parameters named in `fixed` take that value in half the cases (the other half get
    random values), so requests reach a real endpoint's validation and not only 404s."""
    document = load_document()
    headers = {"Authorization": f"Bearer {ws.token}"}
    report = FuzzReport()
    started = time.monotonic()
    for index, (method, path, mode) in enumerate(plan):
        operation = schema[path][method]
        strategy = operation.as_strategy(mode, headers=headers)
        known = {key: value for key, value in fixed.items() if "{" + key + "}" in path}
        if known:
            strategy = st.one_of(
                strategy, operation.as_strategy(mode, headers=headers, path_parameters=known)
            )
        _run_operation(
            operation,
            strategy,
            mode=mode,
            statuses=set(document["paths"][path][method.lower()]["responses"]),
            host=ws.host,
            headers=headers,
            stop_at=started + budget_s * (index + 1) / len(plan),
            report=report,
        )
        if path.endswith(RESTARTING[-1]) and "name" in fixed:
            # The target, started again, is built again: the rest find it serving.
            settle(Api(ws.host, ws.token), fixed["name"])
    report.seconds = time.monotonic() - started
    return report


def _server_errors(report: FuzzReport, ws: LocalWorkspace) -> str:
    log = ws.log_path.read_text(errors="replace")[-8000:]
    return (
        f"{len(report.server_errors)} of {report.cases} requests got a 5xx:\n"
        + "\n".join(report.server_errors)
        + f"\n--- {ws.log_path} (tail) ---\n{log}"
    )


@pytest.fixture(scope="module")
def fuzz_report(
    fuzz_workspace: LocalWorkspace, target: Target, served_schema: OpenApiSchema
) -> FuzzReport:
    """One bounded fuzzing run over every operation, shared by the tests that judge it."""
    fixed = {"name": target.name, "served_model": target.served, "endpoint_id": target.endpoint_id}
    report = fuzz(served_schema, _fuzz_plan(load_document()), fuzz_workspace, fixed, FUZZ_BUDGET_S)
    print(f"\nfuzzing: {report.summary()}")  # shown with -s or -rA
    return report


# The shared fuzzing run is set up inside the first test to use it: a workspace, a ready
# endpoint and the fuzzing budget, which on a loaded 2-core machine takes minutes, not seconds.
@pytest.mark.timeout(900)
def test_fuzzing_every_operation_gets_no_server_error(
    fuzz_report: FuzzReport, fuzz_workspace: LocalWorkspace
) -> None:
    document = load_document()
    plan = _fuzz_plan(document)
    assert set(fuzz_report.per_operation) == {
        f"{method} {path} ({mode.value})" for method, path, mode in plan
    }
    assert {method for method, _, _ in plan} == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert min(fuzz_report.per_operation.values()) >= 1, "an operation was never called"
    # Every request carried the admin's token, and got past validation or was refused by it.
    assert not {401, 403} & set(fuzz_report.statuses), fuzz_report.summary()
    assert {200, 400, 404} <= set(fuzz_report.statuses), fuzz_report.summary()
    assert fuzz_report.server_errors == [], _server_errors(fuzz_report, fuzz_workspace)


@pytest.mark.timeout(900)
def test_fuzzed_answers_to_valid_requests_match_the_document(fuzz_report: FuzzReport) -> None:
    assert fuzz_report.cases > 0
    assert fuzz_report.nonconforming == [], "\n\n".join(fuzz_report.nonconforming)


def test_fuzzing_the_fault_controls_gets_no_server_error(workspace: LocalWorkspace) -> None:
    """The fault controls, on the shared workspace (the one with faults on). Control routes
    bypass the faults they set, and every fault is removed afterwards."""
    schema = schemathesis.openapi.from_url(workspace.host + "/__local/openapi.json")
    plan = _fuzz_plan(load_document(), {"/__local/faults"})
    api = Api(workspace.host, workspace.token)
    try:
        report = fuzz(schema, plan, workspace, {}, 15.0)
    finally:
        api.delete("/__local/faults").raise_for_status()
    assert api.get("/__local/faults").json() == {
        "latency_ms": 0,
        "rules": [],
        "scenarios": [],
        "held_updates": [],
    }
    assert len(report.per_operation) == len(plan) == 4
    assert {200, 400} <= set(report.statuses), report.summary()
    assert report.server_errors == [], _server_errors(report, workspace)
    assert report.nonconforming == [], "\n\n".join(report.nonconforming)


def test_the_fuzzer_reports_server_errors(workspace: LocalWorkspace) -> None:
    """The fuzzing above is not vacuous: a route made to answer 503 shows up as a failure."""
    schema = schemathesis.openapi.from_url(workspace.host + "/__local/openapi.json")
    path = "/api/2.0/preview/scim/v2/Me"
    api = Api(workspace.host, workspace.token)
    rule = {"method": "GET", "path": path, "status": 503, "retry_after": 1}
    api.post("/__local/faults", json={"rules": [rule]}).raise_for_status()
    try:
        report = fuzz(schema, [("GET", path, POSITIVE)], workspace, {}, 10.0)
    finally:
        api.delete("/__local/faults").raise_for_status()
    assert report.cases >= 1
    assert len(report.server_errors) == report.cases
    assert f"GET {path}" in report.server_errors[0]
    assert "TEMPORARILY_UNAVAILABLE" in report.server_errors[0]


# Findings ---------------------------------------------------------------------------------
# Each was found by a longer, randomized fuzzing run (or by reading the code), which the bounded
# run above doesn't reach; they stay here as regression tests.


@pytest.mark.parametrize("status", [[429], {"code": 429}], ids=["list", "object"])
def test_a_fault_rule_with_an_unhashable_status_is_a_400(
    workspace: LocalWorkspace, status: object
) -> None:
    api = Api(workspace.host, workspace.token)
    try:
        response = api.post("/__local/faults", json={"rules": [{"path": "/x", "status": status}]})
    finally:
        api.delete("/__local/faults").raise_for_status()
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    "path",
    [
        "/api/2.0/serving-endpoints/%0A",
        "/api/2.0/serving-endpoints%0A",
        "/api/2.0/preview/scim/v2/Me%0A",
        "/.well-known/databricks-config%0A",
        "/api/2.0/serving-endpoints/a%09b",
    ],
)
def test_paths_with_control_characters_match_no_route(
    fuzz_workspace: LocalWorkspace, path: str
) -> None:
    # Starlette's route patterns end in `$`, which also matches before a trailing newline.
    api = Api(fuzz_workspace.host, fuzz_workspace.token)
    response = api.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
