"""ServingClient's permission writes under concurrency, over real HTTP against the local
workspace: threads sharing one client lose nothing (with and without injected latency); a
write another process undoes is retried, or reported; the lock-out guard; a revoke that would
do nothing says so; and a name whose endpoint was deleted and re-created by someone else.

Another process's write is staged deterministically by a small forwarding proxy between the
client and the workspace: it forwards the client's PUT, then sends the other writer's request
straight to the workspace before the client gets its answer, so it lands between the client's
write and its read-back every time, whatever the machine's load."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from harness.api import Api, unique
from serving_panel import ServingClient, acl
from serving_panel._acl_writes import WRITE_ATTEMPTS
from serving_panel.acl import (
    AclRaceWarning,
    AclWriteLostError,
    LockoutError,
    NotGrantedError,
    StaleAclError,
)
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace

FAULTS = "/__local/faults"
PERMISSIONS = "/api/2.0/permissions/serving-endpoints"
THREADS = 8


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with ServingClient(workspace.host, workspace.token) as serving:
        yield serving


@pytest.fixture
def endpoint(client: ServingClient) -> Iterator[str]:
    """A config-less endpoint (permissions need no model); the admin client is its creator."""
    name = unique("acl-writes")
    client.create(name)
    yield name
    client.delete(name)


@pytest.fixture(scope="module")
def users(workspace: LocalWorkspace) -> list[str]:
    """Eight users the threads grant and revoke."""
    emails = [f"{unique(f'u{i}')}@example.com" for i in range(THREADS)]
    for email in emails:
        workspace.add_user(email)
    return emails


@pytest.fixture(params=[0, 400], ids=["no-latency", "latency-400ms"])
def latency(request: pytest.FixtureRequest, api: Api) -> Iterator[int]:
    """The workspace's injected latency on every API request, cleared afterwards."""
    latency_ms: int = request.param
    api.post(FAULTS, json={"latency_ms": latency_ms}).raise_for_status()
    try:
        yield latency_ms
    finally:
        api.delete(FAULTS).raise_for_status()


def direct(client: ServingClient, name: str) -> dict[acl.PrincipalKey, str]:
    return acl.direct_acl(client.permissions(name).grants)


def all_at_once(calls: list[Callable[[], object]]) -> list[BaseException]:
    """Runs each call in its own thread, released together; returns what they raised."""
    barrier = threading.Barrier(len(calls))
    failures: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as error:  # every failure counts, not only ours
            failures.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def grant_all(client: ServingClient, name: str, emails: list[str], level: str) -> None:
    client.update_permissions(
        name, [{"user_name": email, "permission_level": level} for email in emails]
    )


# Threads sharing one client ---------------------------------------------------------------


def test_eight_threads_revoking_eight_users_lose_nothing(
    client: ServingClient, endpoint: str, users: list[str], api: Api, latency: int
) -> None:
    grant_all(client, endpoint, users, "CAN_QUERY")
    failures = all_at_once([partial(client.revoke, endpoint, user=email) for email in users])
    assert failures == []
    still = [email for email in users if ("user", email) in direct(client, endpoint)]
    assert still == []
    assert direct(client, endpoint) == {client.me().key: "CAN_MANAGE"}


def test_eight_threads_granting_eight_users_all_hold(
    client: ServingClient, endpoint: str, users: list[str], latency: int
) -> None:
    failures = all_at_once(
        [partial(client.grant, endpoint, "CAN_VIEW", user=email) for email in users]
    )
    assert failures == []
    assert direct(client, endpoint) == {
        client.me().key: "CAN_MANAGE",
        **{("user", email): "CAN_VIEW" for email in users},
    }


