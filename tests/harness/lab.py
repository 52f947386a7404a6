"""A throwaway JupyterLab server for end-to-end tests.

It listens on a free loopback port with a random token, keeps its config, runtime, data,
settings and workspace directories in a temporary folder (so nothing of the user's leaks in or
out), serves notebooks from its own root directory, and runs kernels with this interpreter.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.servers import log_tail, wait_until_up
from serving_panel.local.serving.processes import stop_group

STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def notebook_json(cells: list[str]) -> dict[str, Any]:
    """A minimal nbformat 4 notebook whose code cells hold the given sources."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{index}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for index, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class JupyterLab:
    """JupyterLab (`app="lab"`) or Jupyter Notebook 7 (`app="notebook"`)."""

    def __init__(
        self,
        base_dir: Path,
        *,
        env: dict[str, str] | None = None,
        app: str = "lab",
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """`settings`: extra user settings by plugin id ("@jupyterlab/pkg:plugin" -> values)."""
        if app not in ("lab", "notebook"):
            raise ValueError(f"app: must be 'lab' or 'notebook', got {app!r}")
        self.app = app
        self.base_dir = base_dir
        self.root_dir = base_dir / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._extra_env = env or {}
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = base_dir / "jupyterlab.log"
        self._settings = settings or {}

    def url(self, path: str) -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def notebook_url(self, path: str) -> str:
        """Where the app opens one notebook (JupyterLab: with its saved layout dropped)."""
        if self.app == "lab":
            return self.url(f"lab/tree/{path}?reset")
        return self.url(f"notebooks/{path}")

    def add_notebook(self, name: str, cells: list[str]) -> str:
        """Writes a notebook into the server's root and returns its path relative to it."""
        path = self.root_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notebook_json(cells), indent=1))
        return name

    def copy_notebook(self, source: Path, name: str | None = None) -> str:
        target = self.root_dir / (name or source.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return str(target.relative_to(self.root_dir))

    def start(self) -> None:
        for sub in ("root", "config", "runtime", "data", "settings", "workspaces"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        self._write_lab_settings()
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.base_dir / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.base_dir / "runtime"),
            "JUPYTER_DATA_DIR": str(self.base_dir / "data"),
            "JUPYTERLAB_SETTINGS_DIR": str(self.base_dir / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.base_dir / "workspaces"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            **self._extra_env,
        }
        env.pop("ANYWIDGET_HMR", None)
        command = [
            sys.executable,
            "-m",
            "jupyter",
            self.app,
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.disable_check_xsrf=False",
        ]
        if self.app == "lab":
            command += [
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class="
                "jupyterlab.handlers.announcements.NeverCheckForUpdate",
            ]
        else:
            command += ["--JupyterNotebookApp.expose_app_in_browser=True"]
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_until_up()

    def _write_lab_settings(self) -> None:
        # No news toasts or update checks: they overlap the notebook and call the network.
        notification = self.base_dir / "settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        # Save widget state into notebooks, as a user may: tests check what that writes.
        widgets = self.base_dir / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
        widgets.mkdir(parents=True, exist_ok=True)
        (widgets / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
        for plugin_id, values in self._settings.items():
            package, plugin = plugin_id.rsplit(":", 1)
            folder = self.base_dir / "settings" / package
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))

    def _wait_until_up(self) -> None:
        assert self._process is not None
        wait_until_up(
            self._process,
            self.url("api/status"),
            name="JupyterLab",
            log=self.log_path,
            timeout_s=STARTUP_TIMEOUT_S,
        )

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        if self._process is not None:
            stop_group(self._process, 20)
