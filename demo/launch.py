"""`make demo`: JupyterLab on notebooks/quickstart.ipynb, announced in one line.

JupyterLab's own start-up output (a screenful) goes to .demo/jupyterlab.log; the terminal gets
one line with the URL to open once the server answers. Ctrl+C stops it.

The "get notified about official Jupyter news?" prompt would cover the panel, so this process
(and only it) sees `demo/jupyter-config` through JUPYTER_CONFIG_PATH: its
`labconfig/default_setting_overrides.json` changes the *default* of the news and update-check
settings. The user's own settings (~/.jupyter) are neither read differently nor written; a
choice they already made there still wins. `--LabApp.news_url=` and `NeverCheckForUpdate`
keep JupyterLab from calling the network for either.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "quickstart.ipynb"
STARTUP_TIMEOUT_S = 180.0


def free_port(preferred: int = 8888) -> int:
    """8888 when it is free (the port people expect), else any free loopback port."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port on 127.0.0.1")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def leave(signum: int, _frame: object) -> None:
    """A SIGTERM or SIGHUP (the terminal closed) ends the demo as Ctrl+C does."""
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGHUP, leave)
    logs = ROOT / ".demo"
    logs.mkdir(exist_ok=True)
    log_path = logs / "jupyterlab.log"
    port = free_port()
    token = secrets.token_hex(24)
    base = f"http://127.0.0.1:{port}"
    config_path = os.pathsep.join(
        p
        for p in (str(ROOT / "demo" / "jupyter-config"), os.environ.get("JUPYTER_CONFIG_PATH"))
        if p
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        *argv,
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={ROOT / 'notebooks'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT / "notebooks",
            env={**os.environ, "JUPYTER_CONFIG_PATH": config_path},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Ctrl+C reaches this script only; JupyterLab then gets a SIGTERM, which it takes
            # as "shut down now" (a SIGINT would make it ask for confirmation on a terminal).
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not answers(f"{base}/api/status?token={token}"):
            if process.poll() is not None or time.monotonic() > deadline:
                print(f"JupyterLab did not start; the end of {log_path}:", file=sys.stderr)
                print(tail(log_path), file=sys.stderr)
                return 1
            time.sleep(0.25)  # a server starting up: nothing to wait on but its answer
        print(
            f"Open {base}/lab/tree/{NOTEBOOK}?token={token} in a browser "
            f"(Ctrl+C stops JupyterLab; its log: {log_path.relative_to(ROOT)})",
            flush=True,
        )
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if process.poll() is None:
            # It shuts its kernels down, and each kernel's local workspace stops with it.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
