"""`QueriesFirst` answers the query routes' POSTs before Starlette's router: its pattern must
match exactly the paths (and give exactly the path parameters) that those routes would."""

from __future__ import annotations

import pytest
from starlette.routing import Match

from serving_panel.local.api.routes.invocations import QUERY_PATH, invoke, routes

PATHS = [
    "/serving-endpoints/ads/invocations",
    "/serving-endpoints/ads/served-models/champion/invocations",
    "/serving-endpoints/served-models/invocations",
    "/serving-endpoints/ads/served-models/invocations",
    "/serving-endpoints/a b/invocations",
    "/serving-endpoints/ads/invocations/",
    "/serving-endpoints//invocations",
    "/serving-endpoints/ads/served-models//invocations",
    "/serving-endpoints/a/b/invocations",
    "/serving-endpoints/chat/completions",
    "/serving-endpoints/chat/invocations",
    "/api/2.0/serving-endpoints/ads/invocations",
    "/serving-endpoints/ads/invocationsx",
]


def starlette_match(path: str) -> dict[str, str] | None:
    scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "headers": []}
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.FULL:
            return dict(child["path_params"]) if route.endpoint is invoke else None
    return None


@pytest.mark.parametrize("path", PATHS)
def test_the_pattern_matches_as_the_routes_do(path: str) -> None:
    found = QUERY_PATH.fullmatch(path)
    params = None
    if found is not None:
        params = {k: v for k, v in found.groupdict().items() if v is not None}
    assert params == starlette_match(path)
