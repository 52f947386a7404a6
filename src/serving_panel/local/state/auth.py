"""Who is calling, and what they may do on an endpoint.

Tokens map to users or service principals; principals belong to groups (nested groups count).
Members of `admins` hold CAN_MANAGE on every endpoint, inherited from `/serving-endpoints/`.
Everyone else gets the highest of their own and their groups' direct grants.

What each level allows (Databricks documents get, query, update and delete; the rest is this
workspace's decision, documented in docs/local-workspace.md):

    CAN_VIEW    get, list, metrics, openapi, read the ACL and permission levels
    CAN_QUERY   + invocations
    CAN_MANAGE  + update config, tags, AI gateway, rate limits, notifications, delete,
                  change permissions, and read build logs and server logs (they can hold
                  request payloads and whatever a model prints)
"""

from __future__ import annotations

from dataclasses import dataclass

from serving_panel import _wire
from serving_panel.local.state.errors import (
    ApiError,
    invalid_token,
    missing_token,
    permission_denied,
)
from serving_panel.local.state.store import Principal, Store, hash_token

LEVELS = _wire.PERMISSION_LEVELS
RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}
ADMINS_GROUP = "admins"
USERS_GROUP = "users"
INHERITED_FROM = "/serving-endpoints/"

LEVEL_DESCRIPTIONS = {
    "CAN_VIEW": "Can view the endpoint",
    "CAN_QUERY": "Can view and query the endpoint",
    "CAN_MANAGE": "Can manage the endpoint",
}


@dataclass(frozen=True)
class Caller:
    principal: Principal
    groups: tuple[Principal, ...]

    @property
    def is_admin(self) -> bool:
        return any(group.name == ADMINS_GROUP for group in self.groups)

    @property
    def label(self) -> str:
        return self.principal.name


def authenticate(store: Store, authorization: str | None) -> Caller:
    """The caller behind an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise missing_token()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise missing_token()
    token = token.strip()
    # Remembered whole until the database changes: the token, the principal and its groups
    # are all read from it, so a revocation or a change of groups counts on the next request.
    found = store.remembered(("caller", hash_token(token)), lambda: _caller_of(store, token))
    if found is None:
        raise invalid_token()
    return found


def _caller_of(store: Store, token: str) -> Caller | None:
    principal = store.principal_for_token(token)
    return None if principal is None else caller_for(store, principal)


def caller_for(store: Store, principal: Principal) -> Caller:
    """The principal as a caller, with the groups it belongs to now."""
    return Caller(principal, tuple(store.groups_of(principal)))


@dataclass(frozen=True)
class Guard:
    """What a write needs: the caller, the level, and the action (for the 403's wording).

    A route checks it when the request arrives (401, 404 and 403 come before the body is
    read); the backend checks it again inside the transaction that writes, against the record
    it writes, so a grant revoked while the body was in flight no longer counts."""

    caller: Caller
    needed: str
    action: str

    def check(self, store: Store, endpoint_id: str, endpoint_name: str) -> str:
        """The caller's level now (their groups and grants re-read), or a 403."""
        principal = store.principal_by_id(self.caller.principal.id)
        if principal is None:
            raise invalid_token()
        now = caller_for(store, principal)
        return require(store, now, endpoint_id, endpoint_name, self.needed, self.action)


def effective_level(store: Store, caller: Caller, endpoint_id: str) -> str | None:
    if caller.is_admin:
        return "CAN_MANAGE"
    ids = [caller.principal.id, *(group.id for group in caller.groups)]
    levels = store.direct_levels(endpoint_id, ids)
    return max(levels, key=lambda level: RANK.get(level, 0), default=None)


def require(
    store: Store, caller: Caller, endpoint_id: str, endpoint_name: str, needed: str, action: str
) -> str:
    """The caller's level on the endpoint, or a 403 naming the level the action needs."""
    level = effective_level(store, caller, endpoint_id)
    if level is None or RANK[level] < RANK[needed]:
        raise permission_denied(caller.label, needed, endpoint_name, action)
    return level


def is_valid_level(level: object) -> bool:
    return isinstance(level, str) and level in RANK


def check_level(level: object, field: str) -> str:
    if not is_valid_level(level):
        raise ApiError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"{field}: must be one of {', '.join(LEVELS)}, got {level!r}",
        )
    assert isinstance(level, str)
    return level
