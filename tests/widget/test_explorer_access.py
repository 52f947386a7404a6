"""ServingExplorer's Access view and grants across endpoints against a live local workspace, the
requests sent as the front end sends them: `explorer.access` (effective levels, inherited ones
marked, an unreadable ACL said per endpoint), `explorer.grants.preview` then
`explorer.grants.apply` (exactly the plan previewed: stale, not granted, locked out, forced),
`principals.lookup` (with no endpoint open), and `explorer.access_df()` from Python."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from harness.api import unique
from harness.comms import CommLog, PanelView
from serving_panel import ServingClient, ServingExplorer, acl
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace

ROOT = "/serving-endpoints/"


@pytest.fixture
def endpoints(client: ServingClient) -> Iterator[list[str]]:
    """Three config-less endpoints the admin created."""
    names = [unique(f"access{i}") for i in range(3)]
    for name in names:
        client.create(name)
    yield names
    for name in names:
        with contextlib.suppress(ResourceDoesNotExist):
            client.delete(name)


def new_user(workspace: LocalWorkspace, prefix: str) -> tuple[str, str]:
    email = f"{unique(prefix)}@example.com"
    return email, workspace.add_user(email)


def by_principal(access: dict[str, object]) -> dict[tuple[str, str], dict[str, object]]:
    entries = access["entries"]
    assert isinstance(entries, list)
    return {(e["kind"], e["principal"]): e for e in entries}


def test_access_gives_effective_levels_inherited_marked_and_unreadable_acls_per_endpoint(
    client: ServingClient, workspace: LocalWorkspace, endpoints: list[str], comms: CommLog
) -> None:
    first, second, _ = endpoints
    alice, _token = new_user(workspace, "alice")
    client.grant(first, "CAN_QUERY", user=alice)
    view = PanelView(ServingExplorer(client=client), comms)
    gone = unique("gone")

    answer = view.result("explorer.access", names=[first, second, gone])

    assert [a["endpoint"] for a in answer["endpoints"]] == [first, second, gone]
    one, two, missing = answer["endpoints"]
    assert one["readable"] is True and one["error"] is None
    assert one["endpoint_id"] == client.get(first).id
    entries = by_principal(one)
    assert entries[("user", alice)] == {
        "kind": "user",
        "principal": alice,
        "display_name": entries[("user", alice)]["display_name"],
        "level": "CAN_QUERY",
        "direct_level": "CAN_QUERY",
        "inherited": False,
        "source": "direct",
    }
    admins = entries[("group", "admins")]
    assert admins["level"] == "CAN_MANAGE" and admins["inherited"] is True
    assert admins["source"] == ROOT and admins["direct_level"] is None
    assert ("user", alice) not in by_principal(two)
    assert missing["readable"] is False and missing["entries"] == []
    assert missing["error"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_access_says_per_endpoint_which_acls_the_caller_may_not_read(
    client: ServingClient, workspace: LocalWorkspace, endpoints: list[str], comms: CommLog
) -> None:
    viewed, hidden, _ = endpoints
    bob, token = new_user(workspace, "bob")
    client.grant(viewed, "CAN_MANAGE", user=bob)
    with workspace.client(token) as as_bob:
        view = PanelView(ServingExplorer(client=as_bob), comms)
        answer = view.result("explorer.access", names=[viewed, hidden])
    readable, refused = answer["endpoints"]
    assert readable["readable"] is True
    assert by_principal(readable)[("user", bob)]["level"] == "CAN_MANAGE"
    assert refused["readable"] is False
    assert refused["error"]["status"] == 403


def test_access_refuses_a_bad_batch(client: ServingClient, comms: CommLog) -> None:
    view = PanelView(ServingExplorer(client=client), comms)
    assert view.error("explorer.access", names=[])["error_code"] == "INVALID_PARAMETER_VALUE"
    assert (
        "at most 200"
        in view.error("explorer.access", names=[f"e{i}" for i in range(201)])["message"]
    )


def test_access_df_from_python(
    client: ServingClient, workspace: LocalWorkspace, endpoints: list[str]
) -> None:
    first = endpoints[0]
    alice, _token = new_user(workspace, "alice")
    client.grant(first, "CAN_VIEW", user=alice)
    frame = ServingExplorer(client=client).access_df()
    mine = frame[(frame["endpoint"] == first) & (frame["principal"] == alice)]
    assert list(mine["level"].astype(str)) == ["CAN_VIEW"]
    assert set(endpoints) <= set(frame["endpoint"])


def test_a_grant_is_previewed_then_applied_exactly_with_a_result_per_endpoint(
    client: ServingClient, workspace: LocalWorkspace, endpoints: list[str], comms: CommLog
) -> None:
    first, second, third = endpoints
    carol, _token = new_user(workspace, "carol")
    client.grant(second, "CAN_QUERY", user=carol)
    view = PanelView(ServingExplorer(client=client), comms)
    gone = unique("gone")

    preview = view.result(
        "explorer.grants.preview",
        names=[first, second, third, gone],
        kind="user",
        name=carol,
        level="CAN_QUERY",
    )
    assert preview["principal"] == {"kind": "user", "name": carol}
    writes = {w["endpoint"]: w for w in preview["writes"]}
    assert list(writes) == [first, second, third, gone]
    assert writes[first]["status"] == "send"
    assert writes[first]["method"] == "PATCH"
    assert writes[first]["path"] == f"/api/2.0/permissions/serving-endpoints/{client.get(first).id}"
    assert carol in writes[first]["body"]
    assert (writes[first]["before"], writes[first]["after"]) == (None, "CAN_QUERY")
    assert writes[second]["status"] == "unchanged" and writes[second]["method"] is None
    assert writes[gone]["status"] == "failed"
    # Nothing was sent by the preview.
    assert ("user", carol) not in acl.direct_acl(client.permissions(first).grants)

    # The third's ACL changes after the preview: refused as stale, nothing sent there.
    client.grant(third, "CAN_VIEW", user=carol)
    applied = view.result("explorer.grants.apply", plan_id=preview["plan_id"], force=False)
    results = {r["endpoint"]: r for r in applied["results"]}
    assert list(results) == [first, second, third, gone]
    assert applied["ok"] is False
    assert (results[first]["outcome"], results[first]["sent"]) == ("done", True)
    assert results[first]["after"] == "CAN_QUERY"
    assert results[second]["outcome"] == "unchanged"
    assert (results[third]["outcome"], results[third]["sent"]) == ("stale", False)
    assert results[gone]["outcome"] == "failed"
    assert acl.direct_acl(client.permissions(first).grants)[("user", carol)] == "CAN_QUERY"
    assert acl.direct_acl(client.permissions(third).grants)[("user", carol)] == "CAN_VIEW"

    # A preview is applied at most once.
    again = view.error("explorer.grants.apply", plan_id=preview["plan_id"])
    assert again["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_revoke_says_not_granted_and_a_lockout_needs_force(
    client: ServingClient, workspace: LocalWorkspace, endpoints: list[str], comms: CommLog
) -> None:
    first, second, _ = endpoints
    dave, _token = new_user(workspace, "dave")
    client.grant(first, "CAN_QUERY", user=dave)
    view = PanelView(ServingExplorer(client=client), comms)

    revoke = view.result(
        "explorer.grants.preview", names=[first, second], kind="user", name=dave, level=None
    )
    assert [w["status"] for w in revoke["writes"]] == ["send", "not_granted"]
    applied = view.result("explorer.grants.apply", plan_id=revoke["plan_id"])
    assert [r["outcome"] for r in applied["results"]] == ["done", "not_granted"]
    assert ("user", dave) not in acl.direct_acl(client.permissions(first).grants)

    # Removing the caller's own CAN_MANAGE locks them out: refused unless forced.
    me = client.me().name
    lockout = view.result(
        "explorer.grants.preview", names=[first], kind="user", name=me, level="CAN_VIEW"
    )
    assert [w["status"] for w in lockout["writes"]] == ["locked_out"]
    refused = view.result("explorer.grants.apply", plan_id=lockout["plan_id"], force=False)
    assert [(r["outcome"], r["sent"]) for r in refused["results"]] == [("locked_out", False)]
    assert acl.direct_acl(client.permissions(first).grants)[("user", me)] == "CAN_MANAGE"

    lockout = view.result(
        "explorer.grants.preview", names=[first], kind="user", name=me, level="CAN_VIEW"
    )
    forced = view.result("explorer.grants.apply", plan_id=lockout["plan_id"], force=True)
    assert [(r["outcome"], r["sent"]) for r in forced["results"]] == [("done", True)]
    assert acl.direct_acl(client.permissions(first).grants)[("user", me)] == "CAN_VIEW"


def test_a_preview_refuses_a_bad_principal_or_level(
    client: ServingClient, endpoints: list[str], comms: CommLog
) -> None:
    view = PanelView(ServingExplorer(client=client), comms)
    names = endpoints[:1]
    bad_kind = view.error("explorer.grants.preview", names=names, kind="x", name="a", level=None)
    assert bad_kind["message"].startswith("kind:")
    no_level = view.error("explorer.grants.preview", names=names, kind="user", name="a@b.c")
    assert no_level["message"].startswith("level:")
    bad_level = view.error(
        "explorer.grants.preview", names=names, kind="user", name="a@b.c", level="CAN_FLY"
    )
    assert bad_level["message"].startswith("level:")
    assert view.error("explorer.grants.apply", plan_id="plan-999")["status"] == 400


def test_principals_are_looked_up_as_in_the_panel(
    client: ServingClient, workspace: LocalWorkspace, comms: CommLog
) -> None:
    erin, _token = new_user(workspace, "erin")
    view = PanelView(ServingExplorer(client=client), comms)
    found = view.result("principals.lookup", query=erin.split("@")[0])
    assert found["available"] is True
    assert ("user", erin) in {(r["kind"], r["name"]) for r in found["results"]}
    assert view.error("principals.lookup", query="e")["status"] == 400
