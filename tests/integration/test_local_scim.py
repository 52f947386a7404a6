"""The local workspace's SCIM subset over real HTTP: Me for each kind of caller, Users, Groups
and ServicePrincipals with filters and paging, and how bad or missing tokens are answered.

Principals are added to the session's workspace with names no other test uses (a per-module
unique stem), so filters on that stem see only this module's principals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from harness.api import Api, unique
from serving_panel.local.handle import LocalWorkspace

SCIM = "/api/2.0/preview/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ADMIN = "admin@serving-panel.local"


@dataclass(frozen=True)
class People:
    stem: str  # a unique string in every user's name and email
    group: str
    alice: str
    bob: str
    carol: str
    alice_token: str
    sp_app_id: str
    sp_display_name: str
    sp_token: str


@pytest.fixture(scope="module")
def people(workspace: LocalWorkspace) -> People:
    stem = unique("scim")
    group = f"{stem}-team"
    alice, bob, carol = (f"{who}.{stem}@example.com" for who in ("alice", "bob", "carol"))
    alice_token = workspace.add_user(alice, groups=[group], display_name=f"Alice {stem}")
    workspace.add_user(bob, groups=[group], display_name=f"Bob {stem}")
    workspace.add_user(carol, display_name=f"Carol {stem}")
    sp_name = f"robot {stem}"
    app_id, sp_token = workspace.add_service_principal(sp_name, groups=[group])
    return People(stem, group, alice, bob, carol, alice_token, app_id, sp_name, sp_token)


def ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    body: dict[str, Any] = response.json()
    return body


def listing(api: Api, resource: str, **params: str) -> dict[str, Any]:
    body = ok(api.get(f"{SCIM}/{resource}", params=params))
    assert body["schemas"] == [LIST_SCHEMA]
    assert body["itemsPerPage"] == len(body["Resources"])
    return body


def user_names(body: dict[str, Any]) -> list[str]:
    return [r["userName"] for r in body["Resources"]]


def group_names(resource: dict[str, Any]) -> list[str]:
    return [g["display"] for g in resource["groups"]]


# Me ----------------------------------------------------------------------------------------


def test_me_as_admin(api: Api) -> None:
    me = ok(api.get(f"{SCIM}/Me"))
    assert me["schemas"] == [USER_SCHEMA]
    assert me["userName"] == ADMIN
    assert me["active"] is True
    assert "admins" in group_names(me)
    assert "users" in group_names(me)
    assert me["emails"][0]["value"] == ADMIN


def test_me_as_a_user(api: Api, people: People) -> None:
    me = ok(api.as_user(people.alice_token).get(f"{SCIM}/Me"))
    assert me["schemas"] == [USER_SCHEMA]
    assert me["userName"] == people.alice
    assert me["displayName"] == f"Alice {people.stem}"
    assert sorted(group_names(me)) == sorted([people.group, "users"])
    assert "admins" not in group_names(me)
    assert me["emails"] == [{"value": people.alice, "primary": True, "type": "work"}]
    assert isinstance(me["id"], str) and me["id"]


def test_me_as_a_service_principal(api: Api, people: People) -> None:
    me = ok(api.as_user(people.sp_token).get(f"{SCIM}/Me"))
    assert me["schemas"] == [SP_SCHEMA]
    assert me["applicationId"] == people.sp_app_id
    assert me["userName"] == people.sp_app_id
    assert me["displayName"] == people.sp_display_name
    assert people.group in group_names(me)


# Users filters -----------------------------------------------------------------------------


def test_users_filter_eq_finds_exactly_one(api: Api, people: People) -> None:
    body = listing(api, "Users", filter=f'userName eq "{people.bob}"')
    assert body["totalResults"] == 1
    [bob] = body["Resources"]
    assert bob["userName"] == people.bob
    assert bob["schemas"] == [USER_SCHEMA]
    assert bob["displayName"] == f"Bob {people.stem}"
    assert people.group in group_names(bob)


def test_users_filter_eq_with_no_match_is_an_empty_list(api: Api, people: People) -> None:
    body = listing(api, "Users", filter=f'userName eq "nobody.{people.stem}@example.com"')
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def test_users_filter_co(api: Api, people: People) -> None:
    body = listing(api, "Users", filter=f'userName co "{people.stem}"')
    assert user_names(body) == [people.alice, people.bob, people.carol]
    assert body["totalResults"] == 3


def test_users_filter_sw(api: Api, people: People) -> None:
    body = listing(api, "Users", filter=f'userName sw "carol.{people.stem}"')
    assert user_names(body) == [people.carol]


def test_users_filter_and(api: Api, people: People) -> None:
    text = f'userName co "{people.stem}" and displayName eq "Bob {people.stem}"'
    assert user_names(listing(api, "Users", filter=text)) == [people.bob]
    none = f'userName sw "alice.{people.stem}" and displayName eq "Bob {people.stem}"'
    assert user_names(listing(api, "Users", filter=none)) == []


def test_users_filter_or(api: Api, people: People) -> None:
    text = f'userName eq "{people.alice}" or userName eq "{people.carol}"'
    assert user_names(listing(api, "Users", filter=text)) == [people.alice, people.carol]


def test_users_filter_and_binds_tighter_than_or(api: Api, people: People) -> None:
    text = (
        f'userName eq "{people.alice}" or '
        f'userName co "{people.stem}" and displayName eq "Carol {people.stem}"'
    )
    assert user_names(listing(api, "Users", filter=text)) == [people.alice, people.carol]


def test_users_filter_attribute_and_operator_are_case_insensitive(api: Api, people: People) -> None:
    body = listing(api, "Users", filter=f'USERNAME EQ "{people.bob.upper()}"')
    assert user_names(body) == [people.bob]


def test_users_filter_value_may_contain_and_or(
    api: Api, workspace: LocalWorkspace, people: People
) -> None:
    # Not under the module's stem, so the other filters here never see this user.
    stem = unique("scim-and-or")
    name = f"dave.{stem}@example.com"
    workspace.add_user(name, display_name=f"Research and Development or Ops {stem}")
    text = f'displayName eq "Research and Development or Ops {stem}"'
    assert user_names(listing(api, "Users", filter=text)) == [name]


@pytest.mark.parametrize(
    "bad",
    [
        "userName eq bob@example.com",
        'userName gt "a"',
        'userName eq "a" and',
        "userName",
    ],
)
def test_a_bad_filter_is_400_naming_the_filter(api: Api, bad: str) -> None:
    response = api.get(f"{SCIM}/Users", params={"filter": bad})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert isinstance(body["message"], str)
    assert body["message"].startswith("filter: cannot parse"), body


# Paging ------------------------------------------------------------------------------------


def test_users_paging_with_start_index_and_count(api: Api, people: People) -> None:
    everyone = [people.alice, people.bob, people.carol]
    text = f'userName co "{people.stem}"'
    page = listing(api, "Users", filter=text, startIndex="2", count="1")
    assert page["totalResults"] == 3
    assert page["startIndex"] == 2
    assert page["itemsPerPage"] == 1
    assert user_names(page) == [people.bob]
    seen = []
    for start in (1, 3, 5):
        seen += user_names(listing(api, "Users", filter=text, startIndex=str(start), count="2"))
    assert seen == everyone
    assert user_names(listing(api, "Users", filter=text, startIndex="4")) == []


def test_paging_with_a_non_integer_is_400(api: Api) -> None:
    response = api.get(f"{SCIM}/Users", params={"startIndex": "two"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "startIndex" in body["message"]


# Groups and service principals -------------------------------------------------------------


def test_groups_list_their_members(api: Api, people: People) -> None:
    body = listing(api, "Groups", filter=f'displayName eq "{people.group}"')
    assert body["totalResults"] == 1
    [group] = body["Resources"]
    assert group["schemas"] == [GROUP_SCHEMA]
    assert group["displayName"] == people.group
    members = sorted(m["display"] for m in group["members"])
    assert members == sorted([f"Alice {people.stem}", f"Bob {people.stem}", people.sp_display_name])
    alice_id = ok(api.as_user(people.alice_token).get(f"{SCIM}/Me"))["id"]
    assert alice_id in [m["value"] for m in group["members"]]


def test_admins_group_holds_the_admin(api: Api) -> None:
    [admins] = listing(api, "Groups", filter='displayName eq "admins"')["Resources"]
    admin_id = ok(api.get(f"{SCIM}/Me"))["id"]
    assert admin_id in [m["value"] for m in admins["members"]]


def test_service_principals_by_application_id(api: Api, people: People) -> None:
    body = listing(api, "ServicePrincipals", filter=f'applicationId eq "{people.sp_app_id}"')
    [sp] = body["Resources"]
    assert sp["schemas"] == [SP_SCHEMA]
    assert sp["applicationId"] == people.sp_app_id
    assert sp["displayName"] == people.sp_display_name
    assert people.group in group_names(sp)
    # A service principal is not a user.
    assert listing(api, "Users", filter=f'userName eq "{people.sp_app_id}"')["Resources"] == []


# Tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["Me", "Users", "Groups", "ServicePrincipals"])
def test_no_token_is_401(api: Api, resource: str) -> None:
    response = api.as_user(None).get(f"{SCIM}/{resource}")
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error_code"] == 401
    assert isinstance(body["message"], str) and body["message"]


def test_a_non_bearer_authorization_is_401(api: Api) -> None:
    response = api.as_user(None).get(
        f"{SCIM}/Me", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == 401


@pytest.mark.parametrize("resource", ["Me", "Users"])
def test_an_unknown_token_is_403_as_the_real_service_answers(api: Api, resource: str) -> None:
    response = api.as_user("dapi" + "0" * 32).get(f"{SCIM}/{resource}")
    assert response.status_code == 403, response.text
    assert response.json() == {"error_code": 403, "message": "Invalid access token."}
    assert response.headers["X-Databricks-Reason-Phrase"] == "Invalid access token."
