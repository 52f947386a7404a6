"""Serves one MLflow model over HTTP in its own process, the way a Databricks replica does.

    python -m serving_panel.local.worker MODEL_DIR --fd N [--concurrency C] [--name ENTITY_NAME]

The supervisor binds and listens on a TCP socket on 127.0.0.1 and passes it as file descriptor
N (`subprocess.Popen(pass_fds=(N,))`), so the port is known before the worker starts and no
other process can take it. The worker loads the model once with `mlflow.pyfunc.load_model`,
then serves on that socket with HTTP/1.1 keep-alive:

- `GET /ping` (and `GET /health`) answers 200 `{"status": "ok"}`; not access-logged.
- `POST /invocations` parses the body with MLflow's own scoring-server helpers
  (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, `params`, and the unified LLM
  fields `messages`/`prompt`/`input`) and answers `{"predictions": ...}`. With `"stream": true`
  it calls `predict_stream` and answers `text/event-stream` (chunked): `data: <json>` frames,
  each followed by a blank line, ending with `data: [DONE]`.

At most C requests run inside the model at once; the others wait their turn. Every stdout line
is a `format_log_line` line: the worker's own, one access line per request, and whatever the
model prints (stdout as INFO, stderr as WARNING). SIGTERM (or SIGINT) stops accepting, lets
in-flight requests finish for up to `DRAIN_SECONDS`, then exits 0. When stdin is a pipe, its
end of file (the supervisor died) exits the process at once, so a worker never outlives its
supervisor. Exit codes match the loader's: 2 bad arguments or an unusable --fd, 3 MLflow cannot
be imported, 4 the model failed to load.

Module-level imports stay light: MLflow is imported inside `main`, after the first line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import signal
import socket
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple, TextIO, cast
from urllib.parse import urlsplit

from serving_panel.local.loader import (
    EXIT_APP_LOAD_ERROR,
    EXIT_MLFLOW_IMPORT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
)
from serving_panel.local.logformat import format_log_line
from serving_panel.local.models import ModelStoreError, validate_mlmodel

#: How long SIGTERM waits for in-flight requests before the worker exits anyway.
DRAIN_SECONDS = 10.0
#: An idle keep-alive connection is closed after this long, so leaked connections don't pin
#: threads forever. Also bounds how long a send to a client that stopped reading may block.
IDLE_TIMEOUT_SECONDS = 300.0
#: Databricks refuses request bodies over 16 MB; so does the worker (413), without reading them.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: A partial line (no newline yet) longer than this is logged as it stands, so a model that
#: prints progress with carriage returns cannot grow a buffer without bound.
MAX_PENDING_CHARS = 8192

_PING_PATHS = ("/ping", "/health")
_ROUTES = {"/ping": "GET", "/health": "GET", "/invocations": "POST"}
_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    411: "BAD_REQUEST",
    413: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
}
_END = object()  # what `next(chunks, _END)` returns when a stream has no more chunks


# Logging ------------------------------------------------------------------------------------


class Log:
    """Writes log lines to the real stdout under one lock, so lines from concurrent requests
    never interleave, flushed at once so the supervisor sees them live. A reader that went away
    (the supervisor died) is not an error: the stdin watcher ends the process."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, level: str, message: str) -> None:
        # Multi-line text (a traceback) becomes one line each, blank lines dropped.
        lines = message.splitlines()
        chosen = [line for line in lines if line.strip()] if len(lines) > 1 else [message]
        text = "".join(format_log_line(level, line) + "\n" for line in chosen)
        with self._lock:
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):
                pass

    def exception(self, headline: str, error: BaseException) -> None:
        self("ERROR", f"{headline}: {type(error).__name__}: {error}")
        self("ERROR", "".join(traceback.format_exception(type(error), error, error.__traceback__)))


