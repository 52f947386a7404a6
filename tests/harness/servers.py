"""What the throwaway servers of the end-to-end tests (JupyterLab, marimo) share: waiting for
one to answer, and reading its log when it does not."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_up(
    process: subprocess.Popen[Any], url: str, *, name: str, log: Path, timeout_s: float
) -> None:
    """Returns once `url` answers 200; raises with the log's tail if the process exits or the
    time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # Polling a server that is still starting; there is no event to await here.
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer within {timeout_s} s:\n{log_tail(log)}")
