"""Stopping a child that runs in its own process group: every process-group stop in the
workspace goes through `stop_group`. The workspace handle stops the server with it, the
supervisor its model servers, and the builds their model loads.

Signals go to the whole group (`os.killpg`), so whatever the child started stops with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any


def stop_group(process: subprocess.Popen[Any], grace_s: float | None, *, wait: bool = True) -> None:
    """Stops the process and everything in its group.

    With `grace_s`: SIGTERM, up to `grace_s` seconds for the process to exit, then SIGKILL;
    returns once it has exited (at once if it already had). With `grace_s=None`: SIGKILL now, as
    a crash would, even if the process itself has exited but was not reaped yet (what it started
    may still hold its output open); `wait=False` returns without waiting for the exit, for a
    caller that reads the output and reaps the process itself.
    """
    if grace_s is None:
        if process.returncode is None:  # not reaped: its group id can't belong to another
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if wait:
            process.wait(timeout=10)
        return
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
