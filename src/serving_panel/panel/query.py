"""The Query tab: a request editor prefilled from what the endpoint tells, Send to the endpoint
(its traffic split) or one served entity, the answer with its status, latency and answering
entity, streamed answers piece by piece, this session's history, and "Copy as" snippets.

The request is sent by the kernel through `ServingClient.query` (or `query_stream` when the
body asks for ``"stream": true``), so the token never leaves the kernel; latency is measured
there, around the call (for a stream, up to its last chunk).

Requests (the envelope is `protocol`'s):

``query.prefill``  ``{served_entity?}`` → ``{request, source, note, permission_level,
can_query, needed_level}``
    What the editor starts with. ``source`` says where it came from, the first that answers:
    ``"openapi"``, an example built from the endpoint's OpenAPI document (the service gives one
    only for a READY endpoint whose models were logged with a signature; the path of
    ``served_entity`` when given); ``"history"``, the last request sent from this panel;
    ``"skeleton"``, a ``{"dataframe_records": [...]}`` to fill in. The service's API gives
    neither a model's input example nor its signature apart from that document, so there is no
    step for them. ``note`` says why an earlier source gave nothing (text for the view).
    ``can_query`` is false when the caller's ``permission_level`` is known and below
    ``needed_level`` (CAN_QUERY).

``query.send``  ``{request, served_entity?}`` → ``{status, latency_ms, served_entity, body,
streamed, chunks, stream_error, entry}``
    Sends ``request`` (a JSON object) to the endpoint, or to ``served_entity``. The service's
    refusals are answers, not errors: a 400 for a bad body, a 403 without CAN_QUERY, a 404
    for an unknown entity come back with their ``status`` and the service's error body as
    ``body`` (``{error_code, message}``). ``served_entity`` is the entity that answered (the
    ``served-model-name`` header), null when none did. When the body asks for
    ``"stream": true``, each chunk is sent ahead of the reply as a partial message
    ``{"index": n, "chunk": <the data line's JSON>}`` (protocol.py), in order, and the reply's
    ``body`` is the list of chunks (``chunks`` counts them); a stream cut short keeps what came
    and says why in ``stream_error``. ``entry`` is the history entry the send added. A body
    that is not a JSON object is a 400 INVALID_PARAMETER_VALUE reply error; nothing is sent.

``query.history``  ``{}`` → ``{entries, limit}``
    This session's sends, oldest first, at most ``limit`` (`HISTORY_LIMIT`): each
    ``{id, at, target, request, status, latency_ms, served_entity, streamed}`` (``at`` in epoch
    ms; ``target`` the entity asked for, null for the endpoint). Kept in the kernel only.

``query.snippets``  ``{request, served_entity?}`` → ``{curl, serving_client, sdk, cli, sql}``
    "Copy as" for the request (serving_panel.snippets.query): no token in any of them.

From Python, `history_df()` (the widget's ``query_history_df``) gives the history as a frame.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import snippets
from serving_panel.errors import ApiError, ServingError
from serving_panel.panel.protocol import invalid, request_error, send_partial

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.panel.protocol import PanelHost

__all__ = ["HISTORY_LIMIT", "PanelQuery", "example_from_openapi", "install"]

#: Sends kept in the history, the oldest dropped first.
HISTORY_LIMIT = 50
#: The level querying needs, and the levels that include it.
NEEDED_LEVEL = "CAN_QUERY"
_QUERY_LEVELS = ("CAN_QUERY", "CAN_MANAGE")
#: The editor's last resort: the shape most models take, to be filled in.
SKELETON: dict[str, Any] = {"dataframe_records": [{"column": "value"}]}
#: Input formats tried in this order when an OpenAPI request schema offers several.
_FORMATS = ("dataframe_records", "inputs", "instances", "dataframe_split", "messages", "prompt")


class PanelQuery:
    """The Query tab's handlers of one panel, and its session history."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel
        self._history: deque[dict[str, Any]] = deque(maxlen=HISTORY_LIMIT)
        self._sent = 0
        # `send` runs on the widget's background threads: the history is read and added to
        # under this lock.
        self._lock = threading.Lock()

    # Requests ----------------------------------------------------------------------------

    def prefill(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        target = _target(payload)
        level = self._panel.snapshot.get("permission_level")
        level = level if isinstance(level, str) else None
        answer: dict[str, Any] = {
            "permission_level": level,
            "can_query": level is None or level in _QUERY_LEVELS,
            "needed_level": NEEDED_LEVEL,
        }
        notes: list[str] = []
        try:
            document = self._panel.client.openapi(self._panel.endpoint_name)
        except ServingError as error:
            message = error.message if isinstance(error, ApiError) else str(error)
            notes.append(f"No OpenAPI document: {message}")
        else:
            example = example_from_openapi(document, target)
            if example is not None:
                return {**answer, "request": example, "source": "openapi", "note": ""}
            notes.append("The OpenAPI document describes no request body.")
        entries = self._entries()
        if entries:
            last = entries[-1]["request"]
            notes.append("The last request sent from this panel.")
            return {**answer, "request": last, "source": "history", "note": " ".join(notes)}
        notes.append("A skeleton: name the model's input columns.")
        return {**answer, "request": SKELETON, "source": "skeleton", "note": " ".join(notes)}

    def send(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        request = _request(payload)
        target = _target(payload)
        client = self._panel.client
        name = self._panel.endpoint_name
        streamed = request.get("stream") is True
        chunks: list[Any] = []
        body: Any
        stream_error: str | None = None
        started = time.perf_counter()
        try:
            if streamed:
                stream = client.query_stream(name, request, served_entity=target)
                answered = stream.served_entity
                try:
                    for chunk in stream:
                        send_partial(self._panel, {"index": len(chunks), "chunk": chunk})
                        chunks.append(chunk)
                except Exception as error:  # a stream cut mid-way: what came is kept
                    stream_error = f"{type(error).__name__}: {error}"
                finally:
                    stream.close()
                status, body = 200, chunks
            else:
                result = client.query(name, request, served_entity=target)
                status, body, answered = 200, result.to_json(), result.served_entity
        except ApiError as error:
            status, answered = error.status, None
            refusal: dict[str, Any] = {"error_code": error.error_code, "message": error.message}
            if error.details:
                refusal["details"] = error.details
            body = refusal
        except ServingError as error:
            raise request_error(error) from None
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        entry = self._remember(request, target, status, latency_ms, answered, streamed, body)
        return {
            "status": status,
            "latency_ms": latency_ms,
            "served_entity": answered,
            "body": body,
            "streamed": streamed,
            "chunks": len(chunks),
            "stream_error": stream_error,
            "entry": entry,
        }

    def history(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {"entries": [_public(entry) for entry in self._entries()], "limit": HISTORY_LIMIT}

    def snippets(self, payload: Mapping[str, Any]) -> dict[str, str]:
        request = _request(payload)
        target = _target(payload)
        try:
            return snippets.query(self._panel.endpoint_name, request, served_entity=target)
        except ServingError as error:
            raise request_error(error) from None

    # From Python -------------------------------------------------------------------------

    def history_df(self) -> pd.DataFrame:
        """This session's queries from the panel, oldest first: when, the target (None for
        the endpoint), the request, status, latency in ms, the entity that answered, whether
        it streamed, and the response body."""
        import pandas as pd

        columns = [
            "at",
            "target",
            "request",
            "status",
            "latency_ms",
            "served_entity",
            "streamed",
            "response",
        ]
        rows = [{key: entry[key] for key in columns} for entry in self._entries()]
        frame = pd.DataFrame(rows, columns=columns)
        frame["at"] = pd.to_datetime(frame["at"], unit="ms", utc=True)
        result: pd.DataFrame = frame
        return result

    def _remember(
        self,
        request: dict[str, Any],
        target: str | None,
        status: int,
        latency_ms: float,
        answered: str | None,
        streamed: bool,
        body: Any,
    ) -> dict[str, Any]:
        with self._lock:
            self._sent += 1
            sent = self._sent
        entry = {
            "id": sent,
            "at": int(time.time() * 1000),
            "target": target,
            "request": request,
            "status": status,
            "latency_ms": latency_ms,
            "served_entity": answered,
            "streamed": streamed,
            "response": body,
        }
        with self._lock:
            self._history.append(entry)
        return _public(entry)

    def _entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._history)


def install(panel: PanelHost) -> PanelQuery:
    """Registers the Query tab's request kinds on `panel`."""
    handlers = PanelQuery(panel)
    panel.register_request("query.prefill", handlers.prefill)
    panel.register_request("query.send", handlers.send, background=True)
    panel.register_request("query.history", handlers.history)
    panel.register_request("query.snippets", handlers.snippets)
    return handlers


def example_from_openapi(document: Mapping[str, Any], served_entity: str | None) -> Any:
    """A request built from the endpoint's OpenAPI document: the path of `served_entity`
    (else the first), its request schema's first format in `_FORMATS` order, with a
    placeholder per field (the schema's example or enum value when it gives one). None when
    the document describes no request body."""
    paths = document.get("paths")
    if not isinstance(paths, Mapping) or not paths:
        return None
    chosen = next(iter(paths.values()))
    if served_entity is not None:
        chosen = paths.get(f"/served-models/{served_entity}/invocations", chosen)
    try:
        schema = chosen["post"]["requestBody"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None
    if not isinstance(schema, Mapping):
        return None
    options = [o for o in schema.get("oneOf", [schema]) if isinstance(o, Mapping)]

    def rank(option: Mapping[str, Any]) -> int:
        keys = list(option.get("properties") or {})
        return next((_FORMATS.index(k) for k in keys if k in _FORMATS), len(_FORMATS))

    for option in sorted(options, key=rank):
        example = _example(option, None, 0)
        if isinstance(example, dict) and example:
            return example
    return None


def _example(schema: Any, name: str | None, depth: int) -> Any:
    """A placeholder value for a JSON schema (the subset the service's documents use)."""
    if not isinstance(schema, Mapping) or depth > 8:
        return None
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _example(schema[key][0], name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {str(k): _example(v, str(k), depth + 1) for k, v in properties.items()}
    if kind == "array":
        if isinstance(schema.get("prefixItems"), list):
            return [_example(item, None, depth + 1) for item in schema["prefixItems"]]
        return [_example(schema.get("items", {}), name, depth + 1)]
    return {"string": "example", "integer": 0, "number": 0.0, "boolean": False}.get(str(kind))


def _request(payload: Mapping[str, Any]) -> dict[str, Any]:
    request = payload.get("request")
    if not isinstance(request, Mapping):
        raise invalid("request", "must be a JSON object holding the model's input")
    if not request:
        raise invalid("request", "is empty: give the model's input (e.g. dataframe_records)")
    return dict(request)


def _target(payload: Mapping[str, Any]) -> str | None:
    target = payload.get("served_entity")
    if target is None or target == "":
        return None
    if not isinstance(target, str):
        raise invalid("served_entity", f"must be a served entity's name or null, got {target!r}")
    return target


def _public(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A history entry as the browser sees it (the response stays in the kernel)."""
    return {key: value for key, value in entry.items() if key != "response"}
