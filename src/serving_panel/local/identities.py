"""Users, groups, service principals and their tokens, written straight to a workspace's store.

The CLI and `LocalWorkspace` use these on the data directory while the server runs: SQLite in
WAL mode lets both processes write safely.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from serving_panel.local.state.auth import ADMINS_GROUP, USERS_GROUP
from serving_panel.local.state.errors import invalid
from serving_panel.local.state.store import Principal, Store, StoreConflictError

ADMIN_USER = "admin@serving-panel.local"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


def users_group(store: Store) -> Principal:
    return store.ensure_principal("group", USERS_GROUP)


def ensure_groups(store: Store, names: Iterable[str]) -> list[Principal]:
    groups = []
    for name in names:
        if not _GROUP.match(name):
            raise invalid(
                "group", f"{name!r}: group names use letters, digits, spaces, '.', '_', '-'"
            )
        groups.append(store.ensure_principal("group", name))
    return groups


def ensure_admin(store: Store) -> Principal:
    admins = store.ensure_principal("group", ADMINS_GROUP)
    admin = store.ensure_principal("user", ADMIN_USER, "Local Admin")
    store.add_member(admins, admin)
    store.add_member(users_group(store), admin)
    return admin


def add_user(
    store: Store, email: str, groups: Iterable[str] = (), display_name: str | None = None
) -> str:
    """Adds a user (or finds an existing one), joins them to groups, returns a new token."""
    if not _EMAIL.match(email):
        raise invalid("email", f"{email!r} is not an email address")
    user = store.ensure_principal("user", email, display_name)
    for group in [users_group(store), *ensure_groups(store, groups)]:
        store.add_member(group, user)
    return store.create_token(user)


def add_group(store: Store, name: str, members: Iterable[str] = ()) -> Principal:
    [group] = ensure_groups(store, [name])
    for member in members:
        principal = find_member(store, member)
        if principal is None:
            raise invalid("member", f"no user, service principal or group named {member!r}")
        store.add_member(group, principal)
    return group


def find_member(store: Store, name: str) -> Principal | None:
    for kind in ("user", "service_principal", "group"):
        found = store.find_principal(kind, name)
        if found is not None:
            return found
    return None


def add_service_principal(
    store: Store, display_name: str, application_id: str | None = None, groups: Iterable[str] = ()
) -> tuple[str, str]:
    """Adds a service principal; returns its application id and a new token."""
    if not display_name.strip():
        raise invalid("display_name", "is required")
    app_id = application_id or str(uuid.uuid4())
    try:
        principal = store.add_principal("service_principal", app_id, display_name)
    except StoreConflictError as error:
        raise invalid("application_id", f"{app_id!r} already exists") from error
    for group in [users_group(store), *ensure_groups(store, groups)]:
        store.add_member(group, principal)
    return app_id, store.create_token(principal)


def token_for(store: Store, name: str) -> str:
    """A new token for an existing user (email) or service principal (application id)."""
    principal = store.find_principal("user", name) or store.find_principal(
        "service_principal", name
    )
    if principal is None:
        raise invalid("name", f"no user or service principal named {name!r}")
    return store.create_token(principal)


def revoke_token(store: Store, token: str) -> None:
    """Revokes a token (the server checks every request against the store, so the next
    request with it gets 401); an unknown token is an error, so a typo is not taken for a
    revocation."""
    if not token.strip() or not store.delete_token(token.strip()):
        raise invalid("token", "no such token (already revoked, or never issued here)")
