"""The store remembers the lookups every query makes (token, groups, levels, endpoint by name)
only until the database changes: a write through this store, or through another connection to
the same file (as the handle in the caller's process makes), is seen by the very next lookup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from serving_panel.local.state import auth
from serving_panel.local.state.errors import ApiError
from serving_panel.local.state.store import Endpoint, Principal, Store


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """The server's store and another connection to the same file (the handle's)."""
    server = Store(tmp_path / "state.db")
    other = Store(tmp_path / "state.db")
    yield server, other
    server.close()
    other.close()


def _endpoint(name: str) -> Endpoint:
    return Endpoint(
        id=f"id-{name}",
        name=name,
        creator="alice",
        created_ms=1,
        updated_ms=1,
        ready="READY",
        config_update="NOT_UPDATING",
        last_config_version=1,
        config={"served_entities": []},
        pending_config=None,
        attributes={},
    )


def _user(store: Store, name: str) -> Principal:
    return store.add_principal("user", name)


def test_a_token_revoked_through_another_connection_is_unknown_at_once(
    stores: tuple[Store, Store],
) -> None:
    server, other = stores
    token = other.create_token(_user(other, "alice"))
    assert server.principal_for_token(token) is not None
    assert server.principal_for_token(token) is not None  # now remembered

    assert other.delete_token(token)
    assert server.principal_for_token(token) is None


def test_a_token_revoked_through_the_same_store_is_unknown_at_once(
    stores: tuple[Store, Store],
) -> None:
    server, _ = stores
    token = server.create_token(_user(server, "bob"))
    assert server.principal_for_token(token) is not None

    assert server.delete_token(token)
    assert server.principal_for_token(token) is None


def test_a_group_joined_through_another_connection_counts_at_once(
    stores: tuple[Store, Store],
) -> None:
    server, other = stores
    carol = _user(other, "carol")
    admins = other.add_principal("group", "admins")
    assert server.groups_of(carol) == []

    other.add_member(admins, carol)
    assert [group.name for group in server.groups_of(carol)] == ["admins"]


def test_a_level_revoked_through_another_connection_is_gone_at_once(
    stores: tuple[Store, Store],
) -> None:
    server, other = stores
    dave = _user(other, "dave")
    endpoint = other.create_endpoint(_endpoint("ads"), dave)
    other.merge_acl(endpoint.id, [(dave, "CAN_QUERY")])
    assert server.direct_levels(endpoint.id, [dave.id]) == ["CAN_QUERY"]

    other.set_acl(endpoint.id, [])
    assert server.direct_levels(endpoint.id, [dave.id]) == []


def test_a_shared_endpoint_deleted_or_changed_elsewhere_is_read_again(
    stores: tuple[Store, Store],
) -> None:
    server, other = stores
    erin = _user(other, "erin")
    endpoint = other.create_endpoint(_endpoint("ads"), erin)
    first = server.endpoint_by_name("ads", shared=True)
    assert first is not None
    assert server.endpoint_by_name("ads", shared=True) is first  # remembered

    other.update_endpoint(endpoint.id, lambda e: Endpoint(**{**e.__dict__, "ready": "NOT_READY"}))
    changed = server.endpoint_by_name("ads", shared=True)
    assert changed is not None
    assert changed.ready == "NOT_READY"

    other.delete_endpoint(endpoint.id)
    assert server.endpoint_by_name("ads", shared=True) is None


def test_an_unshared_endpoint_is_a_record_of_its_own(stores: tuple[Store, Store]) -> None:
    server, _ = stores
    server.create_endpoint(_endpoint("ads"), _user(server, "frank"))
    assert server.endpoint_by_name("ads") is not server.endpoint_by_name("ads")


def test_reads_inside_a_rolled_back_transaction_are_not_remembered(
    stores: tuple[Store, Store],
) -> None:
    server, _ = stores
    grace = _user(server, "grace")
    token = "dapi-rolled-back"
    seen_inside: list[Principal | None] = []

    def refused_write() -> None:
        with server.locked_endpoint("none"):
            server.add_token(grace, token)
            seen_inside.append(server.principal_for_token(token))  # uncommitted, yet seen
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused_write()
    assert seen_inside[0] is not None
    assert server.principal_for_token(token) is None


def test_lookups_in_one_block_answer_as_of_its_start_and_the_next_sees_a_change(
    stores: tuple[Store, Store],
) -> None:
    """A query's door checks look at the database's version once; a revocation committed
    meanwhile elsewhere counts from the next lookup outside the block."""
    server, other = stores
    token = other.create_token(_user(other, "heidi"))
    assert server.principal_for_token(token) is not None  # remembered
    with server.lookups():
        other.delete_token(token)  # another process's commit, mid-block
        assert server.principal_for_token(token) is not None
    assert server.principal_for_token(token) is None
    with server.lookups():
        assert server.principal_for_token(token) is None


def test_a_write_through_the_same_store_inside_a_block_is_seen_at_once(
    stores: tuple[Store, Store],
) -> None:
    server, _ = stores
    token = server.create_token(_user(server, "ivan"))
    with server.lookups():
        assert server.principal_for_token(token) is not None
        assert server.delete_token(token)
        assert server.principal_for_token(token) is None


def test_the_caller_behind_a_token_is_read_again_once_anything_changes(
    stores: tuple[Store, Store],
) -> None:
    """`auth.authenticate` remembers the whole caller (principal and groups) per token: a
    group joined or a token revoked through another connection counts on the next request."""
    server, other = stores
    judy = _user(other, "judy")
    token = other.create_token(judy)
    first = auth.authenticate(server, f"Bearer {token}")
    assert first.groups == ()
    assert auth.authenticate(server, f"Bearer {token}") is first  # remembered

    other.add_member(other.add_principal("group", "admins"), judy)
    assert auth.authenticate(server, f"Bearer {token}").is_admin

    other.delete_token(token)
    with pytest.raises(ApiError) as refused:
        auth.authenticate(server, f"Bearer {token}")
    assert str(refused.value) == "Invalid access token."
