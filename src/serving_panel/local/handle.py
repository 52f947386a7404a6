"""`LocalWorkspace`: start a local workspace in a background process and talk to it.

    with LocalWorkspace.start(seed="demo") as ws:
        token = ws.add_user("alice@example.com", groups=["data-science"])
        ...  # point clients at ws.host with ws.token (admin) or the user's token

Identities and models are written straight to the data directory, which the server reads
(SQLite in WAL mode and atomic directory renames make that safe while it runs).

A server lives as long as its handle: `stop()`, leaving a `with` block, the handle no longer
being referenced (a finalizer) or the interpreter exiting (a notebook's kernel ending) stops it.
One process keeps at most one running server per data directory (`_RUNNING`), so a notebook
cell that starts a workspace can be run again without leaving a server behind.

A process that is killed (`kill -9` of a script, a kernel killed by the OS) runs no finalizer,
so the server also holds a lifeline: a pipe on its stdin whose write end only this process holds
(`local/lifeline.py`); the kernel closes it however this process ends, and the server stops, its
model servers and loaders with it. `start(detach=True)` has neither finalizer nor lifeline: the
server runs until `stop()` or a signal, and outlives this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from serving_panel.local import identities, lifeline
from serving_panel.local.control import FaultControl
from serving_panel.local.models.registry import ModelStore, RegisteredModel
from serving_panel.local.serving.processes import stop_group
from serving_panel.local.state.private import make_private
from serving_panel.local.workspace import ADMIN_TOKEN_FILE, check_seconds, open_store

if TYPE_CHECKING:
    from serving_panel.client import ServingClient

START_TIMEOUT_S = 60.0
#: How long the finalizer gives an unreferenced handle's server to stop before SIGKILL; short,
#: as it may run while a kernel shuts down (Jupyter kills a kernel 5 s after asking it to stop).
FINALIZER_GRACE_S = 3.0

# The running handle of each data directory this process started, keyed by resolved path.
# Weak values: the registry never keeps a handle (and so its server) alive.
_RUNNING: weakref.WeakValueDictionary[Path, LocalWorkspace] = weakref.WeakValueDictionary()
_RUNNING_LOCK = threading.Lock()


class LocalWorkspaceError(RuntimeError):
    """The local workspace process could not start, or stopped unexpectedly."""


class LocalWorkspace:
    """A running local workspace: `.host`, `.token` (an admin's), and helpers."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        host: str,
        data_dir: Path,
        *,
        owns_data_dir: bool,
        log_path: Path,
        detach: bool = False,
    ) -> None:
        self._process = process
        self.host = host
        self.data_dir = data_dir
        self._owns_data_dir = owns_data_dir
        self.log_path = log_path
        self.token = (data_dir / ADMIN_TOKEN_FILE).read_text().strip()
        self._options: tuple[object, ...] = ()  # start()'s arguments, compared on a second start
        # Refers to the process, never to self: it stops the server once nothing refers to the
        # handle, or at interpreter exit, whichever comes first; `stop()` runs it early.
        # A detached server outlives the handle and this process: no finalizer.
        self._finalizer = (
            None
            if detach
            else weakref.finalize(
                self, _finalize, os.getpid(), process, data_dir if owns_data_dir else None
            )
        )

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalWorkspace(host={self.host!r}, data_dir='{self.data_dir}', {state})"

    @classmethod
    def start(
        cls,
        data_dir: str | Path | None = None,
        port: int = 0,
        seed: str | None = None,
        *,
        enable_faults: bool = False,
        timeout_s: float = START_TIMEOUT_S,
        env: dict[str, str] | None = None,
        detach: bool = False,
        min_update_seconds: float | None = None,
    ) -> LocalWorkspace:
        """Starts the server in a background process and returns once it accepts requests.

        With no `data_dir`, the workspace lives in a temporary directory removed by `stop()`.

        A second start on the same `data_dir` from one process, while the first handle's server
        still runs, **returns the first handle** (the same server, host and token, so clients
        and panels made from it keep working) rather than starting a second server on the same
        files. If its arguments differ from the first start's, it raises LocalWorkspaceError:
        stop the first to start with others. Once the first has stopped, a start begins anew.

        The server stops with `stop()`, at the end of a `with` block, when the handle is no
        longer referenced (garbage collected), or when this interpreter exits, even by
        `kill -9`. With `detach=True` it runs until `stop()` or a signal, and outlives this
        process.

        `min_update_seconds`: every update (create, config update, start) stays IN_PROGRESS at
        least this long, its build log and entity states moving through their steps meanwhile,
        so waiting and conflicts can be seen; 0 for no wait (tests that want speed). None reads
        `SERVING_PANEL_MIN_UPDATE_S` (from `env`, else this process's environment), else 2.
        """
        if min_update_seconds is not None:
            check_seconds("min_update_seconds", min_update_seconds)
        options = (
            port,
            seed,
            enable_faults,
            tuple(sorted((env or {}).items())),
            detach,
            min_update_seconds,
        )
        key = None if data_dir is None else Path(str(data_dir)).resolve()
        if key is not None:
            with _RUNNING_LOCK:
                first = _RUNNING.get(key)
            if first is not None and first.running:
                if first._options != options:
                    raise LocalWorkspaceError(
                        f"a local workspace started from this process already runs on {key} "
                        f"({first.host}) with other arguments; stop it first (.stop()) to start "
                        "one with these"
                    )
                return first
        owns = data_dir is None
        directory = Path(tempfile.mkdtemp(prefix="serving-panel-")) if owns else Path(str(data_dir))
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        log_path = directory / "server.log"
        os.close(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        make_private(directory, entries=("server.log",))
        command = [
            sys.executable,
            "-m",
            "serving_panel.local",
            "start",
            "--json",
            "--data-dir",
            str(directory),
            "--port",
            str(port),
        ]
        if seed is not None:
            command += ["--seed", seed]
        if enable_faults:
            command.append("--enable-faults")
        if min_update_seconds is not None:
            command += ["--min-update-seconds", repr(float(min_update_seconds))]
        if not detach:
            command.append("--exit-with-stdin")
            if lifeline.started_from_main_thread():
                command += ["--parent-pid", str(os.getpid())]
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log,
                # The lifeline: this process alone holds the write end, until stop() closes it.
                stdin=subprocess.DEVNULL if detach else subprocess.PIPE,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        try:
            ready = _read_ready_line(process, timeout_s, log_path)
        except BaseException:
            _stop_process(process, 5.0)
            if owns:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        workspace = cls(
            process, ready["host"], directory, owns_data_dir=owns, log_path=log_path, detach=detach
        )
        workspace._options = options
        if key is not None:
            with _RUNNING_LOCK:
                _RUNNING[key] = workspace
        return workspace

    # Lifetime ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self, timeout_s: float = 20.0) -> None:
        """Stops the server gracefully (SIGTERM, then SIGKILL after the timeout)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        _stop_server(self._process, self.data_dir if self._owns_data_dir else None, timeout_s)

    def kill(self) -> None:
        """SIGKILLs the server's whole process group, as a crash would (tests use this)."""
        stop_group(self._process, None)
        _let_go(self._process)

    def __enter__(self) -> LocalWorkspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, token: str | None = None, **options: Any) -> ServingClient:
        """A ServingClient for this workspace, as the admin or as the owner of `token`.

        Imported here, on demand: the server side of the local workspace never imports the
        client; only this convenience for the caller's process does."""
        from serving_panel.client import ServingClient

        return ServingClient(self.host, token or self.token, **options)

    @property
    def faults(self) -> FaultControl:
        """Rules, latency and scenarios of a workspace started with `enable_faults=True`
        (`local/control.py`); its calls raise FaultControlError otherwise."""
        return FaultControl(self.host, self.token)

    # Identities and models -----------------------------------------------------------------

    def add_user(
        self, email: str, groups: Iterable[str] = (), display_name: str | None = None
    ) -> str:
        """Adds a user (joining the given groups) and returns a new token for them."""
        store = open_store(self.data_dir)
        try:
            return identities.add_user(store, email, groups, display_name)
        finally:
            store.close()

    def revoke_token(self, token: str) -> None:
        """Revokes a token: every request with it is refused from then on. Raises for a token
        this workspace does not know."""
        store = open_store(self.data_dir)
        try:
            identities.revoke_token(store, token)
        finally:
            store.close()

    def add_group(self, name: str, members: Iterable[str] = ()) -> None:
        store = open_store(self.data_dir)
        try:
            identities.add_group(store, name, members)
        finally:
            store.close()

    def add_service_principal(
        self, display_name: str, application_id: str | None = None, groups: Iterable[str] = ()
    ) -> tuple[str, str]:
        """Adds a service principal; returns its application id and a new token."""
        store = open_store(self.data_dir)
        try:
            return identities.add_service_principal(store, display_name, application_id, groups)
        finally:
            store.close()

    def register_model(
        self, name: str, path: str | Path, version: int | None = None
    ) -> RegisteredModel:
        """Registers an MLflow pyfunc model directory under a name (UC names too) and version."""
        model = ModelStore(self.data_dir / "models").register(name, Path(path), version)
        make_private(self.data_dir, entries=("models",))  # the copy kept the source's modes
        return model


