"""`LocalWorkspace`: start a local workspace in a background process and talk to it.

    with LocalWorkspace.start(seed="demo") as ws:
        token = ws.add_user("alice@example.com", groups=["data-science"])
        ...  # point clients at ws.host with ws.token (admin) or the user's token

Identities and models are written straight to the data directory, which the server reads
(SQLite in WAL mode and atomic directory renames make that safe while it runs).

The server lives as long as the process that started it, unless started with `detach=True`: it
holds a lifeline (a pipe on the server's stdin, see `local/lifeline.py`), so a killed kernel or
script takes the server and its model servers with it. The lifelines are kept in a module-level
table, so dropping the handle does not stop the server; `stop()` does, or the process ending.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from serving_panel.local import identities, lifeline
from serving_panel.local.models.registry import ModelStore, RegisteredModel
from serving_panel.local.serving.processes import stop_group
from serving_panel.local.state.private import make_private
from serving_panel.local.workspace import ADMIN_TOKEN_FILE, open_store

if TYPE_CHECKING:
    from serving_panel.client import ServingClient

START_TIMEOUT_S = 60.0

#: Write ends of the servers' lifelines, by server pid: closed by `stop()` or the process's end.
_LIFELINES: dict[int, IO[bytes]] = {}


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
    ) -> None:
        self._process = process
        self.host = host
        self.data_dir = data_dir
        self._owns_data_dir = owns_data_dir
        self.log_path = log_path
        self.token = (data_dir / ADMIN_TOKEN_FILE).read_text().strip()

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
    ) -> LocalWorkspace:
        """Starts the server in a background process and returns once it accepts requests.

        With no `data_dir`, the workspace lives in a temporary directory removed by `stop()`.
        The server stops when this Python process ends (even by `kill -9`), unless `detach`:
        then it runs until `stop()` or a signal, and outlives this process.
        """
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
        if not detach:
            command.append("--exit-with-stdin")
            if lifeline.started_from_main_thread():
                command += ["--parent-pid", str(os.getpid())]
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL if detach else subprocess.PIPE,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        if process.stdin is not None:
            _LIFELINES[process.pid] = process.stdin
        try:
            ready = _read_ready_line(process, timeout_s, log_path)
        except BaseException:
            _stop_process(process, 5.0)
            if owns:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        return cls(process, ready["host"], directory, owns_data_dir=owns, log_path=log_path)

    # Lifetime ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self, timeout_s: float = 20.0) -> None:
        """Stops the server gracefully (SIGTERM, then SIGKILL after the timeout)."""
        _stop_process(self._process, timeout_s)
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILLs the server's whole process group, as a crash would (tests use this)."""
        stop_group(self._process, None)
        lifeline_end = _LIFELINES.pop(self._process.pid, None)
        if lifeline_end is not None:
            lifeline_end.close()

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
        """Revokes a token: every request with it gets 401 from then on. Raises for a token
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


def _stop_process(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Stops the server's process group, then lets go of its lifeline (closing that first would
    start a shutdown of its own, racing this one)."""
    stop_group(process, timeout_s)
    if process.stdout is not None:
        process.stdout.close()
    lifeline_end = _LIFELINES.pop(process.pid, None)
    if lifeline_end is not None:
        lifeline_end.close()
