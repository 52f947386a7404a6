"""Permission plans: PATCH when nothing is removed, a full PUT when something is, no lost grants.

The example tests pin the exact wire bodies and messages; the property tests check, over random
ACLs with direct and inherited grants, that what the server ends up holding is exactly what the
user asked for and nobody else's grant moves.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving_panel.acl import (
    KINDS,
    LEVELS,
    AclError,
    AclPlan,
    Change,
    Grant,
    NotGrantedError,
    PrincipalKey,
    StaleAclError,
    check_unchanged,
    direct_acl,
    fingerprint,
    grants_from_json,
    plan_changes,
    plan_grant,
    plan_revoke,
    simulate,
)

ENDPOINT_ID = "6d9c2f0e4b1a4c3d8e7f6a5b4c3d2e1f"
ALICE: PrincipalKey = ("user", "alice@example.com")
BOB: PrincipalKey = ("user", "bob@example.com")
SCIENTISTS: PrincipalKey = ("group", "data-scientists")
BOT: PrincipalKey = ("service_principal", "4f3b1c2a-9d8e-4c7b-a6f5-0e1d2c3b4a59")
ADMINS: PrincipalKey = ("group", "admins")
INHERITED_FROM = "/serving-endpoints/"


def direct(level: str) -> dict[str, Any]:
    return {"permission_level": level, "inherited": False}


def inherited(level: str) -> dict[str, Any]:
    return {"permission_level": level, "inherited": True, "inherited_from_object": [INHERITED_FROM]}


def realistic() -> dict[str, Any]:
    """A GET response with a user, a group, a service principal and admins (direct + inherited)."""
    return {
        "object_id": f"/serving-endpoints/{ENDPOINT_ID}",
        "object_type": "serving-endpoint",
        "access_control_list": [
            {
                "user_name": ALICE[1],
                "display_name": "Alice Example",
                "all_permissions": [direct("CAN_MANAGE")],
            },
            {
                "group_name": SCIENTISTS[1],
                "display_name": SCIENTISTS[1],
                "all_permissions": [direct("CAN_QUERY")],
            },
            {
                "service_principal_name": BOT[1],
                "display_name": "ci-bot",
                "all_permissions": [direct("CAN_VIEW")],
            },
            {
                "group_name": "admins",
                "display_name": "admins",
                "all_permissions": [direct("CAN_MANAGE"), inherited("CAN_MANAGE")],
            },
        ],
    }


def local_shape() -> dict[str, Any]:
    """What the local workspace answers: the creator direct, admins only inherited."""
    return {
        "object_id": f"/serving-endpoints/{ENDPOINT_ID}",
        "object_type": "serving-endpoint",
        "access_control_list": [
            {"user_name": ALICE[1], "all_permissions": [direct("CAN_MANAGE")]},
            {"user_name": BOB[1], "all_permissions": [direct("CAN_QUERY")]},
            {
                "group_name": "admins",
                "display_name": "admins",
                "all_permissions": [inherited("CAN_MANAGE")],
            },
        ],
    }


# --- reading --------------------------------------------------------------------------------


def test_flattens_every_permission_of_every_entry() -> None:
    assert grants_from_json(realistic()) == [
        Grant("user", ALICE[1], "CAN_MANAGE", False, (), "Alice Example"),
        Grant("group", SCIENTISTS[1], "CAN_QUERY", False, (), SCIENTISTS[1]),
        Grant("service_principal", BOT[1], "CAN_VIEW", False, (), "ci-bot"),
        Grant("group", "admins", "CAN_MANAGE", False, (), "admins"),
        Grant("group", "admins", "CAN_MANAGE", True, (INHERITED_FROM,), "admins"),
    ]


def test_the_direct_acl_leaves_inherited_entries_out() -> None:
    acl = local_shape()
    assert direct_acl(grants_from_json(acl)) == {ALICE: "CAN_MANAGE", BOB: "CAN_QUERY"}


def test_unknown_levels_are_kept_not_dropped() -> None:
    acl = {"access_control_list": [{"user_name": "x", "all_permissions": [direct("CAN_EDIT")]}]}
    assert direct_acl(grants_from_json(acl)) == {("user", "x"): "CAN_EDIT"}


def test_several_direct_levels_keep_the_highest() -> None:
    levels = [direct("CAN_VIEW"), direct("CAN_MANAGE"), direct("CAN_QUERY")]
    acl = {"access_control_list": [{"user_name": "x", "all_permissions": levels}]}
    assert direct_acl(grants_from_json(acl)) == {("user", "x"): "CAN_MANAGE"}


def test_an_entry_naming_no_principal_is_refused() -> None:
    acl = {"access_control_list": [{"all_permissions": [direct("CAN_VIEW")]}]}
    with pytest.raises(AclError, match=r"access_control_list\[0\].*user_name"):
        grants_from_json(acl)


# --- grants: PATCH --------------------------------------------------------------------------


def test_a_grant_is_a_patch_of_exactly_that_entry() -> None:
    plan = plan_grant(realistic(), "user", BOB[1], "CAN_QUERY")
    assert plan.method == "PATCH"
    assert plan.body == {
        "access_control_list": [{"user_name": BOB[1], "permission_level": "CAN_QUERY"}]
    }
    assert list(plan.body["access_control_list"][0]) == ["user_name", "permission_level"]
    assert plan.changes == (Change(BOB, None, "CAN_QUERY"),)
    assert plan.changes[0].kind_of_change == "grant"


def test_granting_a_level_already_held_sends_nothing() -> None:
    plan = plan_grant(realistic(), "group", SCIENTISTS[1], "CAN_QUERY")
    assert plan.method is None
    assert plan.body == {}
    assert plan.changes == ()
    assert plan.after == plan.before


@pytest.mark.parametrize(
    ("principal", "level", "kind_of_change"),
    [(BOT, "CAN_QUERY", "upgrade"), (SCIENTISTS, "CAN_VIEW", "downgrade")],
)
def test_upgrades_and_downgrades_are_patches(
    principal: PrincipalKey, level: str, kind_of_change: str
) -> None:
    plan = plan_grant(realistic(), *principal, level)
    key = {"group": "group_name", "service_principal": "service_principal_name"}[principal[0]]
    assert plan.method == "PATCH"
    assert plan.body == {"access_control_list": [{key: principal[1], "permission_level": level}]}
    assert [change.kind_of_change for change in plan.changes] == [kind_of_change]
    assert simulate(plan.before, plan)[principal] == level


def test_several_grants_go_in_one_patch_sorted_by_kind_and_name() -> None:
    desired: dict[PrincipalKey, str | None] = {
        ("user", "zed"): "CAN_VIEW",
        ("group", "ml"): "CAN_QUERY",
        ("user", "amy"): "CAN_VIEW",
    }
    plan = plan_changes(realistic(), desired)
    assert plan.body == {
        "access_control_list": [
            {"group_name": "ml", "permission_level": "CAN_QUERY"},
            {"user_name": "amy", "permission_level": "CAN_VIEW"},
            {"user_name": "zed", "permission_level": "CAN_VIEW"},
        ]
    }


# --- revokes: PUT ---------------------------------------------------------------------------


def test_a_revoke_is_a_put_of_the_full_direct_list_minus_one() -> None:
    plan = plan_revoke(realistic(), "group", SCIENTISTS[1])
    assert plan.method == "PUT"
    assert plan.body == {
        "access_control_list": [
            {"service_principal_name": BOT[1], "permission_level": "CAN_VIEW"},
            {"user_name": ALICE[1], "permission_level": "CAN_MANAGE"},
        ]
    }
    assert plan.changes == (Change(SCIENTISTS, "CAN_QUERY", None),)
    assert plan.changes[0].kind_of_change == "revoke"


def test_a_put_never_carries_an_inherited_only_entry() -> None:
    plan = plan_revoke(local_shape(), "user", BOB[1])
    assert plan.method == "PUT"
    assert plan.body == {
        "access_control_list": [{"user_name": ALICE[1], "permission_level": "CAN_MANAGE"}]
    }


def test_a_grant_and_a_revoke_together_are_one_put() -> None:
    plan = plan_changes(local_shape(), {BOB: None, SCIENTISTS: "CAN_QUERY"})
    assert plan.method == "PUT"
    assert plan.body == {
        "access_control_list": [
            {"group_name": SCIENTISTS[1], "permission_level": "CAN_QUERY"},
            {"user_name": ALICE[1], "permission_level": "CAN_MANAGE"},
        ]
    }


def test_revoking_an_inherited_only_grant_is_refused() -> None:
    inherited_only = {
        "object_id": "/serving-endpoints/abc",
        "access_control_list": [
            {
                "group_name": "ops",
                "all_permissions": [
                    {
                        "permission_level": "CAN_QUERY",
                        "inherited": True,
                        "inherited_from_object": ["/serving-endpoints/"],
                    },
                ],
            },
        ],
    }
    with pytest.raises(AclError, match=r"group ops: CAN_QUERY is inherited from /serving-endp"):
        plan_revoke(inherited_only, "group", "ops")
    with pytest.raises(NotGrantedError, match="can't be removed here"):
        plan_revoke(inherited_only, "group", "ops")


def test_the_admins_group_is_never_changed_nor_named_in_a_put() -> None:
    with pytest.raises(AclError, match="admins group's grant can't be changed"):
        plan_revoke(realistic(), "group", "admins")
    with pytest.raises(AclError, match="admins group's grant can't be changed"):
        plan_grant(realistic(), "group", "admins", "CAN_VIEW")
    plan = plan_revoke(realistic(), "group", SCIENTISTS[1])
    assert all(entry.get("group_name") != "admins" for entry in plan.body["access_control_list"])
    # ... and the server keeps admins' direct grant through the PUT.
    assert simulate(plan.before, plan)[ADMINS] == "CAN_MANAGE"
    assert simulate(plan.before, plan) == plan.after


def test_revoking_a_direct_grant_that_is_also_inherited_removes_only_the_direct_one() -> None:
    ops = {
        "object_id": "/serving-endpoints/abc",
        "access_control_list": [
            {
                "group_name": "ops",
                "all_permissions": [
                    {"permission_level": "CAN_QUERY", "inherited": False},
                    {
                        "permission_level": "CAN_VIEW",
                        "inherited": True,
                        "inherited_from_object": ["/serving-endpoints/"],
                    },
                ],
            },
            {
                "user_name": ALICE[1],
                "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
            },
        ],
    }
    plan = plan_revoke(ops, "group", "ops")
    assert plan.method == "PUT"
    assert ("group", "ops") not in simulate(plan.before, plan)
    assert any("group ops keeps access" in warning for warning in plan.warnings)


def test_revoking_someone_with_no_grant_sends_nothing_and_says_so() -> None:
    plan = plan_revoke(local_shape(), "user", "nobody@example.com")
    assert plan.method is None
    assert plan.warnings == (
        "user nobody@example.com has no direct permission; nothing to remove.",
    )


# --- validation -----------------------------------------------------------------------------


def test_an_unknown_level_is_refused_naming_the_field_and_the_allowed_values() -> None:
    with pytest.raises(AclError) as caught:
        plan_grant(realistic(), "user", BOB[1], "CAN_EDIT")
    message = str(caught.value)
    assert "permission_level for user bob@example.com" in message
    assert "CAN_VIEW, CAN_QUERY, CAN_MANAGE" in message


def test_an_unknown_kind_is_refused_naming_the_allowed_kinds() -> None:
    with pytest.raises(AclError, match=r"'robot'.*user, group, service_principal"):
        plan_grant(realistic(), "robot", "r2", "CAN_VIEW")


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(AclError, match="user_name ''"):
        plan_grant(realistic(), "user", "", "CAN_VIEW")


def test_a_grant_without_a_level_is_not_silently_a_revoke() -> None:
    level: Any = None
    with pytest.raises(AclError, match="permission_level is required"):
        plan_grant(realistic(), "group", SCIENTISTS[1], level)


def test_a_change_needs_two_different_levels() -> None:
    with pytest.raises(ValueError, match="different levels"):
        Change(BOB, "CAN_VIEW", "CAN_VIEW")


# --- stale reads ----------------------------------------------------------------------------


def test_a_changed_direct_acl_stops_the_write() -> None:
    shown = plan_revoke(local_shape(), "user", BOB[1])
    now = local_shape()
    now["access_control_list"].append(
        {"user_name": "carol@example.com", "all_permissions": [direct("CAN_QUERY")]}
    )
    with pytest.raises(StaleAclError, match="Re-read the permissions and review"):
        check_unchanged(shown.fingerprint, now)


def test_an_unchanged_acl_passes_even_if_reordered_or_inherited_entries_move() -> None:
    shown = plan_revoke(local_shape(), "user", BOB[1])
    now = local_shape()
    now["access_control_list"].reverse()
    now["access_control_list"][0]["all_permissions"].append(inherited("CAN_VIEW"))
    check_unchanged(shown.fingerprint, now)


def test_the_plan_fingerprint_is_that_of_the_acl_it_was_computed_from() -> None:
    plan = plan_grant(realistic(), "user", BOB[1], "CAN_VIEW")
    assert plan.fingerprint == fingerprint(realistic())
    assert len(plan.fingerprint) == 16
    assert plan.fingerprint != fingerprint(local_shape())


# --- warnings -------------------------------------------------------------------------------


def test_removing_the_last_direct_manager_warns_and_names_who_still_manages() -> None:
    plan = plan_revoke(local_shape(), "user", ALICE[1])
    [last] = [w for w in plan.warnings if "no principal holds CAN_MANAGE directly" in w]
    assert "group admins (CAN_MANAGE is inherited from /serving-endpoints/)" in last


def test_with_no_inherited_manager_the_warning_says_only_workspace_admins_remain() -> None:
    acl = {
        "access_control_list": [{"user_name": ALICE[1], "all_permissions": [direct("CAN_MANAGE")]}]
    }
    plan = plan_grant(acl, "user", ALICE[1], "CAN_QUERY")
    assert any("only workspace admins can still manage it" in w for w in plan.warnings)


def test_a_plan_that_keeps_a_direct_manager_does_not_warn_about_it() -> None:
    plan = plan_revoke(local_shape(), "user", BOB[1])
    assert not any("CAN_MANAGE directly" in warning for warning in plan.warnings)


def test_lowering_your_own_manage_warns_you() -> None:
    plan = plan_grant(realistic(), "user", ALICE[1], "CAN_QUERY", caller=ALICE)
    [own] = [w for w in plan.warnings if w.startswith("You (")]
    assert own.startswith("You (user alice@example.com) hold CAN_MANAGE directly")
    assert "lowers it to CAN_QUERY" in own


def test_removing_your_own_manage_warns_you() -> None:
    plan = plan_revoke(realistic(), "user", ALICE[1], caller=ALICE)
    assert any(w.startswith("You (") and "removes it" in w for w in plan.warnings)


def test_changing_someone_else_does_not_warn_the_caller() -> None:
    plan = plan_grant(realistic(), "user", ALICE[1], "CAN_QUERY", caller=BOB)
    assert not any(w.startswith("You (") for w in plan.warnings)


def test_lockouts_are_the_warnings_about_a_can_manage_this_plan_takes_away() -> None:
    own = plan_grant(local_shape(), "user", ALICE[1], "CAN_QUERY", caller=ALICE)
    assert len(own.lockouts) == 2  # the last direct manager, and it is the caller
    assert own.lockouts[0].startswith("After this change no principal holds CAN_MANAGE")
    assert own.lockouts[1].startswith("You (user alice@example.com) hold CAN_MANAGE")
    assert set(own.lockouts) <= set(own.warnings)
    someone_else = plan_grant(local_shape(), "user", ALICE[1], "CAN_QUERY", caller=BOB)
    assert someone_else.lockouts == own.lockouts[:1]
    admins_still_manage = plan_grant(realistic(), "user", ALICE[1], "CAN_QUERY", caller=ALICE)
    assert admins_still_manage.lockouts == own.lockouts[1:]
    assert plan_revoke(local_shape(), "user", BOB[1], caller=ALICE).lockouts == ()


def test_no_manager_before_is_a_warning_but_not_a_lockout() -> None:
    """Nobody manages directly before or after: the plan takes nothing away."""
    acl = {"access_control_list": [{"user_name": BOB[1], "all_permissions": [direct("CAN_VIEW")]}]}
    plan = plan_grant(acl, "user", BOB[1], "CAN_QUERY")
    assert any("no principal holds CAN_MANAGE directly" in w for w in plan.warnings)
    assert plan.lockouts == ()


class Parsed(NamedTuple):
    grants: tuple[Grant, ...]


def test_a_parsed_acl_its_grants_and_its_json_plan_alike() -> None:
    """Plans from `Permissions` (grants parsed once) equal plans from the JSON they came from."""
    doc = realistic()
    parsed = grants_from_json(doc)
    for source in (doc, parsed, Parsed(tuple(parsed))):
        plan = plan_revoke(source, "group", SCIENTISTS[1], caller=ALICE)
        assert plan == plan_revoke(doc, "group", SCIENTISTS[1], caller=ALICE)
        assert fingerprint(source) == plan.fingerprint
        check_unchanged(plan.fingerprint, source)
    check_unchanged(plan.fingerprint, plan.fingerprint)
    with pytest.raises(StaleAclError, match="nothing was sent"):
        check_unchanged(plan.fingerprint, fingerprint(local_shape()))


def test_a_put_says_how_many_grants_it_re_sends_unchanged() -> None:
    plan = plan_revoke(realistic(), "group", SCIENTISTS[1])
    assert any("2 entries sent, 2 of them re-sent unchanged" in w for w in plan.warnings)
    patch = plan_grant(realistic(), "user", BOB[1], "CAN_VIEW")
    assert not any("re-sent unchanged" in w for w in patch.warnings)


def test_a_direct_level_below_an_inherited_one_is_flagged() -> None:
    inherited_manager = {
        "object_id": "/serving-endpoints/abc",
        "access_control_list": [
            {
                "group_name": "ops",
                "all_permissions": [
                    {
                        "permission_level": "CAN_MANAGE",
                        "inherited": True,
                        "inherited_from_object": ["/serving-endpoints/"],
                    },
                ],
            },
        ],
    }
    plan = plan_grant(inherited_manager, "group", "ops", "CAN_VIEW")
    assert any("still has CAN_MANAGE through inheritance" in w for w in plan.warnings)


# --- describe -------------------------------------------------------------------------------


def test_describe_shows_the_method_the_exact_body_and_the_diff() -> None:
    plan = plan_grant(realistic(), "user", BOB[1], "CAN_QUERY")
    text = plan.describe()
    assert text.startswith("PATCH /api/2.0/permissions/serving-endpoints/{endpoint_id}")
    assert json.dumps(plan.body, indent=2) in text
    assert "+ user bob@example.com: (none) -> CAN_QUERY (grant)" in text


def test_describe_of_a_put_shows_the_re_read_first_and_the_warnings() -> None:
    plan = plan_revoke(realistic(), "group", SCIENTISTS[1])
    text = plan.describe(ENDPOINT_ID)
    path = f"/api/2.0/permissions/serving-endpoints/{ENDPOINT_ID}"
    assert text.index(f"1. GET {path}") < text.index(f"2. PUT {path}")
    assert plan.fingerprint in text
    assert json.dumps(plan.body, indent=2) in text
    assert "- group data-scientists: CAN_QUERY -> (none) (revoke)" in text
    assert "! PUT replaces every direct grant" in text


def test_describe_of_no_change_says_nothing_will_be_sent() -> None:
    plan = plan_grant(realistic(), "user", ALICE[1], "CAN_MANAGE")
    assert plan.describe() == "No change: the direct ACL already matches."


# --- properties -----------------------------------------------------------------------------

NAMES = ("a", "b", "c")
PRINCIPALS = [(kind, name) for kind in KINDS for name in NAMES]
REQUEST_KEYS = {
    "user": "user_name",
    "group": "group_name",
    "service_principal": "service_principal_name",
}
principals = st.sampled_from(PRINCIPALS)
stored_levels = st.sampled_from((*LEVELS, "CAN_EDIT"))  # an unknown level must survive a PUT
levels = st.sampled_from(LEVELS)


class Generated(NamedTuple):
    permissions: dict[str, Any]
    direct: dict[PrincipalKey, str]
    inherited: dict[PrincipalKey, str]


def render(
    direct_levels: dict[PrincipalKey, str],
    inherited_levels: dict[PrincipalKey, str],
    extras: dict[PrincipalKey, list[str]],
) -> dict[str, Any]:
    entries = []
    for principal in sorted(direct_levels.keys() | inherited_levels.keys()):
        permissions = [direct(level) for level in extras.get(principal, [])]
        if principal in direct_levels:
            permissions.append(direct(direct_levels[principal]))
        if principal in inherited_levels:
            permissions.append(inherited(inherited_levels[principal]))
        entries.append({REQUEST_KEYS[principal[0]]: principal[1], "all_permissions": permissions})
    return {"object_id": f"/serving-endpoints/{ENDPOINT_ID}", "access_control_list": entries}


@st.composite
def acls(draw: st.DrawFn) -> Generated:
    """Random direct and inherited grants; some principals also list lower direct levels."""
    direct_levels = draw(st.dictionaries(principals, stored_levels))
    inherited_levels = draw(st.dictionaries(principals, levels))
    extras: dict[PrincipalKey, list[str]] = {}
    for principal, level in direct_levels.items():
        if level in LEVELS:
            lower = LEVELS[: LEVELS.index(level)]
            extras[principal] = draw(st.lists(st.sampled_from(lower), max_size=2)) if lower else []
    return Generated(
        render(direct_levels, inherited_levels, extras), direct_levels, inherited_levels
    )


desireds = st.dictionaries(principals, st.none() | levels)


def intended(
    before: dict[PrincipalKey, str], desired: dict[PrincipalKey, str | None]
) -> dict[PrincipalKey, str]:
    result = dict(before)
    for principal, level in desired.items():
        if level is None:
            result.pop(principal, None)
        else:
            result[principal] = level
    return result


def removes_inherited_only(acl: Generated, desired: dict[PrincipalKey, str | None]) -> bool:
    return any(
        level is None and p not in acl.direct and p in acl.inherited for p, level in desired.items()
    )


def body_levels(plan: AclPlan) -> dict[PrincipalKey, str]:
    found: dict[PrincipalKey, str] = {}
    for entry in plan.body["access_control_list"]:
        [key] = [k for k in entry if k != "permission_level"]
        kind = {v: k for k, v in REQUEST_KEYS.items()}[key]
        found[(kind, entry[key])] = entry["permission_level"]
    return found


@given(acl=acls(), desired=desireds)
def test_removing_inherited_only_grants_is_refused_and_nothing_else_is(
    acl: Generated, desired: dict[PrincipalKey, str | None]
) -> None:
    if removes_inherited_only(acl, desired):
        with pytest.raises(AclError, match="can't be removed here"):
            plan_changes(acl.permissions, desired)
    else:
        plan_changes(acl.permissions, desired)


@given(acl=acls(), desired=desireds)
def test_the_server_ends_up_with_exactly_the_intended_direct_acl(
    acl: Generated, desired: dict[PrincipalKey, str | None]
) -> None:
    if removes_inherited_only(acl, desired):
        return
    plan = plan_changes(acl.permissions, desired)
    goal = intended(acl.direct, desired)
    assert plan.before == acl.direct
    assert plan.after == goal
    assert simulate(acl.direct, plan) == goal
    assert {c.principal for c in plan.changes} == {
        p for p in acl.direct.keys() | goal.keys() if acl.direct.get(p) != goal.get(p)
    }


@given(acl=acls(), desired=desireds)
def test_a_put_body_is_the_intended_direct_acl_and_no_inherited_entry(
    acl: Generated, desired: dict[PrincipalKey, str | None]
) -> None:
    if removes_inherited_only(acl, desired):
        return
    plan = plan_changes(acl.permissions, desired)
    if plan.method != "PUT":
        return
    goal = intended(acl.direct, desired)
    sent = body_levels(plan)
    for principal in acl.inherited:
        if principal in sent:
            assert principal in goal
            assert sent[principal] == goal[principal]
    assert sent == goal
    assert len(sent) == len(plan.body["access_control_list"])
    assert list(sent) == sorted(sent)


@given(acl=acls(), desired=desireds)
def test_a_patch_carries_only_the_changed_entries(
    acl: Generated, desired: dict[PrincipalKey, str | None]
) -> None:
    if removes_inherited_only(acl, desired):
        return
    plan = plan_changes(acl.permissions, desired)
    if plan.method != "PATCH":
        return
    sent = body_levels(plan)
    assert sent == {c.principal: c.after for c in plan.changes}
    assert list(sent) == sorted(sent)


@given(data=st.data(), acl=acls())
def test_a_revoke_never_touches_anyone_else(data: st.DataObject, acl: Generated) -> None:
    if not acl.direct:
        return
    principal = data.draw(st.sampled_from(sorted(acl.direct)))
    plan = plan_revoke(acl.permissions, *principal)
    result = simulate(acl.direct, plan)
    assert principal not in result
    assert result == {p: level for p, level in acl.direct.items() if p != principal}
    assert body_levels(plan) == result


@given(acl=acls(), desired=desireds)
def test_a_put_is_sent_exactly_when_something_is_removed(
    acl: Generated, desired: dict[PrincipalKey, str | None]
) -> None:
    if removes_inherited_only(acl, desired):
        return
    plan = plan_changes(acl.permissions, desired)
    removals = any(level is None and p in acl.direct for p, level in desired.items())
    assert (plan.method == "PUT") == removals
    if not removals:
        assert plan.method in ("PATCH", None)
    assert (plan.method is None) == (intended(acl.direct, desired) == acl.direct)
    assert (plan.body == {}) == (plan.method is None)


@given(acl=acls(), desired=desireds, caller=principals)
def test_lock_out_warnings_appear_exactly_when_they_apply(
    acl: Generated, desired: dict[PrincipalKey, str | None], caller: PrincipalKey
) -> None:
    if removes_inherited_only(acl, desired):
        return
    plan = plan_changes(acl.permissions, desired, caller=caller)
    goal = intended(acl.direct, desired)
    no_manager = plan.method is not None and "CAN_MANAGE" not in goal.values()
    assert any("no principal holds CAN_MANAGE directly" in w for w in plan.warnings) == no_manager
    own = acl.direct.get(caller) == "CAN_MANAGE" and goal.get(caller) != "CAN_MANAGE"
    assert any(w.startswith("You (") for w in plan.warnings) == own


@given(data=st.data(), acl=acls())
def test_the_fingerprint_ignores_order(data: st.DataObject, acl: Generated) -> None:
    shuffled = json.loads(json.dumps(acl.permissions))
    entries = data.draw(st.permutations(shuffled["access_control_list"]))
    for entry in entries:
        entry["all_permissions"] = data.draw(st.permutations(entry["all_permissions"]))
    shuffled["access_control_list"] = entries
    assert fingerprint(shuffled) == fingerprint(acl.permissions)
    check_unchanged(fingerprint(acl.permissions), shuffled)


@given(data=st.data(), acl=acls())
def test_the_fingerprint_changes_iff_the_direct_acl_does(
    data: st.DataObject, acl: Generated
) -> None:
    other_direct = data.draw(st.just(acl.direct) | st.dictionaries(principals, stored_levels))
    other_inherited = data.draw(st.dictionaries(principals, levels))
    other = render(other_direct, other_inherited, {})
    same = other_direct == acl.direct
    assert (fingerprint(other) == fingerprint(acl.permissions)) == same
    if same:
        check_unchanged(fingerprint(acl.permissions), other)
    else:
        with pytest.raises(StaleAclError):
            check_unchanged(fingerprint(acl.permissions), other)