class ThreadLineWriter(io.TextIOBase):
    """Stands in for sys.stdout / sys.stderr: each complete line becomes a log line.

    Partial lines are kept per thread, so two requests printing at once never splice their
    text together; `emit_pending` logs the calling thread's partial line (after a predict).
    `flush()` emits nothing: `print(..., flush=True)` must not split a line in two.
    """

    def __init__(self, log: Log, level: str) -> None:
        super().__init__()
        self._log = log
        self._level = level
        self._pending: dict[int, str] = {}
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """Libraries that look at sys.stdout.encoding must see a real one."""
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        ident = threading.get_ident()
        with self._lock:
            *lines, rest = (self._pending.pop(ident, "") + str(text)).split("\n")
            if len(rest) > MAX_PENDING_CHARS:
                lines.append(rest)
                rest = ""
            if rest:
                self._pending[ident] = rest
        for line in lines:
            self._log(self._level, line.rstrip("\r"))
        return len(text)

    def flush(self) -> None:
        pass

    def emit_pending(self) -> None:
        with self._lock:
            rest = self._pending.pop(threading.get_ident(), "")
        if rest:
            self._log(self._level, rest.rstrip("\r"))


# The model and its requests ------------------------------------------------------------------


class BadRequest(Exception):  # noqa: N818 - named for the response it becomes
    """The request cannot be served; the message is what the client is told."""


class ParsedRequest(NamedTuple):
    data: Any
    params: dict[str, Any] | None
    unwrapped: bool  # unified LLM input (messages/prompt/input): no "predictions" wrapper
    stream: bool


class Worker:
    """The loaded model and what requests share: the concurrency limit, the in-flight count
    that SIGTERM drains, and the writers that turn the model's prints into log lines."""

    def __init__(
        self,
        model: Any,
        name: str,
        concurrency: int,
        log: Log,
        captured: Sequence[ThreadLineWriter],
    ) -> None:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc import scoring_server
        from mlflow.utils.proto_json_utils import NumpyEncoder

        self.model = model
        self.name = name
        self.concurrency = concurrency
        self.log = log
        self.draining = False
        self._captured = captured
        self._slots = threading.Semaphore(concurrency)
        self._in_flight = 0
        self._idle = threading.Condition()
        self._scoring: Any = scoring_server
        self._mlflow_exception: type[Exception] = MlflowException
        self._json_encoder: type[json.JSONEncoder] = NumpyEncoder
        self._input_schema = model.metadata.get_input_schema()

    # Parsing and predicting ---------------------------------------------------------------

    def parse(self, body: bytes) -> ParsedRequest:
        """Parses a request body exactly as MLflow's scoring server does, plus `stream`.

        Fields outside MLflow's input formats (Databricks' `client_request_id`,
        `usage_context`, `extra_params`, ...) are ignored, as MLflow ignores them; a body with
        none of the input fields is refused with MLflow's own message.
        """
        try:
            payload = self._scoring._decode_json_input(body)
            stream = payload.pop("stream", False)
            if not isinstance(stream, bool):
                raise BadRequest(f"'stream' must be true or false, got {json.dumps(stream)}")
            parsed = self._scoring._parse_json_data(
                payload, self.model.metadata, self._input_schema
            )
        except BadRequest:
            raise
        except self._mlflow_exception as error:
            raise BadRequest(_mlflow_message(error)) from error
        except Exception as error:
            raise BadRequest(f"{type(error).__name__}: {error}") from error
        return ParsedRequest(parsed.data, parsed.params, parsed.is_unified_llm_input, stream)

    def predict(self, request: ParsedRequest) -> bytes:
        """The JSON response body for a non-streaming request."""
        with self.slot():
            raw = self.call_model(lambda: self.model.predict(request.data, params=request.params))
        output = io.StringIO()
        if request.unwrapped:
            self._scoring.unwrapped_predictions_to_json(raw, output)
        else:
            self._scoring.predictions_to_json(raw, output)
        return output.getvalue().encode("utf-8")

    def call_model(self, call: Callable[[], Any]) -> Any:
        """Runs model code; what it raises becomes a BadRequest with the text the client sees.

        MLflow's own errors (schema enforcement, predict_stream unsupported) keep their
        message; anything else is `<Type>: <message>`, its traceback logged as ERROR lines.
        """
        try:
            return call()
        except Exception as error:
            if not isinstance(error, self._mlflow_exception):
                self.log.exception("prediction failed", error)
            raise BadRequest(self.client_message(error)) from error

    def client_message(self, error: Exception) -> str:
        """MLflow's own message for its errors, `<Type>: <message>` for anything else."""
        if isinstance(error, self._mlflow_exception):
            return _mlflow_message(error)
        return f"{type(error).__name__}: {error}"

    def encode_chunk(self, chunk: Any) -> bytes:
        return json.dumps(chunk, cls=self._json_encoder).encode("utf-8")

    @contextmanager
    def slot(self) -> Iterator[None]:
        """One of the C places inside the model; waits for one instead of refusing."""
        with self._slots:
            try:
                yield
            finally:
                for writer in self._captured:
                    writer.emit_pending()

    # Draining -----------------------------------------------------------------------------

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def in_flight_count(self) -> int:
        with self._idle:
            return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)


