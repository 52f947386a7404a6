"""Serves one MLflow model over HTTP in its own process, the way a Databricks replica does.

    python -m serving_panel.local.worker MODEL_DIR --fd N [--concurrency C] [--name ENTITY_NAME]
                                       [--secret-from-stdin]

The supervisor binds and listens on a TCP socket on 127.0.0.1 and passes it as file descriptor
N (`subprocess.Popen(pass_fds=(N,))`), so the port is known before the worker starts and no
other process can take it. The worker loads the model once with `mlflow.pyfunc.load_model`,
then serves `GET /ping` and `POST /invocations` on that socket with HTTP/1.1 keep-alive.

At most C requests run inside the model at once; the others wait their turn. Every stdout line
is a `format_log_line` line: the worker's own, one access line per request, and whatever the
model prints (stdout as INFO, stderr as WARNING). SIGTERM (or SIGINT) stops accepting, lets
in-flight requests finish for up to `DRAIN_SECONDS`, then exits 0. When stdin is a pipe, its
end of file (the supervisor died) exits the process at once, so a worker never outlives its
supervisor. With `--secret-from-stdin` the first stdin line is a secret every request must carry
(`local/secret.py`; the supervisor always passes it, so only the workspace's router gets an answer).
Exit codes match the loader's: 2 bad arguments or an unusable --fd, 3 MLflow cannot
be imported, 4 the model failed to load.

This module is the process: its command line, the inherited socket, signals, the stdin watch
and draining. `model.py` loads the model and predicts, `http.py` answers HTTP (and streams),
`capture.py` turns output into log lines, `exits.py` names the exit codes. Module-level imports
stay light: MLflow is imported when the model loads, after the first log line.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from serving_panel.local import lifeline
from serving_panel.local.worker.capture import Log, ThreadLineWriter
from serving_panel.local.worker.exits import EXIT_OK, EXIT_USAGE
from serving_panel.local.worker.http import Server
from serving_panel.local.worker.model import Worker, load_model

#: How long SIGTERM waits for in-flight requests before the worker exits anyway.
DRAIN_SECONDS = 10.0


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

    def gone() -> None:
        log("INFO", "stdin closed (the supervisor is gone); exiting")
        lifeline.exit_with_group(EXIT_OK)

    lifeline.watch_stdin(gone)


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
    parser.add_argument(
        "--secret-from-stdin",
        action="store_true",
        help="read a secret from the first stdin line; requests without it get 403",
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
    secret: str | None = None
    if args.secret_from_stdin:
        secret = lifeline.read_line()
        if not secret:
            log("ERROR", "--secret-from-stdin: stdin closed before a secret arrived")
            return EXIT_USAGE
    watch_stdin(log)
    signal.signal(signal.SIGTERM, _exit_while_loading(log))
    signal.signal(signal.SIGINT, _exit_while_loading(log))

    captured = (ThreadLineWriter(log, "INFO"), ThreadLineWriter(log, "WARNING"))
    sys.stdout, sys.stderr = captured
    try:
        model = load_model(model_dir, log, captured)
        if isinstance(model, int):
            return model
        return _serve(Worker(model, name, args.concurrency, log, captured), listener, secret)
    finally:
        for writer in captured:
            writer.emit_pending()
        sys.stdout, sys.stderr = real_stdout, real_stderr


def _exit_while_loading(log: Log) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        log("INFO", f"received {signal.Signals(signum).name} while loading; exiting")
        os._exit(EXIT_OK)

    return handler


def _serve(worker: Worker, listener: socket.socket, secret: str | None) -> int:
    log = worker.log
    server = Server(listener, worker, secret)
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
