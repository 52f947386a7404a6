"""Queries see every change to who may query what on the very next request, although the
server remembers its identity and endpoint lookups between changes (`Store._remembered`): a
token revoked from the caller's process, a CAN_QUERY taken away, an endpoint deleted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from harness.api import Api, create_ready, entity, unique
from serving_panel.local.handle import LocalWorkspace

BODY = {"dataframe_records": [{"x": 1.0}]}


@dataclass
class Querier:
    email: str
    token: str
    api: Api


@pytest.fixture(scope="module")
def endpoint(workspace: LocalWorkspace) -> Iterator[dict[str, object]]:
    admin = Api(workspace.host, workspace.token)
    body = create_ready(admin, unique("fresh"), entity())
    assert body["state"]["ready"] == "READY", body
    yield body
    admin.delete(f"/api/2.0/serving-endpoints/{body['name']}")


@pytest.fixture
def querier(workspace: LocalWorkspace, api: Api, endpoint: dict[str, object]) -> Querier:
    """A new user holding CAN_QUERY on the endpoint, whose query has just succeeded (so the
    server remembers its token, groups and level)."""
    email = f"{unique('querier')}@example.com"
    token = workspace.add_user(email)
    api.patch(
        f"/api/2.0/permissions/serving-endpoints/{endpoint['id']}",
        json={"access_control_list": [{"user_name": email, "permission_level": "CAN_QUERY"}]},
    ).raise_for_status()
    who = api.as_user(token)
    for _ in range(2):
        assert query(who, endpoint["name"]).status_code == 200
    return Querier(email, token, who)


def query(api: Api, name: object) -> requests.Response:
    return api.post(f"/serving-endpoints/{name}/invocations", json=BODY)


def test_a_token_revoked_from_the_callers_process_is_refused_on_the_next_query(
    workspace: LocalWorkspace, endpoint: dict[str, object], querier: Querier
) -> None:
    workspace.revoke_token(querier.token)  # written straight into the database file
    refused = query(querier.api, endpoint["name"])
    assert refused.status_code == 403
    assert refused.json() == {"error_code": 403, "message": "Invalid access token."}


def test_a_can_query_taken_away_is_enforced_on_the_next_query(
    api: Api, endpoint: dict[str, object], querier: Querier
) -> None:
    acl = api.get(f"/api/2.0/permissions/serving-endpoints/{endpoint['id']}").json()
    kept = [
        {"user_name": entry["user_name"], "permission_level": level["permission_level"]}
        for entry in acl["access_control_list"]
        if entry.get("user_name") and entry["user_name"] != querier.email
        for level in entry["all_permissions"]
        if not level.get("inherited")
    ]
    api.put(
        f"/api/2.0/permissions/serving-endpoints/{endpoint['id']}",
        json={"access_control_list": kept},
    ).raise_for_status()
    refused = query(querier.api, endpoint["name"])
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"


def test_a_deleted_endpoint_is_not_found_on_the_next_query(api: Api) -> None:
    name = unique("fresh-deleted")
    assert create_ready(api, name, entity())["state"]["ready"] == "READY"
    assert query(api, name).status_code == 200

    api.delete(f"/api/2.0/serving-endpoints/{name}").raise_for_status()
    gone = query(api, name)
    assert gone.status_code == 404
    assert gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