def _read_ready_line(
    process: subprocess.Popen[bytes], timeout_s: float, log_path: Path
) -> dict[str, Any]:
    """The JSON line the server prints once it accepts connections."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    buffer = b""
    try:
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LocalWorkspaceError(
                    f"the local workspace did not start within {timeout_s:.0f} s; "
                    f"see {log_path}:\n{_tail(log_path)}"
                )
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                code = process.wait(timeout=10)
                raise LocalWorkspaceError(
                    f"the local workspace exited with code {code} before it was ready:\n"
                    f"{_tail(log_path)}"
                )
            buffer += chunk
    finally:
        selector.close()
    line = buffer.split(b"\n", 1)[0]
    ready: dict[str, Any] = json.loads(line)
    return ready


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _finalize(owner_pid: int, process: subprocess.Popen[bytes], owned_dir: Path | None) -> None:
    """The finalizer: stops the server of a handle nothing refers to any more, or at exit. Only
    in the process that started it: a forked child exiting normally must not stop its parent's
    server."""
    if os.getpid() == owner_pid:
        _stop_server(process, owned_dir, FINALIZER_GRACE_S)


def _stop_server(
    process: subprocess.Popen[bytes], owned_dir: Path | None, timeout_s: float
) -> None:
    """Stops a handle's server and removes the temporary data directory it owns, if any (for the
    finalizer too, so it must not refer to the handle)."""
    _stop_process(process, timeout_s)
    if owned_dir is not None:
        shutil.rmtree(owned_dir, ignore_errors=True)


def _stop_process(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Stops the server's process group, then lets go of its lifeline (closing that first would
    start a shutdown of its own, racing this one)."""
    stop_group(process, timeout_s)
    if process.stdout is not None:
        process.stdout.close()
    _let_go(process)


def _let_go(process: subprocess.Popen[bytes]) -> None:
    """Closes this process's end of the server's lifeline, if it has one."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
