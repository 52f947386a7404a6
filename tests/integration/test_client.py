"""ServingClient against a live local workspace over real HTTP: every method, every error
class, retries against the workspace's own injected faults, grant/revoke and wait."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from harness.api import Api, entity, settle, unique
from serving_panel import ServingClient, acl
from serving_panel._http import RetryPolicy
from serving_panel.acl import AclError, StaleAclError
from serving_panel.config import ConfigurationError
from serving_panel.errors import (
    ApiError,
    BadRequest,
    ClientValidationError,
    ConnectionFailed,
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    RateLimited,
    ResourceAlreadyExists,
    ResourceConflict,
    ResourceDoesNotExist,
    ServingError,
    TemporarilyUnavailable,
    Unauthenticated,
    UnexpectedResponse,
    UpdateFailed,
    WaitTimedOut,
)
from serving_panel.local.handle import LocalWorkspace
from serving_panel.metrics import MetricsParseError, parse_prometheus_text

FAULTS = "/__local/faults"
SCIM = "/api/2.0/preview/scim/v2"


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with ServingClient(workspace.host, workspace.token) as serving:
        yield serving


@pytest.fixture(scope="module")
def ready(client: ServingClient) -> Iterator[str]:
    """ads1 v1 and v2 at 80/20, tagged, ready."""
    name = unique("client")
    client.create(
        name,
        [entity("ads1", "1"), entity("ads1", "2")],
        traffic={"ads1-1": 80, "ads1-2": 20},
        tags={"team": "ads"},
        description="client tests",
    )
    client.wait(name)
    yield name
    client.delete(name)


def test_get_and_list_return_typed_endpoints(client: ServingClient, ready: str) -> None:
    endpoint = client.get(ready)
    assert endpoint.name == ready
    assert endpoint.state == "Ready"
    assert endpoint.config is not None
    assert endpoint.config.traffic() == {"ads1-1": 80, "ads1-2": 20}
    assert [e.label for e in endpoint.config.served_entities] == ["ads1@1", "ads1@2"]
    assert endpoint.tags == {"team": "ads"}
    assert endpoint.created is not None and endpoint.created.tzinfo is not None
    assert endpoint.to_json()["description"] == "client tests"
    listed = {e.name: e for e in client.list()}
    assert listed[ready].id == endpoint.id
    assert "<script>" not in endpoint._repr_html_()


def test_unknown_fields_survive(client: ServingClient, ready: str) -> None:
    # route_optimized is always sent by the service but not modelled as an attribute here.
    assert client.get(ready).to_json()["route_optimized"] is False
    assert client.get(ready).get("route_optimized") is False


def test_update_config_then_wait(client: ServingClient) -> None:
    name = unique("client-update")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    pending = client.update_config(name, [entity("ads1", "2")])
    assert pending.updating
    assert pending.pending_config is not None
    assert pending.pending_config.config_version == 2
    done = client.wait(name, until="ready")
    assert done.config is not None
    assert done.config.config_version == 2
    client.delete(name)
    with pytest.raises(ResourceDoesNotExist):
        client.get(name)


def test_wait_on_a_failing_update_says_why(client: ServingClient) -> None:
    name = unique("client-fail")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    client.update_config(name, [entity("broken", "1")])
    with pytest.raises(UpdateFailed) as failure:
        client.wait(name, timeout=120)
    message = str(failure.value)
    assert "UPDATE_FAILED" in message
    assert "broken-1: model failed to load: RuntimeError" in message
    assert "fails to load on purpose" in failure.value.build_log_tail
    assert "Traceback" in message or "RuntimeError" in failure.value.build_log_tail
    client.delete(name)


def test_wait_gives_up_at_its_timeout_naming_the_last_state(client: ServingClient) -> None:
    name = unique("client-slow")
    client.create(name, [entity("slow", "1")])
    started = time.monotonic()
    with pytest.raises(WaitTimedOut, match=r"still Not ready \(updating\).*after 0.5 s"):
        client.wait(name, timeout=0.5, poll_s=0.1)
    assert time.monotonic() - started < 30  # not the build's minutes; room for a loaded machine
    client.wait(name, timeout=120)
    client.delete(name)


def test_logs_metrics_openapi_and_tags(client: ServingClient, ready: str) -> None:
    build = client.build_logs(ready, "ads1-2", config_version=1)
    assert "resolved ads1 version 2" in build
    assert isinstance(client.logs(ready, "ads1-1"), str)
    records = client.log_records(ready, "ads1-2", kind="build")
    assert records[0].level == "INFO"
    assert records[0].timestamp is not None
    samples = client.metrics(ready)
    provisioned = {
        (dict(s.labels)["served_entity_name"], s.value)
        for s in samples
        if s.name == "provisioned_concurrent_requests_total"
    }
    assert provisioned == {("ads1-1", 4.0), ("ads1-2", 4.0)}  # Small, model servers running
    with pytest.raises(ResourceDoesNotExist, match="without a model signature"):
        client.openapi(ready)  # ads1 has none; test_local_wire_fidelity.py reads a signed one
    assert client.update_tags(ready, add={"tier": "gold"}, remove=["nope"]) == {
        "team": "ads",
        "tier": "gold",
    }
    assert client.update_tags(ready, remove=["tier"]) == {"team": "ads"}


def test_dataframes_have_real_dtypes(client: ServingClient, ready: str) -> None:
    fleet = client.endpoints_df(detailed=True)
    row = fleet[fleet["name"] == ready].iloc[0]
    assert row["state"] == "Ready"
    assert row["traffic"] == "ads1-1 80% / ads1-2 20%"
    assert row["entities"] == "ads1@1, ads1@2"
    assert row["permission_level"] == "CAN_MANAGE"
    assert str(fleet["created"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(fleet["state"].dtype, pd.CategoricalDtype)
    assert fleet["permission_level"].cat.ordered
    assert str(fleet["config_version"].dtype) == "Int64"
    assert str(fleet["name"].dtype) == "string"

    entities = client.entities_df(ready)
    assert list(entities["name"]) == ["ads1-1", "ads1-2"]
    assert list(entities["traffic_percentage"]) == [80, 20]
    assert str(entities["traffic_percentage"].dtype) == "Int64"
    assert str(entities["scale_to_zero"].dtype) == "boolean"
    assert list(entities["deployment_state"].astype(str)) == ["DEPLOYMENT_READY"] * 2

    routes = client.routes_df(ready)
    assert list(zip(routes["served_entity_name"], routes["traffic_percentage"], strict=True)) == [
        ("ads1-1", 80),
        ("ads1-2", 20),
    ]

    permissions = client.permissions_df(ready)
    admins = permissions[permissions["principal"] == "admins"].iloc[0]
    assert bool(admins["inherited"]) is True
    assert admins["source"] == "/serving-endpoints/"
    assert admins["level"] == "CAN_MANAGE"
    assert permissions["level"].cat.ordered

    logs = client.logs_df(ready, "ads1-1", kind="build")
    assert list(logs.columns) == [
        "line",
        "timestamp",
        "level",
        "served_entity",
        "message",
        "continuation",
    ]
    assert str(logs["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert set(logs["served_entity"]) == {"ads1-1"}

    metrics = client.metrics_df(ready)
    assert set(metrics["label_served_entity_name"]) == {"ads1-1", "ads1-2"}
    assert str(metrics["value"].dtype) == "float64"


def test_permissions_by_name_or_id(client: ServingClient, ready: str) -> None:
    endpoint_id = client.get(ready).id
    by_name = client.permissions(ready)
    by_id = client.permissions(endpoint_id)
    assert by_name.to_json() == by_id.to_json()
    assert by_name.endpoint_id == endpoint_id
    assert [level.permission_level for level in client.permission_levels(ready)] == [
        "CAN_VIEW",
        "CAN_QUERY",
        "CAN_MANAGE",
    ]


def test_grant_and_revoke_touch_only_their_principal(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("client-acl")
    client.create(name)
    alice = f"{unique('alice')}@example.com"
    bob = f"{unique('bob')}@example.com"
    workspace.add_user(alice)
    workspace.add_user(bob)
    client.grant(name, "CAN_QUERY", user=alice)
    granted = client.grant(name, "CAN_VIEW", user=bob)
    assert granted.level_of("user", alice) == "CAN_QUERY"
    assert granted.level_of("user", bob) == "CAN_VIEW"
    revoked = client.revoke(name, user=alice)
    assert revoked.level_of("user", alice) is None
    assert revoked.level_of("user", bob) == "CAN_VIEW"
    assert revoked.level_of("group", "admins") == "CAN_MANAGE"  # inherited, untouched
    with pytest.raises(AclError, match="admins group's grant"):
        client.revoke(name, group="admins")
    client.delete(name)


def test_revoke_refuses_when_the_acl_changed_since_it_was_read(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("client-stale")
    client.create(name)
    carol = f"{unique('carol')}@example.com"
    dave = f"{unique('dave')}@example.com"
    workspace.add_user(carol)
    workspace.add_user(dave)
    client.grant(name, "CAN_QUERY", user=carol)
    shown = client.permissions(name)
    # Someone else changes the ACL after it was shown.
    with ServingClient(workspace.host, workspace.token) as other:
        other.grant(name, "CAN_VIEW", user=dave)
    with pytest.raises(StaleAclError):
        client.revoke(name, user=carol, expected_fingerprint=shown.fingerprint)
    after = client.permissions(name)
    assert after.level_of("user", carol) == "CAN_QUERY"
    assert after.level_of("user", dave) == "CAN_VIEW"
    client.delete(name)


def test_grant_refuses_too_when_the_acl_changed_since_it_was_shown(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    """One stale rule for PATCH and PUT alike: a grant reviewed against an older ACL is not sent."""
    name = unique("client-stale-patch")
    client.create(name)
    frank = f"{unique('frank')}@example.com"
    gina = f"{unique('gina')}@example.com"
    workspace.add_user(frank)
    workspace.add_user(gina)
    shown = client.permissions(name)
    with ServingClient(workspace.host, workspace.token) as other:
        other.grant(name, "CAN_MANAGE", user=frank)
    with pytest.raises(StaleAclError, match="nothing was sent"):
        client.grant(name, "CAN_VIEW", user=frank, expected_fingerprint=shown.fingerprint)
    with pytest.raises(StaleAclError):
        client.grant(name, "CAN_QUERY", user=gina, expected_fingerprint=shown.fingerprint)
    after = client.permissions(name)
    assert after.level_of("user", frank) == "CAN_MANAGE"
    assert after.level_of("user", gina) is None
    client.delete(name)


def test_a_plan_is_not_sent_once_someone_else_wrote_after_it_was_made(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    """apply_plan re-reads before sending, whatever the method: the other write survives."""
    name = unique("client-stale-plan")
    client.create(name)
    hank = f"{unique('hank')}@example.com"
    workspace.add_user(hank)
    current = client.permissions(name)
    patch = acl.plan_grant(current.grants, "user", hank, "CAN_QUERY")
    put = acl.plan_revoke(current.grants, "user", client.me().name)
    assert (patch.method, put.method) == ("PATCH", "PUT")
    with ServingClient(workspace.host, workspace.token) as other:
        other.grant(name, "CAN_VIEW", user=hank)
    for plan in (patch, put):
        with pytest.raises(StaleAclError):
            client.apply_plan(name, plan)
    after = client.permissions(name)
    assert after.level_of("user", hank) == "CAN_VIEW"
    assert after.fingerprint != current.fingerprint
    client.delete(name)


def test_a_plan_that_removes_the_last_direct_manager_carries_the_lockout(
    client: ServingClient,
) -> None:
    name = unique("client-lockout")
    client.create(name)
    me = client.me()
    plan = acl.plan_revoke(client.permissions(name).grants, me.kind, me.name, caller=me.key)
    assert len(plan.lockouts) == 2
    assert plan.lockouts[0].startswith("After this change no principal holds CAN_MANAGE")
    assert plan.lockouts[1].startswith(f"You (user {me.name}) hold CAN_MANAGE directly")
    assert set(plan.lockouts) <= set(plan.warnings)
    client.delete(name)


def test_me_names_the_caller_as_an_acl_does(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    email = f"{unique('ivy')}@example.com"
    user_token = workspace.add_user(email, display_name="Ivy Example")
    app_id, sp_token = workspace.add_service_principal(f"{unique('scorer')} bot")
    with workspace.client(user_token) as ivy, workspace.client(sp_token) as bot:
        assert ivy.me().key == ("user", email)
        assert ivy.me().display_name == "Ivy Example"
        assert bot.me().key == ("service_principal", app_id)
    created = client.create(unique("client-me"))
    direct = [g for g in client.permissions(created.name).grants if not g.inherited]
    assert [g.principal for g in direct] == [client.me().key]  # the creator, as the ACL names it
    client.delete(created.name)


def test_find_principals_searches_users_groups_and_service_principals(
    client: ServingClient, workspace: LocalWorkspace
) -> None:
    stem = unique("qz")
    user = f"{stem}.jules@example.com"
    workspace.add_user(user, display_name=f"Jules {stem}")
    workspace.add_group(f"{stem}-ops", [user])
    app_id, _token = workspace.add_service_principal(f"{stem} nightly")
    found = client.find_principals(stem.upper())
    assert [(p.kind, p.name, p.display_name) for p in found] == [
        ("user", user, f"Jules {stem}"),
        ("group", f"{stem}-ops", f"{stem}-ops"),
        ("service_principal", app_id, f"{stem} nightly"),
    ]
    assert client.find_principals('no" or userName co "') == []  # quoted, not injected
    assert [p.kind for p in client.find_principals(stem, limit=1)] == [
        "user",
        "group",
        "service_principal",
    ]
    frame = client.principals_df(stem)
    assert list(frame.columns) == ["kind", "name", "display_name"]
    assert str(frame["kind"].dtype) == "category"
    assert str(frame["name"].dtype) == "string"
    assert frame["name"].tolist() == [user, f"{stem}-ops", app_id]
    for query, rule in (
        ("  ", "must be a non-empty string"),
        ("x" * 201, "must have at most 200 characters"),
    ):
        with pytest.raises(ClientValidationError, match=f"query: {rule}"):
            client.find_principals(query)
    with pytest.raises(ClientValidationError, match="limit: must be an integer from 1 to 100"):
        client.find_principals(stem, limit=0)


def test_find_principals_raises_only_when_scim_answers_nothing(
    workspace: LocalWorkspace, api: Api
) -> None:
    assert api.delete(FAULTS).status_code == 200
    with workspace.client(retries=0) as no_retries:
        groups_down = {"method": "GET", "path": f"{SCIM}/Groups", "status": 503}
        assert api.post(FAULTS, json={"rules": [groups_down]}).status_code == 200
        try:
            partial = no_retries.find_principals("admin")
            assert "group" not in {p.kind for p in partial}
            all_down = {"method": "GET", "path": f"{SCIM}/*", "status": 503}
            assert api.post(FAULTS, json={"rules": [all_down]}).status_code == 200
            with pytest.raises(TemporarilyUnavailable):
                no_retries.find_principals("admin")
            with pytest.raises(TemporarilyUnavailable):
                no_retries.me()
        finally:
            assert api.delete(FAULTS).status_code == 200


def test_set_and_update_permissions(client: ServingClient, workspace: LocalWorkspace) -> None:
    name = unique("client-put")
    client.create(name)
    erin = f"{unique('erin')}@example.com"
    workspace.add_user(erin)
    patched = client.update_permissions(
        name, [{"user_name": erin, "permission_level": "CAN_MANAGE"}]
    )
    assert patched.level_of("user", erin) == "CAN_MANAGE"
    replaced = client.set_permissions(name, [])
    assert replaced.level_of("user", erin) is None
    assert replaced.level_of("group", "admins") == "CAN_MANAGE"
    client.delete(name)


def test_error_classes_carry_status_code_method_and_path(
    client: ServingClient, workspace: LocalWorkspace, ready: str
) -> None:
    missing = unique("missing")
    with pytest.raises(ResourceDoesNotExist) as not_found:
        client.get(missing)
    error = not_found.value
    assert isinstance(error, NotFound)
    assert (error.status, error.error_code, error.method) == (404, "RESOURCE_DOES_NOT_EXIST", "GET")
    assert error.path == f"/api/2.0/serving-endpoints/{missing}"
    with pytest.raises(ResourceAlreadyExists):
        client.create(ready)
    with pytest.raises(InvalidParameterValue, match="workload_size"):
        client.create(unique("bad"), [entity(workload_size="Huge")])
    stranger = ServingClient(workspace.host, workspace.add_user(f"{unique('x')}@example.com"))
    with pytest.raises(PermissionDenied, match="CAN_VIEW"):
        stranger.get(ready)
    name = unique("client-busy")
    client.create(name, [entity("slow", "1")])
    with pytest.raises(ResourceConflict, match="IN_PROGRESS"):
        client.update_config(name, [entity()])
    client.wait(name, timeout=120)
    client.delete(name)
    forged = ServingClient(workspace.host, "dapi" + "f" * 32)
    with pytest.raises(PermissionDenied, match="Invalid access token") as denied:
        forged.list()
    assert "dapi" not in str(denied.value) and "dapi" not in repr(denied.value)


def test_unauthenticated_without_a_token(workspace: LocalWorkspace) -> None:
    api = Api(workspace.host, None)
    assert api.get("/api/2.0/serving-endpoints").status_code == 401
    client = ServingClient(workspace.host, "dapi" + "0" * 32)
    client._transport.session.auth = None  # the request then goes out with no token at all
    with pytest.raises(Unauthenticated):
        client.list()


def test_retries_honour_retry_after_on_429_and_503(
    client: ServingClient, api: Api, ready: str
) -> None:
    path = f"/api/2.0/serving-endpoints/{ready}"
    api.post(
        "/__local/faults",
        json={
            "rules": [
                {"method": "GET", "path": path, "status": 429, "retry_after": 1, "times": 2},
            ]
        },
    ).raise_for_status()
    try:
        started = time.monotonic()
        assert client.get(ready).name == ready
        assert time.monotonic() - started >= 2.0  # waited Retry-After twice
        [rule] = api.get("/__local/faults").json()["rules"]
        assert rule["seen"] == 3
        api.delete("/__local/faults")
        api.post(
            "/__local/faults",
            json={
                "rules": [
                    {"method": "GET", "path": path, "status": 503, "retry_after": 0, "times": 1},
                ]
            },
        ).raise_for_status()
        assert client.get(ready).name == ready
    finally:
        api.delete("/__local/faults")


def test_when_retries_run_out_the_last_error_is_raised_whole(
    workspace: LocalWorkspace, api: Api, ready: str
) -> None:
    path = f"/api/2.0/serving-endpoints/{ready}"
    api.post(
        "/__local/faults",
        json={
            "rules": [
                {"method": "GET", "path": path, "status": 429, "retry_after": 7},
                {"method": "DELETE", "path": path, "status": 503, "retry_after": 0},
            ]
        },
    ).raise_for_status()
    try:
        impatient = ServingClient(workspace.host, workspace.token, retries=0)
        with pytest.raises(RateLimited) as limited:
            impatient.get(ready)
        assert limited.value.error_code == "REQUEST_LIMIT_EXCEEDED"
        assert limited.value.retry_after == 7
        brief = ServingClient(workspace.host, workspace.token, retries=RetryPolicy(attempts=3))
        with pytest.raises(TemporarilyUnavailable):
            brief.delete(ready)
    finally:
        api.delete("/__local/faults")
    assert settle(api, ready)["name"] == ready  # the refused DELETE changed nothing


def test_connection_failures_are_retried_then_reported(workspace: LocalWorkspace) -> None:
    from harness.lab import free_port

    client = ServingClient(
        f"http://127.0.0.1:{free_port()}",
        "dapi-not-sent",
        retries=RetryPolicy(attempts=2, backoff_s=0.01),
    )
    with pytest.raises(ConnectionFailed, match="connection refused") as failed:
        client.list()
    assert "dapi" not in str(failed.value)


@pytest.mark.parametrize(
    ("entities", "traffic"),
    [
        ([entity("ads1", "1"), entity("ads1", "2")], None),
        ([entity("ads1", "1"), entity("ads1", "2")], {"ads1-1": 50, "ads1-2": 40}),
        ([entity("ads1", "1"), entity("ads1", "2")], {"ads1-1": 50, "ads1-9": 50}),
        ([entity("ads1", "1"), entity("ads1", "2")], {"ads1-1": 150, "ads1-2": -50}),
        ([entity("ads1", "1", name="has.dot")], None),
    ],
)
def test_client_side_checks_say_what_the_server_says(
    client: ServingClient,
    api: Api,
    entities: list[dict[str, object]],
    traffic: dict[str, int] | None,
) -> None:
    name = unique("parity")
    with pytest.raises(ClientValidationError) as refused:
        client.create(name, entities, traffic=traffic)
    body: dict[str, object] = {"served_entities": entities}
    if traffic is not None:
        body["traffic_config"] = {
            "routes": [
                {"served_entity_name": k, "traffic_percentage": v} for k, v in traffic.items()
            ]
        }
    answer = api.post("/api/2.0/serving-endpoints", json={"name": name, "config": body})
    assert answer.status_code == 400
    assert str(refused.value) == answer.json()["message"]


def test_bad_endpoint_names_are_refused_before_sending(client: ServingClient) -> None:
    with pytest.raises(ClientValidationError, match="may only contain letters"):
        client.get("../admin")
    with pytest.raises(ClientValidationError, match="principal: give exactly one"):
        client.grant("x", "CAN_VIEW", user="a@b.c", group="g")


def test_the_token_never_shows(workspace: LocalWorkspace, client: ServingClient) -> None:
    assert workspace.token not in repr(client)
    assert workspace.token not in repr(client.connection)
    assert workspace.token not in str(client.connection)
    assert workspace.token not in repr(client._transport.session.auth)
    assert "Authorization" not in client._transport.session.headers


def test_api_errors_are_serving_errors(client: ServingClient) -> None:
    with pytest.raises(ApiError):
        client.get(unique("nope"))


def test_everything_the_client_raises_on_purpose_is_a_serving_error(
    client: ServingClient, ready: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`except ServingError` is enough; the ValueError base stays for code that catches it."""
    for variable in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.cfg"))
    with pytest.raises(ServingError) as no_config:
        ServingClient()
    with pytest.raises(ServingError) as admins:
        client.revoke(ready, group="admins")
    with pytest.raises(ServingError) as bad_metrics:
        parse_prometheus_text("not a metric line {")
    raised = [no_config.value, admins.value, bad_metrics.value]
    assert [type(e) for e in raised] == [
        ConfigurationError,
        AclError,
        MetricsParseError,
    ]
    assert isinstance(no_config.value, ValueError) and isinstance(bad_metrics.value, ValueError)
    assert issubclass(AclError, ServingError) and issubclass(AclError, ValueError)
    assert issubclass(StaleAclError, AclError)


