"""Stop and start (`POST .../config:stop`, `.../config:start`): the stopped state, its model
servers, queries and updates while stopped, start as a new config version, and a restart. The
409 during an update is in `test_local_pacing.py`, where an update lasts long enough to see.

The routes are known from third-party notes only (wire-fidelity §8); databricks-sdk has no
method, so these go through ServingClient and raw HTTP."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from harness.api import Api, create_ready, entity, settle, unique
from harness.workspaces import start_workspace
from serving_panel import ServingClient
from serving_panel.errors import InvalidState, PermissionDenied
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
QUERY = {"dataframe_records": [{"x": 1.0}]}


def workers(api: Api, endpoint_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.get("/__local/workers").json()["workers"]
    return [w for w in listed if w["endpoint_id"] == endpoint_id]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def test_stop_then_start_through_the_client(workspace: LocalWorkspace, api: Api) -> None:
    name = unique("stoppable")
    created = create_ready(api, name, entity("ads1", "1"))
    assert created["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    [worker] = workers(api, created["id"])
    client = workspace.client()

    stopped = client.stop(name)

    assert (stopped.ready, stopped.config_update) == ("NOT_READY", "NOT_UPDATING")
    assert stopped.state == "Not ready (stopped)"
    assert stopped.config is not None and stopped.config.config_version == 1
    assert stopped.pending_config is None
    assert [e.deployment_state for e in stopped.config.served_entities] == ["DEPLOYMENT_ABORTED"]
    # Its model server is gone by the time the answer arrives.
    assert workers(api, created["id"]) == []
    assert not alive(worker["pid"])
    assert client.get(name).state == "Not ready (stopped)"
    listed = api.get(PREFIX).json()["endpoints"]
    [item] = [e for e in listed if e["name"] == name]
    assert item["state"] == {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}

    # Queries get the service's 400, for the endpoint and for one entity alike.
    message = error(
        api.post(f"/serving-endpoints/{name}/invocations", json=QUERY), 400, "INVALID_STATE"
    )
    assert "stopped" in message and "config:start" in message
    error(
        api.post(f"/serving-endpoints/{name}/served-models/ads1-1/invocations", json=QUERY),
        400,
        "INVALID_STATE",
    )
    # A config update does not start it by the way.
    with pytest.raises(InvalidState, match="is stopped"):
        client.update_config(name, [entity("ads1", "2")])
    # Stopping again changes nothing.
    again = client.stop(name)
    assert again.config is not None and again.config.config_version == 1
    assert again.state == "Not ready (stopped)"

    started = client.start(name)

    assert started.config_update == "IN_PROGRESS"
    assert started.pending_config is not None and started.pending_config.config_version == 2
    assert [e.entity_name for e in started.pending_config.served_entities] == ["ads1"]
    done = client.wait(name, until="ready", poll_s=0.1, timeout=120)
    assert done.config is not None and done.config.config_version == 2
    assert done.state == "Ready"
    assert [e.deployment_state for e in done.config.served_entities] == ["DEPLOYMENT_READY"]
    answer = api.post(f"/serving-endpoints/{name}/invocations", json=QUERY)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": [3.0]}
    [back] = workers(api, created["id"])
    assert back["config_version"] == 2 and back["state"] == "RUNNING"
    # The start built the entity again, in its own config version.
    logs = client.build_logs(name, "ads1-1", config_version=2)
    assert "build started" in logs
    # Starting a running endpoint changes nothing.
    assert client.start(name).config is not None
    assert client.get(name).config.config_version == 2  # type: ignore[union-attr]
    api.delete(f"{PREFIX}/{name}")


def test_stop_and_start_need_can_manage(workspace: LocalWorkspace, api: Api) -> None:
    name = unique("guarded-stop")
    create_ready(api, name, entity("ads1", "1"))
    email = f"{unique('querier')}@example.com"
    token = workspace.add_user(email)
    acl = {"access_control_list": [{"user_name": email, "permission_level": "CAN_QUERY"}]}
    endpoint_id = api.get(f"{PREFIX}/{name}").json()["id"]
    api.patch(f"/api/2.0/permissions/serving-endpoints/{endpoint_id}", json=acl).raise_for_status()
    querier = ServingClient(workspace.host, token)

    for action in (querier.stop, querier.start):
        with pytest.raises(PermissionDenied, match="CAN_MANAGE"):
            action(name)
    assert api.get(f"{PREFIX}/{name}").json()["state"]["ready"] == "READY"
    error(api.post(f"{PREFIX}/{unique('nowhere')}/config:stop"), 404, "RESOURCE_DOES_NOT_EXIST")
    api.delete(f"{PREFIX}/{name}")


def test_only_custom_model_endpoints_stop(api: Api) -> None:
    name = unique("external-stop")
    external = {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat"}
    api.post(
        PREFIX, json={"name": name, "config": {"served_entities": [{"external_model": external}]}}
    ).raise_for_status()
    settle(api, name)
    for action in ("stop", "start"):
        message = error(api.post(f"{PREFIX}/{name}/config:{action}"), 400, "INVALID_STATE")
        assert "external model" in message and "custom-model endpoints only" in message
    empty = unique("no-config")
    api.post(PREFIX, json={"name": empty}).raise_for_status()
    assert "no config" in error(api.post(f"{PREFIX}/{empty}/config:stop"), 400, "INVALID_STATE")
    api.delete(f"{PREFIX}/{name}")
    api.delete(f"{PREFIX}/{empty}")


def test_a_stopped_endpoint_stays_stopped_across_a_restart(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    data_dir = tmp_path / "ws"
    first = start_workspace(data_dir, demo_models)
    try:
        api = Api(first.host, first.token)
        created = create_ready(api, "parked", entity("ads1", "1"))
        api.post(f"{PREFIX}/parked/config:stop").raise_for_status()
    finally:
        first.stop()

    second = LocalWorkspace.start(data_dir=data_dir)
    try:
        api = Api(second.host, second.token)
        body = api.get(f"{PREFIX}/parked").json()
        assert body["state"] == {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}
        assert workers(api, created["id"]) == []
        error(api.post("/serving-endpoints/parked/invocations", json=QUERY), 400, "INVALID_STATE")

        started = api.post(f"{PREFIX}/parked/config:start")
        assert started.status_code == 200, started.text
        assert started.json()["pending_config"]["config_version"] == 2
        assert settle(api, "parked")["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
        answer = api.post("/serving-endpoints/parked/invocations", json=QUERY)
        assert answer.status_code == 200, answer.text
    finally:
        second.stop()


class _EmptyAnswers(BaseHTTPRequestHandler):
    """A service whose config:stop and config:start answer `{}` (their answer body is not
    documented): GET gives the endpoint, stopped."""

    paths: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self._answer({})

    def do_GET(self) -> None:
        state = {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}
        self._answer({"name": "far", "id": "f" * 32, "state": state})

    def _answer(self, body: dict[str, Any]) -> None:
        self.paths.append(f"{self.command} {self.path}")
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_client_reads_the_endpoint_when_the_answer_is_not_it() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyAnswers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with ServingClient(f"http://127.0.0.1:{server.server_address[1]}", "dapi-x") as client:
            stopped = client.stop("far")
            client.start("far")
    finally:
        server.shutdown()
        server.server_close()
    assert stopped.name == "far" and stopped.state == "Not ready (stopped)"
    assert _EmptyAnswers.paths == [
        f"POST {PREFIX}/far/config:stop",
        f"GET {PREFIX}/far",
        f"POST {PREFIX}/far/config:start",
        f"GET {PREFIX}/far",
    ]
