"""Who is who in the workspace (SCIM): the client's own identity, and principal search.

Apart from the serving APIs because it reads another API (`/api/2.0/preview/scim/v2`) with its
own filter syntax and its own failures (a caller may read users but not groups); the
permission writes ask it one thing only, `me()`, for the lock-out guard.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from serving_panel import _checks
from serving_panel._client_core import ClientCore, json_object
from serving_panel.errors import ClientValidationError, ServingError, UnexpectedResponse
from serving_panel.types import Principal

SCIM = "/api/2.0/preview/scim/v2"
#: SCIM resources a principal search reads, with the filter each takes (`{q}` is the quoted query).
_SEARCHES = (
    ("user", "Users", "userName co {q} or displayName co {q}"),
    ("group", "Groups", "displayName co {q}"),
    ("service_principal", "ServicePrincipals", "displayName co {q} or applicationId co {q}"),
)


class PrincipalMethods(ClientCore):
    """`ServingClient.me` and `find_principals`."""

    _me: Principal | None

    def me(self) -> Principal:
        """Who this client acts as (SCIM ``Me``), named as an ACL names it. Read once per
        client: a token's identity does not change."""
        if self._me is None:
            path = f"{SCIM}/Me"
            principal = Principal.from_scim_me(json_object(self._json("GET", path), "GET", path))
            if principal is None:
                raise UnexpectedResponse(
                    "SCIM Me names neither a userName nor an applicationId",
                    method="GET",
                    path=path,
                )
            self._me = principal
        return self._me

    def find_principals(self, query: str, *, limit: int = 10) -> builtins.list[Principal]:
        """Users (userName or displayName contains `query`), groups (displayName) and service
        principals (displayName or applicationId), at most `limit` of each, users first.

        A kind whose search fails is left out (a caller may read users but not groups); when
        all three fail, the last error is raised (say, a workspace without SCIM access).
        """
        text = _checks.principal_query(query, "query")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise ClientValidationError(f"limit: must be an integer from 1 to 100, got {limit!r}")
        quoted = _scim_string(text)
        found: builtins.list[Principal] = []
        seen: set[tuple[str, str]] = set()
        failure: ServingError | None = None
        answered = 0
        for kind, resource, template in _SEARCHES:
            path = f"{SCIM}/{resource}"
            params = {"filter": template.format(q=quoted), "count": limit}
            try:
                answer = json_object(self._json("GET", path, params=params), "GET", path)
            except ServingError as error:
                failure = error
                continue
            answered += 1
            listed = answer.get("Resources")
            for item in (listed if isinstance(listed, list) else [])[:limit]:
                principal = Principal.from_scim(kind, item) if isinstance(item, Mapping) else None
                if principal is not None and principal.key not in seen:
                    seen.add(principal.key)
                    found.append(principal)
        if answered == 0 and failure is not None:
            raise failure
        return found


def _scim_string(text: str) -> str:
    """A SCIM filter string literal: quoted, with backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