class _EchoingProxy(BaseHTTPRequestHandler):
    """What a misbehaving proxy in front of a workspace may answer: a 200 sign-in page, or a
    400, each quoting the request's Authorization header back."""

    def do_GET(self) -> None:
        echoed = self.headers.get("Authorization", "")
        if self.path.startswith("/api/2.0/serving-endpoints/"):
            status, kind = 400, "application/json"
            body = json.dumps({"error_code": "BAD_REQUEST", "message": f"bad header {echoed}"})
        else:
            status, kind = 200, "text/html"
            body = f"<html><title>Sign in</title><!-- {echoed} --></html>"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_answers_that_are_not_what_the_api_promises_never_quote_the_token() -> None:
    """A 2xx that is not JSON is a ServingError naming the request; quoted answers have the
    auth header's values blanked, even when a proxy echoes them."""
    token = "dapi0123456789abcdef-secret"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}"
        with ServingClient(host, token, retries=0) as proxied:
            with pytest.raises(UnexpectedResponse) as not_json:
                proxied.list()
            with pytest.raises(
                UnexpectedResponse, match=rf"^GET {SCIM}/Me: HTTP 200 answer is not"
            ):
                proxied.me()
            with pytest.raises(BadRequest) as echoed:
                proxied.get("ads")
    finally:
        server.shutdown()
        server.server_close()
    message = str(not_json.value)
    assert message.startswith("GET /api/2.0/serving-endpoints: HTTP 200 answer is not JSON")
    assert "<html><title>Sign in" in message
    assert echoed.value.message == "bad header ***"
    for error in (not_json.value, echoed.value):
        assert token not in str(error)
        assert token not in repr(error)
        assert all(token not in str(arg) for arg in error.args)


