"""What every part of `ServingClient` stands on: the JSON call, the endpoint reads, and the
name-to-id cache the permissions API needs.

`ServingClient` (client.py) is composed of one class per job (`_client_*.py`), each a
subclass of `ClientCore`, or of the parts whose methods it calls (the permission writes ask
`me()`, the DataFrames wrap everything): every call between parts is typed and checked, with no
Protocol to keep in step. Apart from client.py because every part stands on it and client.py
stands on every part. The state is declared here and set by `ServingClient.__init__`; nothing
here is public but through `ServingClient`.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from serving_panel import _checks
from serving_panel._history import ConfigHistory
from serving_panel._http import Transport
from serving_panel.config import Connection
from serving_panel.errors import NotFound, UnexpectedResponse
from serving_panel.types import Endpoint

API = "/api/2.0/serving-endpoints"
_T = TypeVar("_T")
_ENDPOINT_ID = re.compile(r"^[0-9a-f]{32}$")


class ClientCore:
    """The transport, the caches, and the reads every other part of the client calls."""

    connection: Connection
    max_workers: int
    _transport: Transport
    _ids: dict[str, str]
    _history: ConfigHistory

    def _json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self._transport.request(method, path, json_body=body, **kwargs).json()

    def _seen(self, endpoint: Endpoint) -> Endpoint:
        """Remembers the endpoint's id and configs (for permissions and rollback)."""
        if endpoint.id:
            self._ids[endpoint.name] = endpoint.id
        self._history.record(endpoint)
        return endpoint

    def endpoint_id(self, endpoint: str) -> str:
        """The id the permissions API needs, from an endpoint's name (or the id itself)."""
        if _ENDPOINT_ID.match(endpoint):
            return endpoint
        cached = self._ids.get(endpoint)
        if cached is None:
            cached = self.get(endpoint).id
        return cached

    def _by_id(self, endpoint: str, call: Callable[[str], _T]) -> _T:
        """`call(endpoint_id)`. When the id came from the name cache and is gone (another
        client deleted the endpoint and made a new one of that name), resolves the name once
        more and calls again: the user named the endpoint, and that is the one it names now.
        Safe for writes too: every write re-reads the ACL before it sends."""
        cached = None if _ENDPOINT_ID.match(endpoint) else self._ids.get(endpoint)
        try:
            return call(self.endpoint_id(endpoint))
        except NotFound:
            if cached is None:
                raise
            self._ids.pop(endpoint, None)
            fresh = self.endpoint_id(endpoint)  # raises ResourceDoesNotExist if gone for good
            if fresh == cached:
                raise
            return call(fresh)

    def _known_id(self, endpoint: str) -> str | None:
        return endpoint if _ENDPOINT_ID.match(endpoint) else self._ids.get(endpoint)

    def list(self) -> builtins.list[Endpoint]:
        """Every endpoint the caller can see (the API returns them in one page)."""
        answer = self._json("GET", API)
        return [self._seen(Endpoint.from_json(item)) for item in answer.get("endpoints") or []]

    def get(self, name: str) -> Endpoint:
        _checks.endpoint_name(name)
        return self._seen(Endpoint.from_json(self._json("GET", f"{API}/{name}")))


def json_object(answer: Any, method: str, path: str) -> Mapping[str, Any]:
    """`answer` when it is a JSON object, else `UnexpectedResponse` naming the call."""
    if not isinstance(answer, Mapping):
        raise UnexpectedResponse(
            f"expected a JSON object, got {type(answer).__name__}", method=method, path=path
        )
    return answer
