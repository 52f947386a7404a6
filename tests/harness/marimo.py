"""A throwaway marimo server for end-to-end tests, and a Playwright helper for its notebooks.

`marimo edit --headless` on a free loopback port with a random access token, with its own HOME
and XDG directories in a temporary folder (so no user config, recent-files list or cache leaks in
or out), serving notebooks from its own root directory, started with this interpreter so its
kernels import this checkout's serving_panel. Its one setting, `runtime.auto_instantiate` (off by
default), makes the editor run all of a notebook's cells when a browser opens it, as `marimo run`
does.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

from playwright.sync_api import ConsoleMessage, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.lab import free_port
from harness.servers import log_tail, wait_until_up
from serving_panel.local.serving.processes import stop_group

STARTUP_TIMEOUT_S = 60.0
SESSION_TTL_S = 2

_CONFIG = """\
[runtime]
auto_instantiate = true
"""


def notebook_source(cells: list[str]) -> str:
    """A marimo notebook (a Python file) whose cells hold the given sources, in order.

    marimo finds each cell's definitions and references by reading its code, so the cell
    functions need no parameters or return values."""
    parts = [
        "import marimo\n",
        f'__generated_with = "{version("marimo")}"\n',
        "app = marimo.App()\n",
    ]
    for source in cells:
        body = textwrap.indent(source.strip("\n") + "\n", "    ")
        parts.append(f"@app.cell\ndef _():\n{body}    return\n")
    parts.append('if __name__ == "__main__":\n    app.run()\n')
    return "\n\n".join(parts)


class Marimo:
    """`marimo edit` serving the notebooks under its root directory."""

    def __init__(self, base_dir: Path, *, env: dict[str, str] | None = None) -> None:
        self.base_dir = base_dir
        self.root_dir = base_dir / "root"
        self.home_dir = base_dir / "home"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._extra_env = env or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self.log_path = base_dir / "marimo.log"
        self._cell_counts: dict[str, int] = {}

    def notebook_url(self, path: str) -> str:
        """Where the editor opens one notebook of the root directory."""
        query = urllib.parse.urlencode({"file": path, "access_token": self.token})
        return f"{self.base_url}/?{query}"

    def add_notebook(self, name: str, cells: list[str]) -> str:
        """Writes a notebook into the server's root and returns its path relative to it."""
        stem = Path(name).stem
        if stem in sys.stdlib_module_names:
            # The notebook's folder is on its kernel's sys.path: "secrets.py" would shadow the
            # standard library's secrets module and the kernel would never start.
            raise ValueError(f"{name!r} shadows the standard library's {stem!r}: rename it")
        path = self.root_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook_source(cells))
        self._cell_counts[name] = len(cells)
        return name

    def cell_count(self, path: str) -> int:
        """How many cells the notebook written by `add_notebook` has."""
        return self._cell_counts[path]

    def start(self) -> None:
        config_home = self.home_dir / ".config"
        for directory in (
            self.root_dir,
            config_home / "marimo",
            self.home_dir / ".cache",
            self.home_dir / ".local" / "share",
            self.home_dir / ".local" / "state",
        ):
            directory.mkdir(parents=True, exist_ok=True)
        (config_home / "marimo" / "marimo.toml").write_text(_CONFIG)
        env = {
            **os.environ,
            "HOME": str(self.home_dir),
            "XDG_CONFIG_HOME": str(config_home),
            "XDG_CACHE_HOME": str(self.home_dir / ".cache"),
            "XDG_DATA_HOME": str(self.home_dir / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home_dir / ".local" / "state"),
            **self._extra_env,
        }
        env.pop("ANYWIDGET_HMR", None)
        command = [
            sys.executable,
            "-m",
            "marimo",
            "--yes",
            "edit",
            "--headless",
            "--host=127.0.0.1",
            f"--port={self.port}",
            f"--token-password={self.token}",
            "--skip-update-check",
            # A closed page's kernel stops soon after, so kernels don't pile up over a session.
            f"--session-ttl={SESSION_TTL_S}",
            "--no-sandbox",
            str(self.root_dir),
        ]
        self._log = self.log_path.open("wb")
        # The root directory is also the working directory: marimo reads a `.marimo.toml` or
        # pyproject.toml found above it, and there is none in a temporary folder.
        self._process = subprocess.Popen(
            command,
            cwd=self.root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        assert self._process is not None
        wait_until_up(
            self._process,
            f"{self.base_url}/health",
            name="marimo",
            log=self.log_path,
            timeout_s=STARTUP_TIMEOUT_S,
        )

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        try:
            if self._process is not None:
                stop_group(self._process, 20)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None


#: Cells start a kernel and import the package; on a loaded 2-core machine that took up to ~85 s.
NOTEBOOK_RUN_TIMEOUT_MS = 240_000

# marimo marks each cell with data-cell-id; a cell that has finished running (with or without an
# error) shows its run time in a status element with data-status="idle". Queued, running, stale
# and never-run cells show another status or none.
_ALL_CELLS_RAN = """(count) => {
  const cells = Array.from(document.querySelectorAll('[data-cell-id]'));
  return cells.length === count && cells.every(
    (cell) => cell.querySelector('[data-testid="cell-status"][data-status="idle"]') !== null
  );
}"""

# A cell whose run raised carries the has-error class and an alert in its output area.
_CELL_ERRORS = """() => Array.from(document.querySelectorAll('[data-cell-id].has-error')).map(
  (cell) => cell.querySelector('[data-cell-role="output"]')?.textContent ?? cell.textContent
)"""


@dataclass
class MarimoNotebook:
    """One notebook open in marimo's editor, with the browser's console collected (the
    kernel's stdout and stderr reach it too)."""

    page: Page
    server: Marimo
    console_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)
        if message.type != "debug":
            self.console.append(f"{message.type}: {message.text}")

    def open(self, path: str) -> None:
        """Opens a notebook (the server's settings run all its cells) and returns once every
        cell has run; raises RuntimeError if one raised or they did not all run."""
        self.page.goto(self.server.notebook_url(path))
        try:
            self.page.wait_for_function(
                _ALL_CELLS_RAN, arg=self.server.cell_count(path), timeout=NOTEBOOK_RUN_TIMEOUT_MS
            )
        except PlaywrightTimeoutError as error:
            console = "\n".join(self.console[-20:])
            raise RuntimeError(
                f"{path}: not every cell ran within {NOTEBOOK_RUN_TIMEOUT_MS} ms.\n"
                f"The browser's console:\n{console}\nmarimo's log:\n{self.server.log_tail()}"
            ) from error
        errors = self.cell_errors()
        if errors:
            # Not an AssertionError: a notebook that cannot run is no answer to what a test asks.
            raise RuntimeError(f"{path}: running the notebook failed: {errors}")

    def cell(self, index: int) -> Locator:
        """The cell at `index` (0-based, in notebook order)."""
        return self.page.locator("[data-cell-id]").nth(index)

    def output(self, index: int) -> Locator:
        """What the cell at `index` displays."""
        return self.cell(index).locator('[data-cell-role="output"]')

    def cell_errors(self) -> list[str]:
        texts: list[str] = self.page.evaluate(_CELL_ERRORS)
        return texts

    def widget_errors(self) -> list[str]:
        """Console errors that mention the widget runtime."""
        return [e for e in self.console_errors if "widget" in e.lower() or "serving" in e.lower()]