def test_local_workspace_hands_out_clients(workspace: LocalWorkspace) -> None:
    email = f"{unique('handle')}@example.com"
    token = workspace.add_user(email)
    with workspace.client() as admin, workspace.client(token) as user:
        name = unique("handle")
        admin.create(name)
        with pytest.raises(PermissionDenied):
            user.get(name)
        admin.grant(name, "CAN_VIEW", user=email)
        assert user.get(name).permission_level == "CAN_VIEW"
        admin.delete(name)


def test_wait_reports_each_poll(client: ServingClient, capsys: pytest.CaptureFixture[str]) -> None:
    name = unique("client-progress")
    client.create(name, [entity("slow", "1")])
    seen: list[str] = []
    done = client.wait(
        name, timeout=120, poll_s=0.2, progress=True, on_poll=lambda e: seen.append(e.state)
    )
    assert seen[0] == "Not ready (updating)"
    assert seen[-1] == done.state == "Ready"
    assert f"waiting for {name}" in capsys.readouterr().err
    client.delete(name)


def test_query_returns_predictions_and_the_entity_that_answered(
    client: ServingClient, ready: str
) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    answer = client.query(ready, dataframe=frame)
    assert answer.predictions == [3.0, 5.0]
    assert answer.served_entity in {"ads1-1", "ads1-2"}
    targeted = client.query(ready, served_entity="ads1-2", dataframe_records=[{"x": 0.0}])
    assert targeted.served_entity == "ads1-2"
    assert targeted.predictions == [1.0]
    assert client.query(ready, {"inputs": {"x": [4.0]}}).predictions == [9.0]
    with pytest.raises(ClientValidationError, match="give an input"):
        client.query(ready)
    with pytest.raises(ApiError) as bad:
        client.query(ready, dataframe_records=[{"y": "not a number"}])
    assert bad.value.status == 400