def test_grants_and_revokes_mixed_on_one_client_all_hold(
    client: ServingClient, endpoint: str, users: list[str], latency: int
) -> None:
    revoked, granted = users[:4], users[4:]
    grant_all(client, endpoint, revoked, "CAN_QUERY")
    calls: list[Callable[[], object]] = []
    for gone, added in zip(revoked, granted, strict=True):
        calls.append(partial(client.revoke, endpoint, user=gone))
        calls.append(partial(client.grant, endpoint, "CAN_QUERY", user=added))
    failures = all_at_once(calls)
    assert failures == []
    assert direct(client, endpoint) == {
        client.me().key: "CAN_MANAGE",
        **{("user", email): "CAN_QUERY" for email in granted},
    }


# Another process's write, staged between ours and our read-back ---------------------------


class Interposer:
    """A forwarding proxy to the workspace that runs `after_write` (the other process's move)
    once a permissions PUT or PATCH from the client has been applied, before answering it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.after_write: Callable[[], None] | None = None
        self.writes = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    key: value
                    for key, value in self.headers.items()
                    if key.lower() in ("authorization", "content-type", "accept")
                }
                answer = requests.request(
                    self.command, proxy.upstream + self.path, data=body, headers=headers, timeout=60
                )
                if self.command in ("PUT", "PATCH") and self.path.startswith(PERMISSIONS):
                    proxy.writes += 1
                    if proxy.after_write is not None:
                        proxy.after_write()
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:
                self.forward()

            def do_PUT(self) -> None:
                self.forward()

            def do_PATCH(self) -> None:
                self.forward()

            def do_POST(self) -> None:
                self.forward()

            def do_DELETE(self) -> None:
                self.forward()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def interposer(workspace: LocalWorkspace) -> Iterator[Interposer]:
    proxy = Interposer(workspace.host)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()


def put_direct(api: Api, endpoint_id: str, direct_acl: dict[acl.PrincipalKey, str]) -> None:
    """The other process: a PUT of a direct ACL it read earlier."""
    keys = {
        "user": "user_name",
        "group": "group_name",
        "service_principal": "service_principal_name",
    }
    body = [
        {keys[kind]: name, "permission_level": level}
        for (kind, name), level in direct_acl.items()
        if (kind, name) != acl.ADMINS
    ]
    api.put(f"{PERMISSIONS}/{endpoint_id}", json={"access_control_list": body}).raise_for_status()


def staged(
    workspace: LocalWorkspace, interposer: Interposer, action: Callable[[], None], times: int
) -> ServingClient:
    """A client through the interposer whose next `times` writes are each followed by
    `action`, the other process's write."""
    left = [times]

    def after_write() -> None:
        if left[0] > 0:
            left[0] -= 1
            action()

    interposer.after_write = after_write
    return ServingClient(interposer.host, workspace.token)


def test_a_revoke_another_process_undoes_is_sent_again(
    client: ServingClient,
    endpoint: str,
    users: list[str],
    api: Api,
    workspace: LocalWorkspace,
    interposer: Interposer,
) -> None:
    target = users[0]
    grant_all(client, endpoint, [target], "CAN_QUERY")
    older = direct(client, endpoint)  # what the other process read, target included
    endpoint_id = client.endpoint_id(endpoint)
    action = partial(put_direct, api, endpoint_id, older)
    with staged(workspace, interposer, action, times=1) as ours:
        ours.revoke(endpoint, user=target)
    assert interposer.writes == 2  # undone once, sent again
    assert ("user", target) not in direct(client, endpoint)


def test_a_grant_another_process_undoes_is_sent_again(
    client: ServingClient,
    endpoint: str,
    users: list[str],
    api: Api,
    workspace: LocalWorkspace,
    interposer: Interposer,
) -> None:
    target = users[5]
    older = direct(client, endpoint)  # read before the grant: a PUT of it removes the grant
    endpoint_id = client.endpoint_id(endpoint)
    action = partial(put_direct, api, endpoint_id, older)
    with staged(workspace, interposer, action, times=1) as ours:
        ours.grant(endpoint, "CAN_QUERY", user=target)
    assert interposer.writes == 2
    assert direct(client, endpoint)[("user", target)] == "CAN_QUERY"


