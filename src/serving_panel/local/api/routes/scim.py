"""A minimal SCIM (/api/2.0/preview/scim/v2): Me, and Users, Groups and ServicePrincipals
listed with a `filter`, so clients can look principals up by name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving_panel.local.api.routes.common import caller, json_response, workspace
from serving_panel.local.state.errors import ApiError
from serving_panel.local.state.store import Principal, Store

PREFIX = "/api/2.0/preview/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

_CLAUSE = re.compile(r'\s*(\w+)\s+(eq|co|sw|ne)\s+"((?:[^"\\]|\\.)*)"\s*', re.IGNORECASE)
_JOIN = re.compile(r"(and|or)\b", re.IGNORECASE)


def _scim_error(detail: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", detail)


def _tokens(text: str) -> list[list[tuple[str, str, str]]]:
    """`a eq "x" and b co "y" or c sw "z"` → [[a, b], [c]]: `and` binds tighter than `or`.

    Scanned left to right so quoted values may contain the words and/or."""
    alternatives: list[list[tuple[str, str, str]]] = [[]]
    position = 0
    while True:
        clause = _CLAUSE.match(text, position)
        if clause is None:
            rest = text[position:].strip() or "(nothing)"
            raise _scim_error(
                f'filter: cannot parse {rest!r}; use attribute op "value" '
                "with op one of eq, ne, co, sw, joined by and/or"
            )
        value = re.sub(r"\\(.)", r"\1", clause.group(3)).lower()
        alternatives[-1].append((clause.group(1), clause.group(2).lower(), value))
        position = clause.end()
        if position >= len(text):
            return alternatives
        join = _JOIN.match(text, position)
        if join is None:
            raise _scim_error(f"filter: expected 'and' or 'or' at {text[position:]!r}")
        if join.group(1).lower() == "or":
            alternatives.append([])
        position = join.end()


def parse_filter(text: str | None) -> Callable[[dict[str, Any]], bool]:
    """`attr op "value"` clauses joined by `and` or `or` (no parentheses); case-insensitive."""
    if not text or not text.strip():
        return lambda resource: True
    alternatives = _tokens(text)

    def matches(resource: dict[str, Any]) -> bool:
        lowered = {k.lower(): v for k, v in resource.items()}
        for clauses in alternatives:
            ok = True
            for attribute, op, value in clauses:
                actual = str(lowered.get(attribute.lower(), "")).lower()
                ok = ok and (
                    (op == "eq" and actual == value)
                    or (op == "ne" and actual != value)
                    or (op == "co" and value in actual)
                    or (op == "sw" and actual.startswith(value))
                )
            if ok:
                return True
        return False

    return matches


def _refs(principals: list[Principal]) -> list[dict[str, str]]:
    return [
        {"display": p.display_name, "value": str(p.id), "$ref": f"Groups/{p.id}"}
        for p in principals
    ]


def user_resource(store: Store, user: Principal) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.id),
        "userName": user.name,
        "displayName": user.display_name,
        "active": True,
        "emails": [{"value": user.name, "primary": True, "type": "work"}],
        "groups": _refs(store.groups_of(user)),
    }


def sp_resource(store: Store, principal: Principal) -> dict[str, Any]:
    return {
        "schemas": [SP_SCHEMA],
        "id": str(principal.id),
        "applicationId": principal.name,
        "displayName": principal.display_name,
        "active": True,
        "groups": _refs(store.groups_of(principal)),
    }


def group_resource(store: Store, group: Principal) -> dict[str, Any]:
    return {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.id),
        "displayName": group.name,
        "members": [
            {"display": m.display_name, "value": str(m.id)} for m in store.members_of(group)
        ],
    }


def _page(request: Request, resources: list[dict[str, Any]]) -> JSONResponse:
    matches = parse_filter(request.query_params.get("filter"))
    selected = [r for r in resources if matches(r)]
    try:
        start = max(1, int(request.query_params.get("startIndex", "1")))
        count = int(request.query_params.get("count", str(len(selected) or 1)))
    except ValueError as error:
        raise _scim_error("startIndex and count must be integers") from error
    page = selected[start - 1 : start - 1 + max(count, 0)]
    return json_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(selected),
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": page,
        }
    )


async def me(request: Request) -> JSONResponse:
    who = caller(request)
    store = workspace(request).store
    if who.principal.kind == "service_principal":
        resource = sp_resource(store, who.principal)
        resource["userName"] = who.principal.name
        return json_response(resource)
    return json_response(user_resource(store, who.principal))


async def users(request: Request) -> JSONResponse:
    caller(request)
    store = workspace(request).store
    return _page(request, [user_resource(store, u) for u in store.list_principals("user")])


async def groups(request: Request) -> JSONResponse:
    caller(request)
    store = workspace(request).store
    return _page(request, [group_resource(store, g) for g in store.list_principals("group")])


async def service_principals(request: Request) -> JSONResponse:
    caller(request)
    store = workspace(request).store
    return _page(
        request, [sp_resource(store, p) for p in store.list_principals("service_principal")]
    )


routes = [
    Route(PREFIX + "/Me", me, methods=["GET"]),
    Route(PREFIX + "/Users", users, methods=["GET"]),
    Route(PREFIX + "/Groups", groups, methods=["GET"]),
    Route(PREFIX + "/ServicePrincipals", service_principals, methods=["GET"]),
]
