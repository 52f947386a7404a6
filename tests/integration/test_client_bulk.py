"""ServingClient across many endpoints, over real HTTP against the local workspace: the access
view (`access`, `access_df`) and one grant or revoke on several endpoints (`plan_many`,
`apply_many`, `grant_many`, `revoke_many`), with per-endpoint refusals that leave the other
endpoints alone, and 429 bursts that slow the client down without failing it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

from harness.api import unique, wait_for
from serving_panel import ServingClient, acl
from serving_panel.errors import ClientValidationError
from serving_panel.local.handle import LocalWorkspace

PERMISSIONS = "/api/2.0/permissions/serving-endpoints"
ROOT = "/serving-endpoints/"


@pytest.fixture(scope="module")
def admin(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with ServingClient(workspace.host, workspace.token) as serving:
        yield serving


@pytest.fixture
def make_endpoints(admin: ServingClient) -> Iterator[Callable[[int], list[str]]]:
    """Creates config-less endpoints (the admin is their creator) and deletes them after."""
    made: list[str] = []

    def make(count: int) -> list[str]:
        names = [unique(f"bulk{i}") for i in range(count)]
        for name in names:
            admin.create(name)
        made.extend(names)
        return names

    yield make
    for name in made:
        admin.delete(name)


@pytest.fixture
def faults(workspace: LocalWorkspace) -> Iterator[LocalWorkspace]:
    """The workspace, its fault rules cleared after the test."""
    try:
        yield workspace
    finally:
        workspace.faults.clear()


def user(workspace: LocalWorkspace, prefix: str, groups: tuple[str, ...] = ()) -> tuple[str, str]:
    """A new user: (e-mail, token)."""
    email = f"{unique(prefix)}@example.com"
    return email, workspace.add_user(email, groups)


def direct(client: ServingClient, name: str) -> dict[acl.PrincipalKey, str]:
    return acl.direct_acl(client.permissions(name).grants)


def rows(frame: pd.DataFrame, columns: list[str]) -> set[tuple[object, ...]]:
    """The frame's rows as tuples of plain values (NA as None), for exact comparison."""
    values = frame[columns].astype(object).where(frame[columns].notna(), None)
    return {tuple(row) for row in values.itertuples(index=False)}


def by_endpoint(frame: pd.DataFrame) -> dict[str, dict[str, object]]:
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return {str(record["endpoint"]): record for record in records}


# The access view --------------------------------------------------------------------------