def test_a_revoke_undone_every_time_is_reported_not_claimed(
    client: ServingClient,
    endpoint: str,
    users: list[str],
    api: Api,
    workspace: LocalWorkspace,
    interposer: Interposer,
) -> None:
    target = users[1]
    grant_all(client, endpoint, [target], "CAN_QUERY")
    older = direct(client, endpoint)
    endpoint_id = client.endpoint_id(endpoint)
    action = partial(put_direct, api, endpoint_id, older)
    lost = pytest.raises(AclWriteLostError, match=f"user {target} is back to CAN_QUERY")
    with staged(workspace, interposer, action, times=WRITE_ATTEMPTS) as ours, lost:
        ours.revoke(endpoint, user=target)
    assert interposer.writes == WRITE_ATTEMPTS


def test_a_reviewed_revoke_that_is_undone_is_not_planned_again(
    client: ServingClient,
    endpoint: str,
    users: list[str],
    api: Api,
    workspace: LocalWorkspace,
    interposer: Interposer,
) -> None:
    target = users[2]
    grant_all(client, endpoint, [target], "CAN_QUERY")
    shown = client.permissions(endpoint)
    older = acl.direct_acl(shown.grants)
    endpoint_id = client.endpoint_id(endpoint)
    action = partial(put_direct, api, endpoint_id, older)
    with staged(workspace, interposer, action, times=1) as ours:
        with pytest.raises(AclWriteLostError, match="reviewed change is not planned again"):
            ours.revoke(endpoint, user=target, expected_fingerprint=shown.fingerprint)
        assert interposer.writes == 1
        plan = acl.plan_revoke(shown, "user", target)
        interposer.after_write = partial(put_direct, api, endpoint_id, older)
        with pytest.raises(AclWriteLostError):
            ours.apply_plan(endpoint, plan, expected_fingerprint=shown.fingerprint)
    assert interposer.writes == 2
    assert direct(client, endpoint)[("user", target)] == "CAN_QUERY"


