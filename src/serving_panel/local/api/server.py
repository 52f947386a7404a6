"""Runs a workspace under uvicorn on a socket bound before start-up, so port 0 works and the
address is known; reports readiness once the server accepts connections.

With `exit_with_stdin` the server stops when its stdin, the lifeline from the process that
started it, reaches end of file (see `local/lifeline.py`): gracefully, so its model servers are
stopped too, and if that takes longer than `LIFELINE_GRACE_S`, at once (its children then
follow through their own lifelines).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from serving_panel.local import lifeline
from serving_panel.local.api.app import create_app
from serving_panel.local.workspace import Workspace

Ready = Callable[[str, Workspace], None]

#: After the lifeline breaks, how long a graceful shutdown may take before the process exits.
LIFELINE_GRACE_S = 30.0

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn, minus its habit of re-raising SIGINT/SIGTERM after a graceful shutdown: that
    skipped our cleanup and made Ctrl-C exit with a traceback and a non-zero code."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says it is TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: str | None = None,
    enable_faults: bool = False,
    on_ready: Ready | None = None,
    log_level: str = "warning",
    exit_with_stdin: bool = False,
    min_update_s: float | None = None,
) -> None:
    """Serves until SIGINT or SIGTERM (uvicorn shuts down gracefully on either), or with
    `exit_with_stdin` until stdin closes. `min_update_s`: see `Workspace`."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    workspace = Workspace(data_dir, enable_faults=enable_faults, min_update_s=min_update_s)
    if seed is not None:
        from serving_panel.local.seed import apply_seed

        apply_seed(workspace, seed)
    sock = bind(host, port)
    address = f"http://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        create_app(workspace),
        log_level=log_level,
        access_log=False,
        lifespan="on",
        # No proxy sits in front, so X-Forwarded-* headers are not trusted (nothing here reads
        # the client's address anyway), and their middleware is not on every query's path.
        proxy_headers=False,
    )
    server = _Server(config)
    if exit_with_stdin:
        lifeline.watch_stdin(lambda: _lifeline_broken(server))

    async def main() -> None:
        async def announce() -> None:
            while not server.started and not server.should_exit:
                await asyncio.sleep(0.01)
            if server.started and on_ready is not None:
                on_ready(address, workspace)

        announcer = asyncio.create_task(announce())
        try:
            await server.serve(sockets=[sock])
        finally:
            announcer.cancel()

    try:
        _event_loop_runner()(main())
    finally:
        workspace.close()


def _lifeline_broken(server: uvicorn.Server) -> None:
    log.warning("the process that started this workspace is gone; stopping")
    server.should_exit = True
    deadline = threading.Timer(LIFELINE_GRACE_S, os._exit, args=(1,))
    deadline.daemon = True  # a shutdown that finishes in time exits without waiting for it
    deadline.start()


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    """uvloop's runner where it is installed (the `local` extra has it, except on Windows): the
    router relays every query through this loop, and uvloop halves the loop's cost per request.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run