def test_access_df_shows_direct_group_and_inherited_grants_with_their_source(
    admin: ServingClient, workspace: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    first, second, third = make_endpoints(3)
    alice, _ = user(workspace, "alice")
    team = unique("team")
    workspace.add_group(team)
    admin.grant(first, "CAN_QUERY", user=alice)
    admin.grant(second, "CAN_VIEW", group=team)
    admin.grant(second, "CAN_MANAGE", user=alice)
    me = admin.me().name

    frame = admin.access_df([first, second, third])

    assert list(frame.columns) == [
        "endpoint",
        "endpoint_id",
        "kind",
        "principal",
        "display_name",
        "level",
        "direct_level",
        "inherited",
        "source",
        "fingerprint",
        "readable",
        "error_code",
        "error",
    ]
    assert frame["level"].cat.ordered
    columns = ["endpoint", "kind", "principal", "level", "direct_level", "inherited", "source"]
    expected: set[tuple[object, ...]] = set()
    for name in (first, second, third):
        expected.add((name, "user", me, "CAN_MANAGE", "CAN_MANAGE", False, "direct"))
        expected.add((name, "group", "admins", "CAN_MANAGE", None, True, ROOT))
    expected.add((first, "user", alice, "CAN_QUERY", "CAN_QUERY", False, "direct"))
    expected.add((second, "group", team, "CAN_VIEW", "CAN_VIEW", False, "direct"))
    expected.add((second, "user", alice, "CAN_MANAGE", "CAN_MANAGE", False, "direct"))
    assert rows(frame, columns) == expected
    assert frame["readable"].all()
    assert frame["error"].isna().all()
    ids = {name: admin.get(name).id for name in (first, second, third)}
    assert dict(zip(frame["endpoint"], frame["endpoint_id"], strict=True)) == ids
    for name in (first, second, third):
        fingerprints = set(frame.loc[frame["endpoint"] == name, "fingerprint"])
        assert fingerprints == {admin.permissions(name).fingerprint}

    # Every endpoint listed, in the list's order, when none are named.
    everything = admin.access_df()
    listed = [e.name for e in admin.list()]
    assert list(dict.fromkeys(everything["endpoint"])) == listed
    mine = everything[everything["endpoint"].isin([first, second, third])]
    assert rows(mine, columns) == expected


def test_a_caller_who_can_read_only_some_acls_gets_a_row_saying_why_for_the_others(
    admin: ServingClient, workspace: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    viewed, managed, hidden = make_endpoints(3)
    bob, token = user(workspace, "bob")
    admin.grant(viewed, "CAN_VIEW", user=bob)
    admin.grant(managed, "CAN_MANAGE", user=bob)
    hidden_id = admin.get(hidden).id

    with ServingClient(workspace.host, token) as as_bob:
        listed = as_bob.access_df()
        assert set(listed["endpoint"]) == {viewed, managed}  # the list shows what bob can see
        assert listed["readable"].all()

        frame = as_bob.access_df([viewed, hidden_id, managed, hidden])
        access = as_bob.access([viewed, hidden_id])

    assert list(dict.fromkeys(frame["endpoint"])) == [viewed, hidden_id, managed, hidden]
    unreadable = frame[~frame["readable"]]
    assert list(unreadable["endpoint"]) == [hidden_id, hidden]
    assert list(unreadable["error_code"]) == ["PERMISSION_DENIED", "PERMISSION_DENIED"]
    for message in unreadable["error"]:
        assert message.startswith("the ACL could not be read: ")
        assert bob in message
    assert unreadable["principal"].isna().all()
    assert unreadable["level"].isna().all()
    assert unreadable.loc[unreadable["endpoint"] == hidden_id, "endpoint_id"].tolist() == [
        hidden_id
    ]
    readable = frame[frame["readable"]]
    assert rows(readable, ["endpoint", "principal", "level"]) >= {
        (viewed, bob, "CAN_VIEW"),
        (managed, bob, "CAN_MANAGE"),
    }
    assert readable["error"].isna().all()

    # The typed form says the same.
    [seen, refused] = access
    assert seen.readable
    assert seen.entry("user", bob) is not None
    assert seen.fingerprint == admin.permissions(viewed).fingerprint
    assert not refused.readable
    assert refused.entries == ()
    assert refused.error is not None
    assert type(refused.error).__name__ == "PermissionDenied"


def test_access_reports_each_endpoint_as_it_arrives_and_refuses_bad_input(
    admin: ServingClient, make_endpoints: Callable[[int], list[str]]
) -> None:
    names = make_endpoints(4)
    arrived: list[str] = []
    result = admin.access(names, on_each=lambda access: arrived.append(access.endpoint))
    assert sorted(arrived) == sorted(names)
    assert [access.endpoint for access in result] == names
    with pytest.raises(ClientValidationError, match="a list of endpoint names or ids"):
        admin.access_df(names[0])
    with pytest.raises(ClientValidationError, match="given more than once"):
        admin.access_df([names[0], names[1], names[0]])
    with pytest.raises(ClientValidationError, match=r"endpoints\[1\]"):
        admin.access_df([names[0], "not a name!"])
    assert len(admin.access_df([])) == 0


# Grants across endpoints ------------------------------------------------------------------


@pytest.mark.parametrize("send", ["grant_many", "apply_many"])
def test_grant_on_five_endpoints_refuses_the_stale_and_the_unmanageable_and_does_the_rest(
    send: str,
    admin: ServingClient,
    workspace: LocalWorkspace,
    make_endpoints: Callable[[int], list[str]],
) -> None:
    names = make_endpoints(5)
    carol, token = user(workspace, "carol")
    other, _ = user(workspace, "other")
    team = unique("team")
    workspace.add_group(team)
    for name in names[:4]:
        admin.grant(name, "CAN_MANAGE", user=carol)
    admin.grant(names[4], "CAN_VIEW", user=carol)  # she reads the ACL, can't change it
    stale, denied = names[2], names[4]

    with ServingClient(workspace.host, token) as as_carol:
        plan = as_carol.plan_many(names, "CAN_QUERY", group=team)
        preview = plan.to_frame()
        assert list(preview["outcome"]) == ["send"] * 5
        assert preview["sent"].eq(False).all()
        assert list(preview["method"]) == ["PATCH"] * 5
        assert preview["before"].isna().all()
        assert list(preview["after"]) == ["CAN_QUERY"] * 5
        body = {"access_control_list": [{"group_name": team, "permission_level": "CAN_QUERY"}]}
        assert [json.loads(text) for text in preview["body"]] == [body] * 5
        assert set(plan.fingerprints) == set(names)

        admin.grant(stale, "CAN_VIEW", user=other)  # changed since the preview
        untouched = {name: direct(admin, name) for name in (stale, denied)}

        if send == "grant_many":
            frame = as_carol.grant_many(
                names, "CAN_QUERY", group=team, expected_fingerprints=plan.fingerprints
            )
        else:
            frame = as_carol.apply_many(plan).to_frame()

    assert list(frame["endpoint"]) == names
    result = by_endpoint(frame)
    ids = {name: admin.get(name).id for name in names}
    for name in names:
        row = result[name]
        assert row["endpoint_id"] == ids[name]
        assert row["kind"] == "group"
        assert row["principal"] == team
        assert row["action"] == "grant"
        assert row["method"] == "PATCH"
        assert row["path"] == f"{PERMISSIONS}/{ids[name]}"
        assert json.loads(str(row["body"])) == body
        assert row["before"] is None
    for name in (names[0], names[1], names[3]):
        assert result[name]["outcome"] == "done"
        assert result[name]["sent"] is True
        assert result[name]["after"] == "CAN_QUERY"
        assert result[name]["error_code"] is None
        assert direct(admin, name)[("group", team)] == "CAN_QUERY"
    assert result[stale]["outcome"] == "stale"
    assert result[stale]["sent"] is False
    assert result[stale]["after"] is None
    assert result[stale]["error_code"] == "StaleAclError"
    assert "changed since they were shown" in str(result[stale]["message"])
    assert result[denied]["outcome"] == "permission_denied"
    assert result[denied]["after"] is None
    assert result[denied]["error_code"] == "PERMISSION_DENIED"
    assert carol in str(result[denied]["message"])
    for name in (stale, denied):
        assert direct(admin, name) == untouched[name]  # nothing else affected


def test_grant_many_without_a_preview_plans_each_endpoint_from_a_fresh_read(
    admin: ServingClient, workspace: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    names = make_endpoints(3)
    dana, _ = user(workspace, "dana")
    admin.grant(names[1], "CAN_QUERY", user=dana)
    admin.grant(names[2], "CAN_VIEW", user=dana)

    frame = admin.grant_many(names, "CAN_QUERY", user=dana)

    result = by_endpoint(frame)
    assert [result[n]["outcome"] for n in names] == ["done", "unchanged", "done"]
    assert [result[n]["before"] for n in names] == [None, "CAN_QUERY", "CAN_VIEW"]
    assert [result[n]["after"] for n in names] == ["CAN_QUERY"] * 3
    assert [result[n]["sent"] for n in names] == [True, False, True]
    assert result[names[1]]["method"] is None
    for name in names:
        assert direct(admin, name)[("user", dana)] == "CAN_QUERY"
    # A fingerprint map that leaves an endpoint out refuses that endpoint alone.
    partial = {names[0]: admin.permissions(names[0]).fingerprint}
    again = by_endpoint(
        admin.grant_many(names[:2], "CAN_VIEW", user=dana, expected_fingerprints=partial)
    )
    assert again[names[0]]["outcome"] == "done"
    assert again[names[1]]["outcome"] == "stale"
    assert "no fingerprint for it" in str(again[names[1]]["message"])
    assert direct(admin, names[1])[("user", dana)] == "CAN_QUERY"


def test_revoke_many_says_not_granted_where_there_is_nothing_to_revoke(
    admin: ServingClient, workspace: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    names = make_endpoints(3)
    erin, _ = user(workspace, "erin")
    admin.grant(names[0], "CAN_QUERY", user=erin)
    admin.grant(names[2], "CAN_VIEW", user=erin)
    before = direct(admin, names[1])

    frame = admin.revoke_many(names, user=erin)

    result = by_endpoint(frame)
    assert [result[n]["outcome"] for n in names] == ["done", "not_granted", "done"]
    assert [result[n]["action"] for n in names] == ["revoke"] * 3
    assert [result[n]["before"] for n in names] == ["CAN_QUERY", None, "CAN_VIEW"]
    assert [result[n]["after"] for n in names] == [None, None, None]
    assert [result[n]["method"] for n in names] == ["PUT", None, "PUT"]
    assert result[names[1]]["sent"] is False
    assert result[names[1]]["error_code"] == "NotGrantedError"
    assert f"user {erin} has no direct permission" in str(result[names[1]]["message"])
    me = admin.me().key
    assert json.loads(str(result[names[0]]["body"])) == {
        "access_control_list": [{"user_name": me[1], "permission_level": "CAN_MANAGE"}]
    }
    for name in (names[0], names[2]):
        assert direct(admin, name) == {me: "CAN_MANAGE"}
    assert direct(admin, names[1]) == before

    # The preview says the same, and applying it sends nothing there.
    plan = admin.plan_many(names, None, user=erin)
    assert [w.status for w in plan.writes] == ["not_granted"] * 3
    applied = admin.apply_many(plan)
    assert [r.outcome for r in applied.results] == ["not_granted"] * 3
    assert not any(r.sent for r in applied.results)


def test_the_lock_out_guard_holds_per_endpoint_and_force_lifts_it(
    admin: ServingClient, workspace: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    alone, shared = make_endpoints(2)
    frank, _ = user(workspace, "frank")
    me = admin.me()
    for name in (alone, shared):
        admin.grant(name, "CAN_MANAGE", user=frank)
    admin.revoke(alone, user=me.name, force=True)  # frank is the last direct manager there

    plan = admin.plan_many([alone, shared], None, user=frank)
    assert [w.status for w in plan.writes] == ["locked_out", "send"]
    assert "no principal holds CAN_MANAGE directly" in str(plan.writes[0].message)

    frame = admin.revoke_many([alone, shared], user=frank)
    result = by_endpoint(frame)
    assert result[alone]["outcome"] == "locked_out"
    assert result[alone]["sent"] is False
    assert result[alone]["method"] == "PUT"  # the call that would have been sent
    assert result[alone]["before"] == result[alone]["after"] == "CAN_MANAGE"
    assert "Pass force=True" in str(result[alone]["message"])
    assert result[shared]["outcome"] == "done"
    assert direct(admin, alone) == {("user", frank): "CAN_MANAGE"}
    assert ("user", frank) not in direct(admin, shared)

    # Your own CAN_MANAGE, too.
    mine = by_endpoint(admin.grant_many([shared], "CAN_VIEW", user=me.name))
    assert mine[shared]["outcome"] == "locked_out"
    assert "this plan lowers it to CAN_VIEW" in str(mine[shared]["message"])
    assert direct(admin, shared)[me.key] == "CAN_MANAGE"

    forced = admin.apply_many(admin.plan_many([alone], None, user=frank), force=True)
    assert [r.outcome for r in forced.results] == ["done"]
    assert direct(admin, alone) == {}


# Rate limiting ----------------------------------------------------------------------------


def test_a_burst_of_429s_slows_the_access_view_down_but_it_completes(
    admin: ServingClient, faults: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    names = make_endpoints(8)
    faults.faults.fail(f"{PERMISSIONS}/*", 429, times=5)
    started = time.monotonic()
    frame = admin.access_df(names)
    elapsed = time.monotonic() - started
    assert frame["readable"].all()
    assert set(frame["endpoint"]) == set(names)
    [rule] = faults.faults.state()["rules"]
    assert rule["seen"] >= 5 + len(names)  # five answered 429, then every read got through
    assert elapsed >= 1.0  # Retry-After: 1


def test_a_burst_of_429s_slows_grant_many_down_but_every_endpoint_is_done(
    admin: ServingClient,
    faults: LocalWorkspace,
    make_endpoints: Callable[[int], list[str]],
) -> None:
    names = make_endpoints(5)
    gina, _ = user(faults, "gina")
    faults.faults.fail(f"{PERMISSIONS}/*", 429, times=12)
    frame = admin.grant_many(names, "CAN_QUERY", user=gina)
    assert list(frame["outcome"]) == ["done"] * 5
    faults.faults.clear()
    for name in names:
        assert direct(admin, name)[("user", gina)] == "CAN_QUERY"


def test_a_429_pauses_the_other_calls_to_that_api_too(
    workspace: LocalWorkspace, faults: LocalWorkspace, make_endpoints: Callable[[int], list[str]]
) -> None:
    first, second = make_endpoints(2)
    with ServingClient(workspace.host, workspace.token) as client:
        client.list()  # ids known: each read below is one permissions GET
        faults.faults.fail(f"{PERMISSIONS}/*", 429, times=1, retry_after=2)
        done = threading.Event()

        def read_first() -> None:
            client.permissions(first)
            done.set()

        reader = threading.Thread(target=read_first)
        reader.start()
        wait_for(lambda: faults.faults.state()["rules"][0]["seen"] >= 1, 30, "the first read's 429")
        wait_for(lambda: client._transport._paused_until, 30, "the client to pause")
        started = time.monotonic()
        client.permissions(second)  # its own request is never refused, yet it waits
        waited = time.monotonic() - started
        client.list()  # another API is not paused
        reader.join(30)
    assert done.is_set()
    assert waited >= 1.5
    assert faults.faults.state()["rules"][0]["seen"] == 3
