"""The permission editor's requests (`acl.read`, `acl.preview`, `acl.apply`,
`principals.lookup`) against a live local workspace, sent as the front end sends them and
answered through the recording comm."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.api import Api, unique
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.identities import ADMIN_USER

ACL = "/api/2.0/permissions/serving-endpoints"
FAULTS = "/__local/faults"


@pytest.fixture
def endpoint(client: ServingClient) -> Iterator[str]:
    """A fresh endpoint with no config (nothing to build), created by the workspace admin."""
    name = unique("panel-acl")
    client.create(name)
    yield name
    client.delete(name)


def email(workspace: LocalWorkspace, stem: str, display_name: str | None = None) -> str:
    """A new user's email (the user is added to the workspace)."""
    address = f"{unique(stem)}@example.com"
    workspace.add_user(address, display_name=display_name)
    return address


class View(PanelView):
    """A front end of one panel: sends requests, returns Python's replies."""


@pytest.fixture
def view(client: ServingClient, endpoint: str, comms: CommLog) -> View:
    return View(EndpointPanel(endpoint, client=client), comms)


def change(kind: str, name: str, level: str | None) -> dict[str, Any]:
    return {"kind": kind, "name": name, "level": level}


def direct(client: ServingClient, endpoint: str) -> dict[tuple[str, str], str]:
    """The endpoint's direct ACL as another client reads it."""
    return {
        (grant.kind, grant.name): grant.level
        for grant in client.permissions(endpoint).grants
        if not grant.inherited
    }


# acl.read ------------------------------------------------------------------------------------


