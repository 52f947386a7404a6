"""A check and the write it guards happen together, after the body is read (issue 10,
finding 10).

Each test sends a request's headers on a raw socket, holds its body back, changes the world
with another client (a revoke, a delete, a delete and re-create) and waits for that change's
200, then sends the body. The workspace starts the held request's handler, and so its access
check, when the headers arrive: its event loop runs that handler before it has even read the
other client's request. So the change lands between the check at the door and the write, which
is where the write must see it.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.api import Api, entity, settle, unique
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
PERMISSIONS = "/api/2.0/permissions/serving-endpoints"


class HeldBody:
    """A request whose headers go out now and whose body goes out on `finish()`."""

    def __init__(self, host: str, token: str, method: str, path: str, body: Any) -> None:
        url = urlsplit(host)
        self.body = json.dumps(body).encode()
        self.sock = socket.create_connection((url.hostname, url.port or 80), timeout=30)
        head = (
            f"{method} {path} HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(self.body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.sock.sendall(head.encode())

    def finish(self) -> tuple[int, dict[str, Any]]:
        try:
            self.sock.sendall(self.body)
            response = http.client.HTTPResponse(self.sock)
            response.begin()
            return response.status, json.loads(response.read())
        finally:
            self.sock.close()


@dataclass(frozen=True)
class Setup:
    admin: Api
    manager: Api
    manager_email: str
    name: str
    endpoint_id: str

    def held(self, api: Api, method: str, path: str, body: Any) -> HeldBody:
        assert api.token is not None
        return HeldBody(api.host, api.token, method, path, body)

    def acl(self) -> list[dict[str, Any]]:
        response = self.admin.get(f"{PERMISSIONS}/{self.endpoint_id}")
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()["access_control_list"]
        return entries


@pytest.fixture
def setup(workspace: LocalWorkspace, api: Api) -> Iterator[Setup]:
    """An endpoint with no config (nothing to build) that a user manages by a direct grant."""
    email = f"{unique('manager')}@example.com"
    manager = api.as_user(workspace.add_user(email))
    name = unique("race")
    created = api.post(PREFIX, json={"name": name})
    assert created.status_code == 200, created.text
    endpoint_id = created.json()["id"]
    granted = api.patch(
        f"{PERMISSIONS}/{endpoint_id}",
        json={"access_control_list": [{"user_name": email, "permission_level": "CAN_MANAGE"}]},
    )
    assert granted.status_code == 200, granted.text
    yield Setup(api, manager, email, name, endpoint_id)
    api.delete(f"{PREFIX}/{name}")


def direct_grant(acl: list[dict[str, Any]], email: str) -> list[Any]:
    return [
        p["permission_level"]
        for entry in acl
        if entry.get("user_name") == email
        for p in entry["all_permissions"]
        if not p["inherited"]
    ]


def test_a_manager_revoked_while_their_patch_body_is_in_flight_is_refused(setup: Setup) -> None:
    regrant = {
        "access_control_list": [
            {"user_name": setup.manager_email, "permission_level": "CAN_MANAGE"}
        ]
    }
    held = setup.held(setup.manager, "PATCH", f"{PERMISSIONS}/{setup.endpoint_id}", regrant)
    revoked = setup.admin.put(f"{PERMISSIONS}/{setup.endpoint_id}", json={})
    assert revoked.status_code == 200, revoked.text
    assert direct_grant(setup.acl(), setup.manager_email) == []
    before = setup.acl()

    status, body = held.finish()

    assert status == 403, body
    assert body["error_code"] == "PERMISSION_DENIED"
    assert setup.manager_email in body["message"]
    assert setup.acl() == before


def test_a_revoked_manager_cannot_finish_a_tags_patch_either(setup: Setup) -> None:
    held = setup.held(
        setup.manager, "PATCH", f"{PREFIX}/{setup.name}/tags", {"add_tags": [{"key": "late"}]}
    )
    assert setup.admin.put(f"{PERMISSIONS}/{setup.endpoint_id}", json={}).status_code == 200

    status, body = held.finish()

    assert status == 403, body
    assert "tags" not in setup.admin.get(f"{PREFIX}/{setup.name}").json()


def test_a_config_put_to_an_endpoint_deleted_and_recreated_meanwhile_is_a_404(
    setup: Setup,
) -> None:
    config = {"served_entities": [entity("ads1", "1")]}
    held = setup.held(setup.manager, "PUT", f"{PREFIX}/{setup.name}/config", config)
    assert setup.admin.delete(f"{PREFIX}/{setup.name}").status_code == 200
    recreated = setup.admin.post(PREFIX, json={"name": setup.name})
    assert recreated.status_code == 200, recreated.text

    status, body = held.finish()

    assert status == 404, body
    assert body == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": f"Endpoint with name '{setup.name}' does not exist.",
    }
    after = setup.admin.get(f"{PREFIX}/{setup.name}").json()
    assert after["id"] == recreated.json()["id"]
    assert "pending_config" not in after and "config" not in after
    assert after["state"]["config_update"] == "NOT_UPDATING"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_permissions_write_racing_a_delete_is_a_404(setup: Setup, method: str) -> None:
    grant = {"user_name": setup.manager_email, "permission_level": "CAN_VIEW"}
    acl = {"access_control_list": [grant]}
    held = setup.held(setup.admin, method, f"{PERMISSIONS}/{setup.endpoint_id}", acl)
    assert setup.admin.delete(f"{PREFIX}/{setup.name}").status_code == 200

    status, body = held.finish()

    assert status == 404, body
    assert body == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": f"Serving endpoint with id '{setup.endpoint_id}' does not exist.",
    }
    gone = setup.admin.get(f"{PERMISSIONS}/{setup.endpoint_id}")
    assert gone.status_code == 404


def test_a_tags_patch_racing_a_delete_is_a_404(setup: Setup) -> None:
    held = setup.held(setup.admin, "PATCH", f"{PREFIX}/{setup.name}/tags", {"add_tags": []})
    assert setup.admin.delete(f"{PREFIX}/{setup.name}").status_code == 200

    status, body = held.finish()

    assert status == 404, body
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_a_query_racing_a_delete_is_a_404(api: Api) -> None:
    name = unique("external")
    external = {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat"}
    created = api.post(
        PREFIX,
        json={"name": name, "config": {"served_entities": [{"external_model": external}]}},
    )
    assert created.status_code == 200, created.text
    settle(api, name)
    assert api.token is not None
    held = HeldBody(api.host, api.token, "POST", f"/serving-endpoints/{name}/invocations", {})
    assert api.delete(f"{PREFIX}/{name}").status_code == 200

    status, body = held.finish()

    assert status == 404, body
    assert body == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": f"Endpoint with name '{name}' does not exist.",
    }


def test_a_query_whose_can_query_is_revoked_while_its_body_is_in_flight_is_refused(
    workspace: LocalWorkspace, api: Api
) -> None:
    name = unique("queried")
    external = {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat"}
    created = api.post(
        PREFIX,
        json={"name": name, "config": {"served_entities": [{"external_model": external}]}},
    )
    assert created.status_code == 200, created.text
    email = f"{unique('querier')}@example.com"
    token = workspace.add_user(email)
    acl_path = f"{PERMISSIONS}/{created.json()['id']}"
    granted = {"access_control_list": [{"user_name": email, "permission_level": "CAN_QUERY"}]}
    assert api.patch(acl_path, json=granted).status_code == 200
    held = HeldBody(api.host, token, "POST", f"/serving-endpoints/{name}/invocations", {})
    assert api.put(acl_path, json={"access_control_list": []}).status_code == 200

    status, body = held.finish()

    assert status == 403, body
    assert body["error_code"] == "PERMISSION_DENIED"
    assert "CAN_QUERY" in body["message"]
