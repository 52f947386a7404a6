"""The model server's HTTP/1.1 face, hand-written on http.server: keep-alive, chunked bodies
both ways, server-sent events, and Databricks-style JSON errors.

- `GET /ping` (and `GET /health`) answers 200 `{"status": "ok"}`; not access-logged.
- `POST /invocations` parses the body with MLflow's own scoring-server helpers
  (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, `params`, and the unified LLM
  fields `messages`/`prompt`/`input`) and answers `{"predictions": ...}`. With `"stream": true`
  it calls `predict_stream` and answers `text/event-stream` (chunked): `data: <json>` frames,
  each followed by a blank line, ending with `data: [DONE]`.

Started with a secret (`local/secret.py`), every request without it in `SECRET_HEADER` gets 403
`PERMISSION_DENIED` and a closed connection, pings included: only the workspace gets answers.

One access line per request goes to the log.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from serving_panel.local.secret import SECRET_HEADER, accepted
from serving_panel.local.worker.model import BadRequest, ParsedRequest, Worker

#: An idle keep-alive connection is closed after this long, so leaked connections don't pin
#: threads forever. Also bounds how long a send to a client that stopped reading may block.
IDLE_TIMEOUT_SECONDS = 300.0
#: Databricks refuses request bodies over 16 MB; so does the worker (413), without reading them.
MAX_BODY_BYTES = 16 * 1024 * 1024

_PING_PATHS = ("/ping", "/health")
_ROUTES = {"/ping": "GET", "/health": "GET", "/invocations": "POST"}
_ERROR_CODES = {
    400: "BAD_REQUEST",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    411: "BAD_REQUEST",
    413: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
}
_END = object()  # what `next(chunks, _END)` returns when a stream has no more chunks


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer over an inherited, already listening socket: it never binds."""

    daemon_threads = True
    # server_close() must not join connection threads: idle keep-alive connections would
    # block it for IDLE_TIMEOUT_SECONDS. Draining waits for requests, not connections.
    block_on_close = False

    def __init__(self, listener: socket.socket, worker: Worker, secret: str | None = None) -> None:
        super().__init__(listener.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()  # the unbound socket TCPServer made; the inherited one replaces it
        self.socket = listener
        self.server_address = listener.getsockname()
        host, port = listener.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.worker = worker
        self.secret = secret

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # the client went away mid-request; nothing to report
        if error is not None:
            self.worker.log.exception("unexpected error while handling a request", error)


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1, so it serves requests until the client closes it."""

    protocol_version = "HTTP/1.1"
    server_version = "serving-panel-worker"
    disable_nagle_algorithm = True  # TCP_NODELAY: without it loopback responses stall ~40 ms
    # Buffered: an answer's head and body leave in one send (`_dispatch` flushes), so the
    # router is woken once per answer, not once for the head and again for the body. A
    # stream's chunks are flushed one by one (`_write_chunk`).
    wbufsize = 65536
    timeout = IDLE_TIMEOUT_SECONDS
    _status: int | None = None

    def version_string(self) -> str:
        return self.server_version

    @property
    def worker(self) -> Worker:
        return cast(Server, self.server).worker

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.perf_counter()
        self._reset_status()  # a method, so type checkers don't pin the attribute to None
        path = urlsplit(self.path).path
        with self.worker.in_flight():
            try:
                self._route(path)
            except OSError:
                self.close_connection = True  # the client went away
            except Exception as error:
                self.worker.log.exception("unexpected error while handling a request", error)
                self.close_connection = True
                if self._status is None:
                    self._send_json_error(500, f"{type(error).__name__}: {error}")
            # The answer leaves now: before the access line, and while the request still
            # counts as in flight (a drain waits for it until it has gone).
            self._flush()
        if not (self.command == "GET" and path in _PING_PATHS) and self._status is not None:
            self._access_log(path, started)

    def _flush(self) -> None:
        try:
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away

    def _reset_status(self) -> None:
        self._status = None

    def _route(self, path: str) -> None:
        secret = cast(Server, self.server).secret
        if secret is not None and not accepted(self.headers.get(SECRET_HEADER), secret):
            self._send_json_error(
                403,
                "this model server answers only its local workspace; query the endpoint "
                "through the workspace's /serving-endpoints/{name}/invocations",
                close=True,
            )
            return
        body = self._read_body()
        if body is None:
            return  # already answered
        allowed = _ROUTES.get(path)
        if allowed is None:
            self._send_json_error(
                404,
                f"no route for {self.command} {path}; this worker serves GET /ping and "
                "POST /invocations",
            )
        elif self.command != allowed:
            self._send_json_error(405, f"{path} only supports {allowed}", allow=allowed)
        elif path in _PING_PATHS:
            self._send_json(200, b'{"status": "ok"}')
        else:
            self._invocations(body)

    def _invocations(self, body: bytes) -> None:
        worker = self.worker
        try:
            request = worker.parse(body)
            if request.stream:
                self._stream(request)
                return
            response = worker.predict(request)
        except BadRequest as error:
            self._send_json_error(400, str(error))
            return
        self._send_json(200, response)

    def _stream(self, request: ParsedRequest) -> None:
        """Streams predict_stream's chunks as `data: <json>` frames, then `data: [DONE]`.

        The first chunk is computed before anything is sent, so a model that cannot stream, or
        input it refuses, still gets a 400 JSON answer. The concurrency slot is held for the
        whole stream: predict_stream runs lazily, as chunks are sent.
        """
        worker = self.worker
        with worker.slot():
            chunks: Iterator[Any] = iter(
                worker.call_model(
                    lambda: worker.model.predict_stream(request.data, params=request.params)
                )
            )
            try:
                first = worker.call_model(lambda: next(chunks, _END))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self._close_if_draining()
                self.end_headers()
                self._send_frames(first, chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    def _send_frames(self, first: Any, chunks: Iterator[Any]) -> None:
        item = first
        while True:
            try:
                frame = (
                    b"data: [DONE]" if item is _END else b"data: " + self.worker.encode_chunk(item)
                )
            except Exception as error:
                self._abort_stream(error)
                return
            self._write_chunk(frame + b"\n\n")
            if item is _END:
                self.wfile.write(b"0\r\n\r\n")
                return
            try:
                item = next(chunks, _END)
            except Exception as error:
                self._abort_stream(error)
                return

    def _abort_stream(self, error: Exception) -> None:
        """The model failed after the 200 went out: send the error as one last data frame and
        drop the connection without the final chunk, so clients see the stream fail."""
        self.worker.log.exception("prediction failed while streaming", error)
        message = self.worker.client_message(error)
        frame = self.worker.encode_chunk({"error_code": "INTERNAL_ERROR", "message": message})
        self.close_connection = True
        self._write_chunk(b"data: " + frame + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()  # each frame goes out as the model yields it

    # Request bodies -----------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The whole body (so the next request on the connection starts in the right place),
        or None after answering a body that cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send_json_error(400, f"invalid Content-Length {raw!r}", close=True)
            return None
        if length > MAX_BODY_BYTES:
            self._send_json_error(413, _too_large(length), close=True)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body; no one to answer
            return None
        return body

    def _read_chunked_body(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._send_json_error(400, "malformed chunked request body", close=True)
                return None
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                self._send_json_error(413, _too_large(total), close=True)
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(65537)  # the CRLF after the chunk
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    # Responses ----------------------------------------------------------------------------

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def _send_json(self, status: int, body: bytes, allow: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if allow is not None:
            self.send_header("Allow", allow)
        self._close_if_draining()
        self.end_headers()
        self.wfile.write(body)

    def _send_json_error(
        self, status: int, message: str, allow: str | None = None, close: bool = False
    ) -> None:
        error_code = _ERROR_CODES.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR")
        body = json.dumps({"error_code": error_code, "message": message}).encode("utf-8")
        if close:
            self.close_connection = True
            self.send_response(status)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._send_json(status, body, allow)

    def _close_if_draining(self) -> None:
        if self.worker.draining or self.close_connection:
            self.send_header("Connection", "close")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (malformed request line, unsupported method) as JSON."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.worker.log("WARNING", f"bad HTTP request {self.requestline!r}: {code} {phrase}")
        body = json.dumps(
            {"error_code": _ERROR_CODES.get(code, "BAD_REQUEST"), "message": message or phrase}
        ).encode("utf-8")
        self.close_connection = True
        self.send_response(code)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    # Logging ------------------------------------------------------------------------------

    def _access_log(self, path: str, started: float) -> None:
        status = self._status or 0
        latency_ms = (time.perf_counter() - started) * 1000
        level = "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"
        self.worker.log(level, f'"{self.command} {path}" {status} {latency_ms:.1f} ms')

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # `_access_log` writes the one access line per request

    def log_message(self, format: str, *args: Any) -> None:
        message = format % args
        if not message.startswith("Request timed out"):  # an idle keep-alive connection
            self.worker.log("WARNING", message)


def _too_large(length: int) -> str:
    return f"request body of {length} bytes exceeds the limit of {MAX_BODY_BYTES} bytes"