EXPECTED_SCHEMAS = {
    "endpoints": {
        "name": "string",
        "state": "category",
        "ready": "category",
        "config_update": "category",
        "config_version": "Int64",
        "pending_version": "Int64",
        "entities": "string",
        "traffic": "string",
        "creator": "string",
        "permission_level": "category",
        "created": "datetime64[ns, UTC]",
        "updated": "datetime64[ns, UTC]",
        "id": "string",
    },
    "entities": {
        "endpoint": "string",
        "config": "category",
        "config_version": "Int64",
        "name": "string",
        "entity_name": "string",
        "entity_version": "string",
        "workload_size": "category",
        "workload_type": "category",
        "scale_to_zero": "boolean",
        "deployment_state": "category",
        "message": "string",
        "traffic_percentage": "Int64",
        "creator": "string",
        "created": "datetime64[ns, UTC]",
    },
    "routes": {
        "endpoint": "string",
        "config": "category",
        "config_version": "Int64",
        "served_entity_name": "string",
        "traffic_percentage": "Int64",
    },
    "permissions": {
        "endpoint": "string",
        "principal": "string",
        "kind": "category",
        "level": "category",
        "inherited": "boolean",
        "source": "string",
        "display_name": "string",
    },
    "logs": {
        "line": "Int64",
        "timestamp": "datetime64[ns, UTC]",
        "level": "category",
        "served_entity": "string",
        "message": "string",
        "continuation": "boolean",
    },
    "metrics": {
        "family": "string",
        "name": "string",
        "type": "category",
        "value": "float64",
        "labels": "object",
        "label_le": "string",
        "label_served_entity_name": "string",
        "label_served_model_name": "string",
    },
}


def test_every_dataframe_has_its_columns_and_dtypes(client: ServingClient, ready: str) -> None:
    client.query(ready, dataframe_records=[{"x": 1.0}])  # so the metrics have request series
    frames = {
        "endpoints": client.endpoints_df(detailed=True),
        "entities": client.entities_df(ready),
        "routes": client.routes_df(ready),
        "permissions": client.permissions_df(ready),
        "logs": client.logs_df(ready, "ads1-1", kind="build"),
        "metrics": client.metrics_df(ready),
    }
    for label, frame in frames.items():
        schema = {column: str(dtype) for column, dtype in frame.dtypes.items()}
        assert schema == EXPECTED_SCHEMAS[label], label
        assert len(frame) > 0, label
    ordered = {"endpoints": "permission_level", "permissions": "level", "logs": "level"}
    for label, column in ordered.items():
        assert frames[label][column].cat.ordered, (label, column)
    families = set(frames["metrics"]["family"])
    assert {"request_count_total", "request_latency_ms", "model_queue_time_ms"} <= families
    assert "served_entity_ready" not in families  # local-only before; the service has none
    assert not [family for family in families if family.endswith("_created")]
