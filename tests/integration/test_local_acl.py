"""Endpoint ACLs are enforced per token: each level's abilities, inheritance, and 401/403s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.api import Api, entity, settle, unique
from serving_panel.local.handle import LocalWorkspace


@dataclass
class Cast:
    name: str
    endpoint_id: str
    viewer: Api
    querier: Api
    manager: Api
    group_viewer: Api
    outsider: Api
    manager_email: str


@pytest.fixture(scope="module")
def cast(workspace: LocalWorkspace) -> Iterator[Cast]:
    admin = Api(workspace.host, workspace.token)
    tag = unique("acl")
    emails = {role: f"{role}-{tag}@example.com" for role in ("v", "q", "m", "g", "o")}
    tokens = {role: workspace.add_user(email) for role, email in emails.items()}
    group = f"readers-{tag}"
    workspace.add_group(group, [emails["g"]])
    name = unique("acl")
    created = admin.post(
        "/api/2.0/serving-endpoints",
        json={"name": name, "config": {"served_entities": [entity()]}},
    ).json()
    settle(admin, name)
    admin.patch(
        f"/api/2.0/permissions/serving-endpoints/{created['id']}",
        json={
            "access_control_list": [
                {"user_name": emails["v"], "permission_level": "CAN_VIEW"},
                {"user_name": emails["q"], "permission_level": "CAN_QUERY"},
                {"user_name": emails["m"], "permission_level": "CAN_MANAGE"},
                {"group_name": group, "permission_level": "CAN_VIEW"},
            ]
        },
    ).raise_for_status()
    yield Cast(
        name=name,
        endpoint_id=created["id"],
        viewer=admin.as_user(tokens["v"]),
        querier=admin.as_user(tokens["q"]),
        manager=admin.as_user(tokens["m"]),
        group_viewer=admin.as_user(tokens["g"]),
        outsider=admin.as_user(tokens["o"]),
        manager_email=emails["m"],
    )
    admin.delete(f"/api/2.0/serving-endpoints/{name}")


def test_get_reports_each_callers_own_level(cast: Cast) -> None:
    path = f"/api/2.0/serving-endpoints/{cast.name}"
    assert cast.viewer.get(path).json()["permission_level"] == "CAN_VIEW"
    assert cast.querier.get(path).json()["permission_level"] == "CAN_QUERY"
    assert cast.manager.get(path).json()["permission_level"] == "CAN_MANAGE"
    assert cast.group_viewer.get(path).json()["permission_level"] == "CAN_VIEW"


def test_someone_without_a_grant_is_refused_with_the_level_needed(cast: Cast) -> None:
    answer = cast.outsider.get(f"/api/2.0/serving-endpoints/{cast.name}")
    assert answer.status_code == 403
    assert answer.json()["error_code"] == "PERMISSION_DENIED"
    assert "CAN_VIEW" in answer.json()["message"]
    listed = cast.outsider.get("/api/2.0/serving-endpoints").json()["endpoints"]
    assert cast.name not in [e["name"] for e in listed]
    assert cast.name in [
        e["name"] for e in cast.viewer.get("/api/2.0/serving-endpoints").json()["endpoints"]
    ]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PUT", "/config", {"served_entities": [entity()]}),
        ("PATCH", "/tags", {"add_tags": [{"key": "k", "value": "v"}]}),
        ("PUT", "/ai-gateway", {"usage_tracking_config": {"enabled": True}}),
        ("PUT", "/rate-limits", {"rate_limits": []}),
        ("PATCH", "/notifications", {"email_notifications": {}}),
        ("DELETE", "", None),
        ("GET", "/served-models/ads1-1/build-logs", None),
        ("GET", "/served-models/ads1-1/logs", None),
    ],
)
def test_managing_needs_can_manage(cast: Cast, method: str, suffix: str, body: object) -> None:
    path = f"/api/2.0/serving-endpoints/{cast.name}{suffix}"
    for caller in (cast.viewer, cast.querier):
        answer = caller.request(method, path, json=body)
        assert answer.status_code == 403, (method, path)
        assert "CAN_MANAGE" in answer.json()["message"]


def test_viewers_read_metrics_openapi_and_the_acl(cast: Cast) -> None:
    assert cast.viewer.get(f"/api/2.0/serving-endpoints/{cast.name}/metrics").status_code == 200
    # Past the ACL: the answer is about the model (logged without a signature), not a 403.
    openapi = cast.viewer.get(f"/api/2.0/serving-endpoints/{cast.name}/openapi")
    assert openapi.status_code == 404, openapi.text
    assert "without a model signature" in openapi.json()["message"]
    acl = cast.viewer.get(f"/api/2.0/permissions/serving-endpoints/{cast.endpoint_id}")
    assert acl.status_code == 200
    change = cast.viewer.patch(
        f"/api/2.0/permissions/serving-endpoints/{cast.endpoint_id}",
        json={"access_control_list": []},
    )
    assert change.status_code == 403


def test_a_manager_may_manage(cast: Cast) -> None:
    answer = cast.manager.patch(
        f"/api/2.0/serving-endpoints/{cast.name}/tags",
        json={"add_tags": [{"key": "reviewed", "value": "yes"}]},
    )
    assert answer.status_code == 200
    logs = cast.manager.get(
        f"/api/2.0/serving-endpoints/{cast.name}/served-models/ads1-1/build-logs"
    )
    assert "build finished" in logs.json()["logs"]


def test_creator_gets_direct_can_manage_and_admins_inherit(workspace: LocalWorkspace) -> None:
    admin = Api(workspace.host, workspace.token)
    email = f"{unique('creator')}@example.com"
    creator = admin.as_user(workspace.add_user(email))
    name = unique("created-by-user")
    created = creator.post("/api/2.0/serving-endpoints", json={"name": name})
    assert created.status_code == 200
    assert created.json()["creator"] == email
    acl = admin.get(f"/api/2.0/permissions/serving-endpoints/{created.json()['id']}").json()
    entries = {e.get("user_name") or e.get("group_name"): e for e in acl["access_control_list"]}
    assert entries[email]["all_permissions"] == [
        {"permission_level": "CAN_MANAGE", "inherited": False}
    ]
    assert entries["admins"]["all_permissions"] == [
        {
            "permission_level": "CAN_MANAGE",
            "inherited": True,
            "inherited_from_object": ["/serving-endpoints/"],
        }
    ]
    # The workspace admin manages it through the admins group, with no direct grant.
    assert (
        admin.get(f"/api/2.0/serving-endpoints/{name}").json()["permission_level"] == "CAN_MANAGE"
    )
    assert creator.delete(f"/api/2.0/serving-endpoints/{name}").status_code == 200


def test_put_replaces_direct_grants_and_keeps_inherited_ones(cast: Cast, api: Api) -> None:
    name = unique("acl-put")
    endpoint_id = api.post("/api/2.0/serving-endpoints", json={"name": name}).json()["id"]
    path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
    api.patch(
        path,
        json={
            "access_control_list": [
                {"user_name": cast.manager_email, "permission_level": "CAN_QUERY"}
            ]
        },
    ).raise_for_status()
    replaced = api.put(path, json={"access_control_list": []}).json()
    assert [e.get("group_name") for e in replaced["access_control_list"]] == ["admins"]
    assert api.get(f"/api/2.0/serving-endpoints/{name}").status_code == 200
    api.delete(f"/api/2.0/serving-endpoints/{name}")


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"user_name": "nobody@example.com", "permission_level": "CAN_VIEW"}, "does not exist"),
        (
            {"user_name": "admin@serving-panel.local", "permission_level": "CAN_OWN"},
            "must be one of",
        ),
        ({"group_name": "admins", "permission_level": "CAN_VIEW"}, "admins group"),
        ({"permission_level": "CAN_VIEW"}, "exactly one of"),
        (
            {"user_name": "a@b.c", "group_name": "users", "permission_level": "CAN_VIEW"},
            "exactly one of",
        ),
    ],
)
def test_bad_acl_entries_are_refused_and_change_nothing(
    cast: Cast, api: Api, entry: dict[str, str], fragment: str
) -> None:
    path = f"/api/2.0/permissions/serving-endpoints/{cast.endpoint_id}"
    before = api.get(path).json()
    answer = api.put(path, json={"access_control_list": [entry]})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "access_control_list[0]" in answer.json()["message"]
    assert fragment in answer.json()["message"]
    assert api.get(path).json() == before


def test_unknown_endpoint_id_is_404(api: Api) -> None:
    answer = api.get("/api/2.0/permissions/serving-endpoints/" + "0" * 32)
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_missing_and_unknown_tokens(workspace: LocalWorkspace) -> None:
    anonymous = Api(workspace.host, None).get("/api/2.0/serving-endpoints")
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == 401
    forged = Api(workspace.host, "dapi" + "0" * 32).get("/api/2.0/serving-endpoints")
    assert forged.status_code == 403
    assert forged.json() == {"error_code": 403, "message": "Invalid access token."}
    assert forged.headers["X-Databricks-Reason-Phrase"] == "Invalid access token."
    assert "dapi" not in forged.text
    well_known = Api(workspace.host, None).get("/.well-known/databricks-config")
    assert well_known.status_code == 200
    assert {"oidc_endpoint", "workspace_id"} <= set(well_known.json())
