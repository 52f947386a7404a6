"""Asking an endpoint: its query schema (`openapi`), a query, and a streamed query's chunks.

Apart from the rest of the client because these talk to the endpoint's invocation routes
(`/serving-endpoints/{name}/invocations`), not the management API, and answer the model's JSON
as it comes, or a `QueryStream` of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from serving_panel import _checks
from serving_panel._client_core import API, ClientCore
from serving_panel.errors import ClientValidationError
from serving_panel.types import QueryResult


class QueryMethods(ClientCore):
    """`ServingClient.openapi`, `query` and `query_stream`."""

    def openapi(self, name: str) -> dict[str, Any]:
        _checks.endpoint_name(name)
        answer: dict[str, Any] = self._json("GET", f"{API}/{name}/openapi", accept="text/plain")
        return answer

    def query(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        served_entity: str | None = None,
        **inputs: Any,
    ) -> QueryResult:
        """Invokes the endpoint (CAN_QUERY); `served_entity` targets one entity directly.

        Give the body as `payload` or as keywords: dataframe_split=, dataframe_records=,
        instances=, inputs=, or a DataFrame as `dataframe=` (sent as dataframe_split).
        A body asking for `"stream": true` goes through `query_stream`.
        """
        path, body = _query_request(name, payload, served_entity, inputs)
        response = self._transport.request("POST", path, json_body=body)
        return QueryResult.from_json(response.json(), response.headers.get("served-model-name"))

    def query_stream(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        served_entity: str | None = None,
        **inputs: Any,
    ) -> QueryStream:
        """Invokes the endpoint with `"stream": true` (added to the body) and returns the
        answer's chunks as they arrive: iterate the `QueryStream` (each chunk is the JSON of
        one `data:` line, up to `data: [DONE]`), or use it as a context manager to close the
        connection early. Errors before the stream starts raise as `query`'s do."""
        path, body = _query_request(name, payload, served_entity, inputs)
        body["stream"] = True
        response = self._transport.request("POST", path, json_body=body, stream=True)
        return QueryStream(response.lines(), response.close, response.headers)


def _query_request(
    name: str,
    payload: Mapping[str, Any] | None,
    served_entity: str | None,
    inputs: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    """The path and body of a query: the endpoint's (its traffic split) or one entity's."""
    _checks.endpoint_name(name)
    body = dict(payload or {})
    frame = inputs.pop("dataframe", None)
    if frame is not None:
        body["dataframe_split"] = frame.to_dict(orient="split")
    body.update(inputs)
    if not body:
        raise ClientValidationError(
            "query: give an input (dataframe_split, dataframe_records, instances or inputs)"
        )
    if served_entity is None:
        return f"/serving-endpoints/{name}/invocations", body
    _checks.served_entity_name(served_entity, "served_entity")
    return f"/serving-endpoints/{name}/served-models/{served_entity}/invocations", body


class QueryStream:
    """A streamed query's answer: iterate it for the chunks (the JSON of each `data:` line)
    as they arrive; `served_entity` is the entity that answers (the `served-model-name`
    header). The connection closes at `data: [DONE]`, at the end of the body, or on `close()`
    (a `with` block closes it too)."""

    def __init__(
        self, lines: Iterable[bytes], close: Callable[[], None], headers: Mapping[str, str]
    ) -> None:
        self._lines = iter(lines)
        self._close = close
        self.served_entity: str | None = headers.get("served-model-name")
        self.status = 200

    def __iter__(self) -> QueryStream:
        return self

    def __next__(self) -> Any:
        for line in self._lines:
            if not line.startswith(b"data:"):
                continue  # blank separators, `event:` and `:` comment lines
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            try:
                return json.loads(data)
            except ValueError:
                return data.decode("utf-8", errors="replace")
        self.close()
        raise StopIteration

    def close(self) -> None:
        self._close()

    def __enter__(self) -> QueryStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"QueryStream(served_entity={self.served_entity!r})"
