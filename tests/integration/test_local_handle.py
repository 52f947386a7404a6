"""A LocalWorkspace handle's lifetime: one running server per data directory in a process, and
no server outliving its handle (unreferenced, or the interpreter exiting)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.api import wait_for
from serving_panel.local.handle import LocalWorkspace, LocalWorkspaceError


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_second_start_on_the_same_directory_returns_the_first(tmp_path: Path) -> None:
    first = LocalWorkspace.start(data_dir=tmp_path / "ws")
    try:
        # Spelled differently, the same directory: the same handle, not a second server.
        again = LocalWorkspace.start(data_dir=tmp_path / "ws" / ".." / "ws")
        assert again is first
        assert again.running
        with pytest.raises(LocalWorkspaceError, match="other arguments"):
            LocalWorkspace.start(data_dir=tmp_path / "ws", enable_faults=True)
        assert first.running
    finally:
        first.stop()
    # Once the first has stopped, a start begins a new server on the same data.
    second = LocalWorkspace.start(data_dir=tmp_path / "ws")
    try:
        assert second is not first
        assert second.pid != first.pid
        assert second.running
        assert second.token == first.token
    finally:
        second.stop()


def test_an_unreferenced_handle_stops_its_server() -> None:
    workspace = LocalWorkspace.start()
    pid, data_dir = workspace.pid, workspace.data_dir
    assert alive(pid)
    del workspace
    gc.collect()
    wait_for(lambda: not alive(pid), timeout_s=30, what="the unreferenced handle's server to stop")
    assert not data_dir.exists()


def test_the_server_stops_when_the_starting_interpreter_exits(tmp_path: Path) -> None:
    # A kernel ending: the interpreter exits with the handle still referenced, never stopped.
    script = (
        "import sys\n"
        "from serving_panel.local.handle import LocalWorkspace\n"
        f"workspace = LocalWorkspace.start(data_dir={str(tmp_path / 'ws')!r})\n"
        "print(workspace.pid, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    pid = int(done.stdout.strip())
    wait_for(lambda: not alive(pid), timeout_s=30, what="the server to stop with its interpreter")


def test_a_forked_child_exiting_leaves_its_parents_server_and_data_alone() -> None:
    script = (
        "import os, sys\n"
        "from serving_panel.local.handle import LocalWorkspace\n"
        "workspace = LocalWorkspace.start()  # a temporary data directory, removed by stop()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    sys.exit(0)  # a normal exit: the child's copy of the finalizer runs\n"
        "os.waitpid(child, 0)\n"
        "print(workspace.running, workspace.data_dir.is_dir(), flush=True)\n"
        "workspace.stop()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "True True"
