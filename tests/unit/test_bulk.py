"""The access view's effective levels, from ACL documents as the service sends them; and the
API family a 429 pauses."""

from __future__ import annotations

from typing import Any

from serving_panel import bulk
from serving_panel._http import api_family
from serving_panel.types import Permissions


def entry(key: str, name: str, *permissions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {key: name, "all_permissions": list(permissions), **extra}


def held(level: str, *inherited_from: str) -> dict[str, Any]:
    if not inherited_from:
        return {"permission_level": level, "inherited": False}
    return {"permission_level": level, "inherited": True, "inherited_from_object": inherited_from}


def test_the_effective_level_is_the_highest_held_and_says_where_it_comes_from() -> None:
    permissions = Permissions.from_json(
        {
            "object_id": "/serving-endpoints/0123456789abcdef0123456789abcdef",
            "access_control_list": [
                entry("user_name", "a@example.com", held("CAN_MANAGE"), display_name="A"),
                # direct CAN_VIEW under an inherited CAN_MANAGE: the inherited one counts
                entry(
                    "group_name",
                    "admins",
                    held("CAN_VIEW"),
                    held("CAN_MANAGE", "/serving-endpoints/"),
                ),
                # the same level held directly and inherited: both sources, direct first
                entry(
                    "service_principal_name",
                    "9d7c1e2a-0000-4000-8000-000000000000",
                    held("CAN_QUERY", "/serving-endpoints/", "/folders/7"),
                    held("CAN_QUERY"),
                ),
                # inherited without saying from where
                entry("group_name", "readers", {"permission_level": "CAN_VIEW", "inherited": True}),
            ],
        }
    )
    entries = {e.principal: e for e in bulk.entries_of(permissions)}
    a = entries["a@example.com"]
    assert (a.kind, a.level, a.direct_level, a.inherited, a.source, a.display_name) == (
        "user",
        "CAN_MANAGE",
        "CAN_MANAGE",
        False,
        "direct",
        "A",
    )
    admins = entries["admins"]
    assert (admins.level, admins.direct_level, admins.inherited, admins.source) == (
        "CAN_MANAGE",
        "CAN_VIEW",
        True,
        "/serving-endpoints/",
    )
    sp = entries["9d7c1e2a-0000-4000-8000-000000000000"]
    assert sp.kind == "service_principal"
    assert sp.sources == ("direct", "/serving-endpoints/", "/folders/7")
    assert not sp.inherited
    readers = entries["readers"]
    assert (readers.direct_level, readers.inherited, readers.source) == (
        None,
        True,
        "a parent object",
    )
    access = bulk.EndpointAccess("e", permissions.endpoint_id, permissions)
    [row] = [r for r in access.rows() if r.principal == "admins"]
    assert (row.level, row.direct_level, row.inherited, row.fingerprint) == (
        "CAN_MANAGE",
        "CAN_VIEW",
        True,
        permissions.fingerprint,
    )


def test_a_429_pauses_the_api_it_came_from_not_the_others() -> None:
    assert api_family("/api/2.0/permissions/serving-endpoints/abc") == "/api/2.0/permissions"
    assert api_family("/api/2.0/permissions/serving-endpoints/x?y=1") == "/api/2.0/permissions"
    assert api_family("/api/2.0/serving-endpoints/a/config") == "/api/2.0/serving-endpoints"
    assert api_family("/serving-endpoints/a/invocations") == "/serving-endpoints/a/invocations"
    assert api_family("/serving-endpoints/a/invocations") != api_family(
        "/serving-endpoints/b/invocations"
    )