def _mlflow_message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


# HTTP ---------------------------------------------------------------------------------------


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer over an inherited, already listening socket: it never binds."""

    daemon_threads = True
    # server_close() must not join connection threads: idle keep-alive connections would
    # block it for IDLE_TIMEOUT_SECONDS. Draining waits for requests, not connections.
    block_on_close = False

    def __init__(self, listener: socket.socket, worker: Worker) -> None:
        super().__init__(listener.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()  # the unbound socket TCPServer made; the inherited one replaces it
        self.socket = listener
        self.server_address = listener.getsockname()
        host, port = listener.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.worker = worker

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
        if not (self.command == "GET" and path in _PING_PATHS) and self._status is not None:
            self._access_log(path, started)

    def _reset_status(self) -> None:
        self._status = None

    def _route(self, path: str) -> None:
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


# The process --------------------------------------------------------------------------------


def inherit_listener(fd: int) -> socket.socket:
    """The listening TCP socket the supervisor passed as `fd`; ValueError/OSError if it isn't."""
    listener = socket.socket(fileno=fd)
    if listener.type != socket.SOCK_STREAM or listener.family not in (
        socket.AF_INET,
        socket.AF_INET6,
    ):
        raise ValueError(f"fd {fd} is not a TCP socket")
    if not listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        raise ValueError(f"fd {fd} is not listening: call listen() before passing it")
    listener.set_inheritable(False)  # subprocesses the model starts must not hold the port
    listener.setblocking(True)
    return listener


def watch_stdin(log: Log) -> None:
    """Exits the process when stdin, a pipe from the supervisor, reaches end of file: the
    supervisor died (even by SIGKILL) or let go of the worker. Stdin that isn't a pipe or
    socket (a terminal, /dev/null) is not watched, so the worker can be run by hand."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def run() -> None:
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        log("INFO", "stdin closed (the supervisor is gone); exiting")
        os._exit(EXIT_OK)

    threading.Thread(target=run, name="stdin-watch", daemon=True).start()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    def positive(raw: str) -> int:
        value = int(raw)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
        return value

    parser = argparse.ArgumentParser(
        prog="python -m serving_panel.local.worker",
        description="Serve one MLflow pyfunc model over HTTP on an inherited listening socket.",
    )
    parser.add_argument("model_dir", type=Path, metavar="MODEL_DIR")
    parser.add_argument(
        "--fd", type=int, required=True, help="a listening TCP socket inherited from the parent"
    )
    parser.add_argument(
        "--concurrency", type=positive, default=1, help="requests inside the model at once"
    )
    parser.add_argument(
        "--name", default=None, help="the served entity's name, for the log (default: MODEL_DIR)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Loads the model, then serves until SIGTERM; returns the exit code."""
    args = _parse_args(argv)
    model_dir: Path = args.model_dir
    name: str = args.name or model_dir.name
    real_stdout = sys.stdout
    real_stderr = sys.stderr
    log = Log(real_stdout)
    log(
        "INFO",
        f"worker started: Python {platform.python_version()}, pid {os.getpid()}, "
        f"model directory {model_dir}",
    )
    try:
        listener = inherit_listener(args.fd)
    except (OSError, ValueError) as error:
        log("ERROR", f"--fd {args.fd} is not usable: {error}")
        return EXIT_USAGE
    watch_stdin(log)
    signal.signal(signal.SIGTERM, _exit_while_loading(log))
    signal.signal(signal.SIGINT, _exit_while_loading(log))

    captured = (ThreadLineWriter(log, "INFO"), ThreadLineWriter(log, "WARNING"))
    sys.stdout, sys.stderr = captured
    try:
        model = _load(model_dir, log, captured)
        if isinstance(model, int):
            return model
        return _serve(Worker(model, name, args.concurrency, log, captured), listener)
    finally:
        for writer in captured:
            writer.emit_pending()
        sys.stdout, sys.stderr = real_stdout, real_stderr


