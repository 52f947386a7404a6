"""The local workspace keeps its promises under restarts, crashes and concurrent load."""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path

import requests

from harness.api import Api, entity, settle, unique, wait_for
from harness.workspaces import start_workspace
from serving_panel.local.handle import LocalWorkspace


def test_a_stop_and_start_keeps_endpoints_acls_tokens_and_logs(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    data_dir = tmp_path / "ws"
    first = start_workspace(data_dir, demo_models)
    try:
        admin = Api(first.host, first.token)
        user_token = first.add_user("keeper@example.com")
        created = admin.post(
            "/api/2.0/serving-endpoints",
            json={"name": "kept", "config": {"served_entities": [entity()]}},
        ).json()
        settle(admin, "kept")
        admin.patch(
            f"/api/2.0/permissions/serving-endpoints/{created['id']}",
            json={
                "access_control_list": [
                    {"user_name": "keeper@example.com", "permission_level": "CAN_QUERY"}
                ]
            },
        ).raise_for_status()
        before = admin.get("/api/2.0/serving-endpoints/kept").json()
        logs_before = admin.get(
            "/api/2.0/serving-endpoints/kept/served-models/ads1-1/build-logs"
        ).json()
    finally:
        first.stop()
    assert data_dir.is_dir()

    second = LocalWorkspace.start(data_dir=data_dir)
    try:
        assert second.token == first.token
        admin = Api(second.host, second.token)

        def served_again() -> bool:
            body = admin.get("/api/2.0/serving-endpoints/kept").json()
            entity_state = body["config"]["served_entities"][0]["state"]["deployment"]
            # RECOVERING while its model server comes back after the restart, then READY.
            assert entity_state in {"DEPLOYMENT_RECOVERING", "DEPLOYMENT_READY"}
            return bool(entity_state == "DEPLOYMENT_READY")

        wait_for(served_again, what="the model server to come back")
        assert admin.get("/api/2.0/serving-endpoints/kept").json() == before
        user = admin.as_user(user_token)
        assert user.get("/api/2.0/serving-endpoints/kept").json()["permission_level"] == "CAN_QUERY"
        logs = admin.get("/api/2.0/serving-endpoints/kept/served-models/ads1-1/build-logs").json()
        assert logs == logs_before
        assert second.register_model("ads1", demo_models["regressor"]).version == 3
    finally:
        second.stop()


def test_kill_9_during_an_update_then_restart_leaves_nothing_stuck(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    data_dir = tmp_path / "ws"
    first = start_workspace(data_dir, demo_models)
    admin = Api(first.host, first.token)
    admin.post(
        "/api/2.0/serving-endpoints",
        json={"name": "crashy", "config": {"served_entities": [entity()]}},
    ).raise_for_status()
    settle(admin, "crashy")
    update = admin.put(
        "/api/2.0/serving-endpoints/crashy/config",
        json={"served_entities": [entity("slow", "1")]},
    )
    assert update.status_code == 200
    assert (
        admin.get("/api/2.0/serving-endpoints/crashy").json()["state"]["config_update"]
        == "IN_PROGRESS"
    )
    first.kill()

    second = LocalWorkspace.start(data_dir=data_dir, env={"SERVING_PANEL_DEMO_SLOW_SECONDS": "1"})
    try:
        admin = Api(second.host, second.token)
        body = settle(admin, "crashy")
        assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
        assert body["config"]["config_version"] == 2
        assert [e["entity_name"] for e in body["config"]["served_entities"]] == ["slow"]
        logs = admin.get("/api/2.0/serving-endpoints/crashy/served-models/slow-1/build-logs").json()
        assert "the workspace restarted during this build; building again" in logs["logs"]
        assert "build finished" in logs["logs"]
    finally:
        second.stop()


def _direct_grants(api: Api, endpoint_id: str, prefix: str) -> dict[str, str]:
    """The direct levels of the test's own users on an endpoint, as the API reports them."""
    body = api.get(f"/api/2.0/permissions/serving-endpoints/{endpoint_id}").json()
    grants = {}
    for entry in body.get("access_control_list", []):
        name = entry.get("user_name", "")
        for permission in entry.get("all_permissions", []):
            if name.startswith(prefix) and not permission.get("inherited"):
                grants[name] = permission["permission_level"]
    return grants


def test_concurrent_clients_get_no_5xx_and_leave_a_consistent_store(
    api: Api, workspace: LocalWorkspace
) -> None:
    """32 clients create, update, grant, revoke, poll, query and delete at once; bounded in
    count and time. No 5xx; afterwards every endpoint is whole, and on the endpoints only one
    client wrote to, every permission write that answered 200 is still there."""
    clients = 32
    rounds = 5
    prefix = unique("stress")
    users = [f"{prefix}-u{n}@example.com" for n in range(4)]
    for user in users:
        workspace.add_user(user)
    queried = f"{prefix}-queried"
    api.post(
        "/api/2.0/serving-endpoints",
        json={"name": queried, "config": {"served_entities": [entity()]}},
    ).raise_for_status()
    settle(api, queried)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lost: list[str] = []
    lock = threading.Lock()

    def record(response: requests.Response) -> requests.Response:
        with lock:
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{response.request.method} {response.url}: {response.text}")
        return response

    def worker(index: int) -> None:
        rng = random.Random(index)
        session_api = Api(api.host, api.token)
        own = f"{prefix}-{index}"
        shared = f"{prefix}-shared"
        own_id: str | None = None
        expected: dict[str, str] = {}
        for round_number in range(rounds):
            target = shared if rng.random() < 0.5 else own
            created = record(
                session_api.post(
                    "/api/2.0/serving-endpoints",
                    json={"name": target, "config": {"served_entities": [entity()]}},
                )
            )
            if target == own and created.status_code == 200:
                own_id, expected = created.json()["id"], {}
            got = record(session_api.get(f"/api/2.0/serving-endpoints/{target}"))
            record(
                session_api.put(
                    f"/api/2.0/serving-endpoints/{target}/config",
                    json={"served_entities": [entity("ads1", str(1 + round_number % 2))]},
                )
            )
            record(
                session_api.patch(
                    f"/api/2.0/serving-endpoints/{target}/tags",
                    json={"add_tags": [{"key": f"k{index}", "value": str(round_number)}]},
                )
            )
            if got.status_code == 200:
                user = rng.choice(users)
                level = rng.choice(["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"])
                grant = {"access_control_list": [{"user_name": user, "permission_level": level}]}
                path = f"/api/2.0/permissions/serving-endpoints/{got.json()['id']}"
                replace = rng.random() < 0.3
                written = record(
                    session_api.put(path, json=grant)
                    if replace
                    else session_api.patch(path, json=grant)
                )
                if target == own and written.status_code == 200:
                    expected = {user: level} if replace else {**expected, user: level}
                    if own_id is not None:
                        seen = _direct_grants(session_api, own_id, prefix)
                        if seen != expected:
                            with lock:
                                lost.append(f"{own}: wrote {expected}, read {seen}")
            answer = record(
                session_api.post(
                    f"/serving-endpoints/{queried}/invocations",
                    json={"dataframe_records": [{"x": float(round_number)}]},
                )
            )
            assert answer.status_code in {200, 429}, answer.text
            record(session_api.get("/api/2.0/serving-endpoints"))
            if rng.random() < 0.3:
                deleted = record(session_api.delete(f"/api/2.0/serving-endpoints/{target}"))
                if target == own and deleted.status_code == 200:
                    own_id, expected = None, {}
        if own_id is not None:
            final = _direct_grants(session_api, own_id, prefix)
            if final != expected:
                with lock:
                    lost.append(f"{own} at the end: wrote {expected}, read {final}")

    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            worker(index)
        except BaseException as error:  # reported by the main thread
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert failures == []
    assert lost == []
    assert set(statuses) <= {200, 404, 409, 429}, statuses

    # Consistent store: every remaining endpoint settles to a state with its config intact,
    # is listed once, and answers GET and permissions.
    listed = [
        e["name"]
        for e in api.get("/api/2.0/serving-endpoints").json()["endpoints"]
        if e["name"].startswith(prefix)
    ]
    assert len(listed) == len(set(listed))
    for name in listed:
        body = settle(api, name)
        assert body["state"]["config_update"] in {"NOT_UPDATING", "UPDATE_FAILED"}
        assert body["config"]["served_entities"][0]["entity_name"] == "ads1"
        acl = api.get(f"/api/2.0/permissions/serving-endpoints/{body['id']}")
        assert acl.status_code == 200
        api.delete(f"/api/2.0/serving-endpoints/{name}")