def test_read_lists_direct_and_inherited_rows(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice", display_name="Alice Liddell")
    client.grant(endpoint, "CAN_QUERY", user=alice)
    read = view.result("acl.read")
    rows = {(r["kind"], r["name"], r["inherited"]): r for r in read["rows"]}
    assert rows[("user", ADMIN_USER, False)]["level"] == "CAN_MANAGE"  # the creator
    assert rows[("user", alice, False)] == {
        "kind": "user",
        "name": alice,
        "display_name": "Alice Liddell",
        "level": "CAN_QUERY",
        "inherited": False,
        "inherited_from": [],
    }
    assert rows[("group", "admins", True)] == {
        "kind": "group",
        "name": "admins",
        "display_name": None,  # the service gives the inherited admins entry none
        "level": "CAN_MANAGE",
        "inherited": True,
        "inherited_from": ["/serving-endpoints/"],
    }
    assert len(read["rows"]) == 3
    assert read["direct"] == [
        {"kind": "user", "name": ADMIN_USER, "level": "CAN_MANAGE"},
        {"kind": "user", "name": alice, "level": "CAN_QUERY"},
    ]
    shown = client.permissions(endpoint)
    assert read["fingerprint"] == shown.fingerprint
    assert read["endpoint_id"] == client.endpoint_id(endpoint) == shown.endpoint_id
    assert read["caller"] == {"kind": "user", "name": ADMIN_USER}
    assert read["levels"] == ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"]


def test_read_without_can_view_is_a_reply_error_with_the_services_message(
    client: ServingClient, endpoint: str, workspace: LocalWorkspace, comms: CommLog
) -> None:
    bob = f"{unique('bob')}@example.com"
    token = workspace.add_user(bob)
    client.grant(endpoint, "CAN_VIEW", user=bob)
    with workspace.client(token) as as_bob:
        view = View(EndpointPanel(endpoint, client=as_bob), comms)
        assert view.result("acl.read")["caller"] == {"kind": "user", "name": bob}
        client.revoke(endpoint, user=bob)
        error = view.error("acl.read")
    assert (error["status"], error["error_code"]) == (403, "PERMISSION_DENIED")
    assert "CAN_VIEW" in error["message"]
    assert bob in error["message"]


# acl.preview ---------------------------------------------------------------------------------


def test_preview_of_a_grant_is_a_patch_of_just_that_entry(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice")
    shown = view.result("acl.read")
    preview = view.result(
        "acl.preview",
        fingerprint=shown["fingerprint"],
        changes=[change("user", alice, "CAN_QUERY")],
    )
    assert preview["method"] == "PATCH"
    assert preview["body"] == {
        "access_control_list": [{"user_name": alice, "permission_level": "CAN_QUERY"}]
    }
    assert preview["changes"] == [
        {
            "kind": "user",
            "name": alice,
            "before": None,
            "after": "CAN_QUERY",
            "kind_of_change": "grant",
        }
    ]
    assert preview["stale"] is False
    assert preview["fingerprint"] == shown["fingerprint"]
    assert preview["lockout_warnings"] == []
    endpoint_id = client.endpoint_id(endpoint)
    # Copy as: the same PATCH, replayable outside the notebook, with no token in it.
    assert set(preview["snippets"]) == {"curl", "sdk", "cli"}
    assert f"/api/2.0/permissions/serving-endpoints/{endpoint_id}" in preview["snippets"]["curl"]
    assert "-X PATCH" in preview["snippets"]["curl"]
    assert all(workspace.token not in text for text in preview["snippets"].values())
    assert preview["describe"].startswith(f"PATCH {ACL}/{endpoint_id}  (merges")
    assert f"+ user {alice}: (none) -> CAN_QUERY (grant)" in preview["describe"]
    assert (("user", alice)) not in direct(client, endpoint)  # a preview sends nothing


def test_preview_of_a_removal_is_a_put_of_the_rest_without_inherited_entries_or_admins(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice")
    bob = email(workspace, "bob")
    client.grant(endpoint, "CAN_QUERY", user=alice)
    client.grant(endpoint, "CAN_VIEW", user=bob)
    shown = view.result("acl.read")
    preview = view.result(
        "acl.preview", fingerprint=shown["fingerprint"], changes=[change("user", alice, None)]
    )
    assert preview["method"] == "PUT"
    assert preview["body"] == {
        "access_control_list": [
            {"user_name": ADMIN_USER, "permission_level": "CAN_MANAGE"},
            {"user_name": bob, "permission_level": "CAN_VIEW"},
        ]
    }
    assert "admins" not in str(preview["body"])
    assert preview["changes"] == [
        {
            "kind": "user",
            "name": alice,
            "before": "CAN_QUERY",
            "after": None,
            "kind_of_change": "revoke",
        }
    ]
    path = f"{ACL}/{client.endpoint_id(endpoint)}"
    assert f"1. GET {path}" in preview["describe"]
    assert f"2. PUT {path}  (replaces the whole direct ACL)" in preview["describe"]
    assert shown["fingerprint"] in preview["describe"]
    assert any(w.startswith("PUT replaces every direct grant") for w in preview["warnings"])
    assert preview["lockout_warnings"] == []
    assert direct(client, endpoint)[("user", alice)] == "CAN_QUERY"


def test_preview_says_when_the_acl_changed_since_it_was_shown(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice")
    shown = view.result("acl.read")
    client.grant(endpoint, "CAN_VIEW", user=alice)
    preview = view.result(
        "acl.preview",
        fingerprint=shown["fingerprint"],
        changes=[change("user", alice, "CAN_QUERY")],
    )
    assert preview["stale"] is True
    assert preview["fingerprint"] == client.permissions(endpoint).fingerprint
    assert preview["changes"][0]["before"] == "CAN_VIEW"  # planned against the fresh read


def test_removing_the_admins_group_is_refused_with_the_planners_message(
    view: View, client: ServingClient, endpoint: str
) -> None:
    shown = view.result("acl.read")
    before = direct(client, endpoint)
    for kind in ("acl.preview", "acl.apply"):
        error = view.error(
            kind,
            fingerprint=shown["fingerprint"],
            changes=[change("group", "admins", None)],
            confirm_warnings=True,
        )
        assert (error["status"], error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        assert "the admins group's grant can't be changed" in error["message"]
    assert direct(client, endpoint) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"changes": [change("user", "x@example.com", "CAN_VIEW")]}, "fingerprint"),
        ({"fingerprint": "f", "changes": []}, "changes"),
        ({"fingerprint": "f", "changes": [change("robot", "r", "CAN_VIEW")]}, "changes[0].kind"),
        ({"fingerprint": "f", "changes": [change("user", " ", "CAN_VIEW")]}, "changes[0].name"),
        ({"fingerprint": "f", "changes": [change("user", "u", "CAN_FLY")]}, "changes[0].level"),
        ({"fingerprint": "f", "changes": [{"kind": "user", "name": "u"}]}, "changes[0].level"),
        (
            {
                "fingerprint": "f",
                "changes": [change("user", "u", "CAN_VIEW"), change("user", "u", None)],
            },
            "changes[1]",
        ),
    ],
)
def test_bad_payloads_name_the_field(view: View, payload: dict[str, Any], field: str) -> None:
    error = view.error("acl.preview", **payload)
    assert (error["status"], error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert error["message"].startswith(f"{field}:")


# acl.apply -----------------------------------------------------------------------------------


def test_apply_a_grant_then_another_client_sees_it(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice", display_name="Alice")
    shown = view.result("acl.read")
    revision = view.panel.snapshot["revision"]
    applied = view.result(
        "acl.apply",
        fingerprint=shown["fingerprint"],
        changes=[change("user", alice, "CAN_QUERY")],
        confirm_warnings=False,
    )
    assert client.permissions(endpoint).level_of("user", alice) == "CAN_QUERY"
    assert {"kind": "user", "name": alice, "level": "CAN_QUERY"} in applied["direct"]
    assert applied["fingerprint"] == client.permissions(endpoint).fingerprint
    assert applied["fingerprint"] != shown["fingerprint"]
    assert applied["caller"] == {"kind": "user", "name": ADMIN_USER}
    assert view.panel.snapshot["revision"] > revision  # the panel refreshed its header


def test_apply_a_removal_and_a_level_change_in_one_put(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice")
    bob = email(workspace, "bob")
    client.grant(endpoint, "CAN_QUERY", user=alice)
    client.grant(endpoint, "CAN_VIEW", user=bob)
    shown = view.result("acl.read")
    view.result(
        "acl.apply",
        fingerprint=shown["fingerprint"],
        changes=[change("user", alice, None), change("user", bob, "CAN_MANAGE")],
    )
    assert direct(client, endpoint) == {
        ("user", ADMIN_USER): "CAN_MANAGE",
        ("user", bob): "CAN_MANAGE",
    }


def test_apply_refuses_when_the_acl_changed_since_it_was_shown_and_sends_nothing(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    alice = email(workspace, "alice")
    dave = email(workspace, "dave")
    client.grant(endpoint, "CAN_QUERY", user=alice)
    shown = view.result("acl.read")
    with workspace.client() as other:  # someone else changes the ACL after it was shown
        other.grant(endpoint, "CAN_VIEW", user=dave)
    changed = direct(client, endpoint)
    for changes in ([change("user", alice, None)], [change("user", alice, "CAN_MANAGE")]):
        error = view.error(
            "acl.apply", fingerprint=shown["fingerprint"], changes=changes, confirm_warnings=True
        )
        assert (error["status"], error["error_code"]) == (409, "STALE_ACL")
        assert "changed since they were shown" in error["message"]
        assert "nothing was sent" in error["message"]
        assert direct(client, endpoint) == changed
    assert changed[("user", alice)] == "CAN_QUERY"
    assert changed[("user", dave)] == "CAN_VIEW"


def test_removing_your_own_can_manage_needs_confirmation(
    workspace: LocalWorkspace, client: ServingClient, comms: CommLog
) -> None:
    carol = f"{unique('carol')}@example.com"
    token = workspace.add_user(carol)  # not an admin: only her direct grant lets her manage
    name = unique("panel-acl-own")
    with workspace.client(token) as as_carol:
        as_carol.create(name)
        try:
            view = View(EndpointPanel(name, client=as_carol), comms)
            shown = view.result("acl.read")
            assert shown["caller"] == {"kind": "user", "name": carol}
            assert shown["direct"] == [{"kind": "user", "name": carol, "level": "CAN_MANAGE"}]
            changes = [change("user", carol, None)]

            preview = view.result("acl.preview", fingerprint=shown["fingerprint"], changes=changes)
            assert preview["method"] == "PUT"
            assert preview["body"] == {"access_control_list": []}
            assert len(preview["lockout_warnings"]) == 2
            assert preview["lockout_warnings"][0].startswith(
                "After this change no principal holds CAN_MANAGE directly"
            )
            assert preview["lockout_warnings"][1].startswith(f"You (user {carol}) hold CAN_MANAGE")
            assert set(preview["lockout_warnings"]) <= set(preview["warnings"])

            error = view.error("acl.apply", fingerprint=shown["fingerprint"], changes=changes)
            assert (error["status"], error["error_code"]) == (409, "CONFIRM_REQUIRED")
            assert "nothing was sent" in error["message"]
            for warning in preview["lockout_warnings"]:
                assert f"- {warning}" in error["message"]
            assert direct(client, name) == {("user", carol): "CAN_MANAGE"}

            applied = view.result(
                "acl.apply",
                fingerprint=shown["fingerprint"],
                changes=changes,
                confirm_warnings=True,
            )
            # She can no longer read the endpoint, so the panel's refresh failed: ignored.
            assert applied["direct"] == []
            assert direct(client, name) == {}
        finally:
            client.delete(name)


def test_lowering_your_own_can_manage_needs_confirmation_too(
    view: View, client: ServingClient, endpoint: str, workspace: LocalWorkspace
) -> None:
    erin = email(workspace, "erin")
    client.grant(endpoint, "CAN_MANAGE", user=erin)  # someone else still manages it directly
    shown = view.result("acl.read")
    changes = [change("user", ADMIN_USER, "CAN_VIEW")]
    preview = view.result("acl.preview", fingerprint=shown["fingerprint"], changes=changes)
    assert preview["method"] == "PATCH"
    [warning] = preview["lockout_warnings"]
    assert warning.startswith(f"You (user {ADMIN_USER}) hold CAN_MANAGE directly")
    error = view.error("acl.apply", fingerprint=shown["fingerprint"], changes=changes)
    assert error["error_code"] == "CONFIRM_REQUIRED"
    view.result(
        "acl.apply", fingerprint=shown["fingerprint"], changes=changes, confirm_warnings=True
    )
    assert direct(client, endpoint)[("user", ADMIN_USER)] == "CAN_VIEW"


# principals.lookup ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(workspace: LocalWorkspace) -> dict[str, str]:
    stem = unique("zq")  # matches nothing else in the shared workspace
    user = f"{stem}.frances@example.com"
    workspace.add_user(user, display_name=f"Frances {stem}")
    group = f"{stem}-analysts"
    workspace.add_group(group, [user])
    app_id, _token = workspace.add_service_principal(f"{stem} batch scorer")
    return {"stem": stem, "user": user, "group": group, "sp": app_id}


def test_lookup_finds_a_user_by_part_of_the_email(view: View, people: dict[str, str]) -> None:
    found = view.result("principals.lookup", query=f"{people['stem']}.fran")
    assert found["available"] is True
    assert found["results"] == [
        {"kind": "user", "name": people["user"], "display_name": f"Frances {people['stem']}"}
    ]


def test_lookup_finds_groups_and_service_principals(view: View, people: dict[str, str]) -> None:
    stem = people["stem"]
    scorer = {
        "kind": "service_principal",
        "name": people["sp"],
        "display_name": f"{stem} batch scorer",
    }
    found = view.result("principals.lookup", query=stem.upper())
    assert found["results"] == [
        {"kind": "user", "name": people["user"], "display_name": f"Frances {stem}"},
        {"kind": "group", "name": people["group"], "display_name": people["group"]},
        scorer,
    ]
    by_app_id = view.result("principals.lookup", query=people["sp"][:13])
    assert scorer in by_app_id["results"]


def test_lookup_quotes_the_query_in_the_scim_filter(view: View) -> None:
    found = view.result("principals.lookup", query='no" or userName co "')
    assert found == {"results": [], "available": True}


def test_lookup_needs_two_characters(view: View) -> None:
    for query in ("a", " b ", ""):
        error = view.error("principals.lookup", query=query)
        assert (error["status"], error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        assert error["message"].startswith("query: must have at least 2 characters")
    assert view.error("principals.lookup", query=7)["message"].startswith("query: must be")


def test_lookup_without_scim_says_it_is_unavailable(
    workspace: LocalWorkspace, endpoint: str, comms: CommLog, people: dict[str, str]
) -> None:
    api = Api(workspace.host, workspace.token)
    assert api.delete(FAULTS).status_code == 200
    with workspace.client(retries=0) as no_retries:
        view = View(EndpointPanel(endpoint, client=no_retries), comms)
        rule = {"method": "GET", "path": "/api/2.0/preview/scim/v2/*", "status": 503}
        assert api.post(FAULTS, json={"rules": [rule]}).status_code == 200
        try:
            found = view.result("principals.lookup", query=people["stem"])
            read = view.result("acl.read")  # SCIM Me fails too: the caller is unknown
        finally:
            assert api.delete(FAULTS).status_code == 200
    assert found == {"results": [], "available": False}
    assert read["caller"] is None
    assert read["rows"]