def _exit_while_loading(log: Log) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        log("INFO", f"received {signal.Signals(signum).name} while loading; exiting")
        os._exit(EXIT_OK)

    return handler


def _load(model_dir: Path, log: Log, captured: Sequence[ThreadLineWriter]) -> Any:
    """The loaded PyFuncModel, or the exit code when it cannot be loaded."""
    try:
        validate_mlmodel(model_dir)
    except ModelStoreError as error:
        log("ERROR", f"model failed to load: {type(error).__name__}: {error}")
        return EXIT_APP_LOAD_ERROR
    # The workspace runs offline; MLflow's usage telemetry has nothing to report from here.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
        import mlflow.pyfunc
        from mlflow.environment_variables import _MLFLOW_IS_IN_SERVING_ENVIRONMENT
        from mlflow.pyfunc import scoring_server  # noqa: F401 - fail here, not on a request
    except Exception as error:
        log.exception("mlflow cannot be imported", error)
        return EXIT_MLFLOW_IMPORT_ERROR
    finally:
        for writer in captured:
            writer.emit_pending()
    # What MLflow's scoring server sets: type-hinted models parse their input as in serving.
    os.environ[_MLFLOW_IS_IN_SERVING_ENVIRONMENT.name] = "true"

    log("INFO", f"loading model from {model_dir} with mlflow {mlflow.__version__}")
    started = time.perf_counter()
    try:
        model = mlflow.pyfunc.load_model(str(model_dir))
    except (Exception, SystemExit) as error:
        for writer in captured:
            writer.emit_pending()
        log.exception("model failed to load", error)
        return EXIT_APP_LOAD_ERROR
    for writer in captured:
        writer.emit_pending()
    log("INFO", f"model loaded in {time.perf_counter() - started:.2f} s")
    return model


def _serve(worker: Worker, listener: socket.socket) -> int:
    log = worker.log
    server = Server(listener, worker)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    accepting = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="accept", daemon=True
    )
    accepting.start()
    log(
        "INFO",
        f"serving {worker.name} on {server.server_name}:{server.server_port} "
        f"with concurrency {worker.concurrency}",
    )
    # A timeout, not a bare wait: a signal delivered to another thread only runs its Python
    # handler when the main thread next runs bytecode.
    while not stop.wait(0.2):
        pass

    worker.draining = True
    server.shutdown()
    server.server_close()
    log(
        "INFO",
        f"stopped accepting connections; waiting up to {DRAIN_SECONDS:g} s for "
        f"{worker.in_flight_count()} in-flight request(s)",
    )
    if worker.wait_idle(DRAIN_SECONDS):
        log("INFO", "stopped")
    else:
        log(
            "WARNING",
            f"{worker.in_flight_count()} request(s) still running after {DRAIN_SECONDS:g} s; "
            "exiting anyway",
        )
    return EXIT_OK


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Not sys.exit: model or library threads that are still running must not delay the exit.
    os._exit(code)