def test_a_principal_another_writer_removed_meanwhile_is_named(
    client: ServingClient,
    endpoint: str,
    users: list[str],
    api: Api,
    workspace: LocalWorkspace,
    interposer: Interposer,
) -> None:
    ours_target, theirs = users[3], users[4]
    grant_all(client, endpoint, [ours_target, theirs], "CAN_QUERY")
    endpoint_id = client.endpoint_id(endpoint)
    remaining = {client.me().key: "CAN_MANAGE"}
    action = partial(put_direct, api, endpoint_id, remaining)
    with (
        staged(workspace, interposer, action, times=1) as ours,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        ours.revoke(endpoint, user=ours_target)
    races = [str(w.message) for w in caught if issubclass(w.category, AclRaceWarning)]
    assert len(races) == 1
    assert f"user {theirs} (had CAN_QUERY, now no direct grant)" in races[0]
    assert ours_target not in races[0]
    assert direct(client, endpoint) == remaining


# The lock-out guard ----------------------------------------------------------------------


def test_revoking_your_own_can_manage_needs_force(
    client: ServingClient, endpoint: str, users: list[str]
) -> None:
    me = client.me()
    other_manager = users[5]
    client.grant(endpoint, "CAN_MANAGE", user=other_manager)
    before = client.permissions(endpoint).fingerprint
    with pytest.raises(LockoutError) as refused:
        client.revoke(endpoint, user=me.name)
    assert f"user {me.name}" in str(refused.value)
    assert "hold CAN_MANAGE directly and this plan removes it" in str(refused.value)
    assert "nothing was sent" in str(refused.value)
    with pytest.raises(LockoutError, match="lowers it to CAN_VIEW"):
        client.grant(endpoint, "CAN_VIEW", user=me.name)
    planned_without_caller = acl.plan_revoke(client.permissions(endpoint), me.kind, me.name)
    assert planned_without_caller.lockouts == ()  # another principal manages it directly
    with pytest.raises(LockoutError, match=f"You \\(user {me.name}\\) hold CAN_MANAGE"):
        client.apply_plan(endpoint, planned_without_caller)
    assert client.permissions(endpoint).fingerprint == before
    client.revoke(endpoint, user=me.name, force=True)
    assert direct(client, endpoint) == {("user", other_manager): "CAN_MANAGE"}


def test_revoking_the_last_direct_manager_needs_force(
    client: ServingClient, endpoint: str, users: list[str]
) -> None:
    me = client.me()
    last = users[6]
    client.grant(endpoint, "CAN_MANAGE", user=last)
    client.revoke(endpoint, user=me.name, force=True)
    with pytest.raises(LockoutError) as refused:
        client.revoke(endpoint, user=last)
    assert f"user {last}" in str(refused.value)
    assert "no principal holds CAN_MANAGE directly" in str(refused.value)
    plan = acl.plan_revoke(client.permissions(endpoint), "user", last)
    with pytest.raises(LockoutError):
        client.apply_plan(endpoint, plan)
    assert direct(client, endpoint) == {("user", last): "CAN_MANAGE"}
    client.apply_plan(endpoint, plan, force=True)
    assert direct(client, endpoint) == {}


def test_a_stale_plan_is_refused_as_stale_before_its_lockouts_are_weighed(
    client: ServingClient, endpoint: str, users: list[str]
) -> None:
    me = client.me()
    shown = client.permissions(endpoint)
    plan = acl.plan_revoke(shown, me.kind, me.name, caller=me.key)
    assert plan.lockouts
    client.grant(endpoint, "CAN_VIEW", user=users[7])
    with pytest.raises(StaleAclError):
        client.apply_plan(endpoint, plan, expected_fingerprint=shown.fingerprint, force=True)


# A revoke that would do nothing ----------------------------------------------------------


def test_revoking_a_principal_without_a_direct_grant_says_so(
    client: ServingClient, endpoint: str, users: list[str]
) -> None:
    granted = users[0]
    client.grant(endpoint, "CAN_QUERY", user=granted)
    before = client.permissions(endpoint).fingerprint
    typo = granted.replace("@example.com", "@exmaple.com")
    with pytest.raises(NotGrantedError) as refused:
        client.revoke(endpoint, user=typo)
    message = str(refused.value)
    assert f"user {typo} has no direct permission on this endpoint, and inherits none" in message
    assert "nothing was sent" in message
    assert f"Did you mean {granted}?" in message
    assert client.permissions(endpoint).fingerprint == before
    client.revoke(endpoint, user=granted)
    with pytest.raises(NotGrantedError, match=f"user {granted} has no direct permission"):
        client.revoke(endpoint, user=granted)  # revoked already: said, not silently "done"
    with pytest.raises(NotGrantedError):
        client.revoke(endpoint, group="nobody-has-this-group")


# Names whose endpoint was deleted and re-created -----------------------------------------


def test_a_name_re_created_by_another_client_resolves_to_the_new_endpoint(
    client: ServingClient, workspace: LocalWorkspace, users: list[str]
) -> None:
    name = unique("acl-recreated")
    with ServingClient(workspace.host, workspace.token) as ours:
        old = ours.create(name)
        assert ours.permissions(name).endpoint_id == old.id  # the id is now cached
        client.delete(name)
        new = client.create(name)
        assert new.id != old.id
        assert ours.permissions(name).endpoint_id == new.id
        assert [level.permission_level for level in ours.permission_levels(name)][-1] == (
            "CAN_MANAGE"
        )
        ours.grant(name, "CAN_QUERY", user=users[1])
        assert direct(client, name)[("user", users[1])] == "CAN_QUERY"
        client.delete(name)
        client.create(name)
        ours.revoke(name, user=client.me().name, force=True)
        assert direct(client, name) == {}
        client.delete(name)
        with pytest.raises(ResourceDoesNotExist):
            ours.permissions(name)
