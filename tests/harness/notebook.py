"""Playwright helpers for driving a notebook in JupyterLab, waiting on events, never on time."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Locator, Page

from harness.lab import JupyterLab

KERNEL_READY_TIMEOUT_MS = 90_000
RUN_TIMEOUT_MS = 180_000

# JupyterLab exposes its application object as window.jupyterapp when started with
# --LabApp.expose_app_in_browser; these snippets use it instead of clicking through menus.
_CURRENT_KERNEL = "window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"

_RUN_ALL = """async () => {
  const widget = window.jupyterapp.shell.currentWidget;
  await widget.sessionContext.ready;
  const ok = await window.jupyterapp.commands.execute('notebook:run-all-cells');
  const kernel = widget.sessionContext.session.kernel;
  if (kernel.status !== 'idle') {
    await new Promise((resolve) => {
      const onStatus = (_, status) => {
        if (status === 'idle') { kernel.statusChanged.disconnect(onStatus); resolve(); }
      };
      kernel.statusChanged.connect(onStatus);
    });
  }
  return ok;
}"""

_EXECUTE = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, stop_on_error: true });
  const out = { stdout: '', stderr: '', error: null };
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type;
    if (type === 'stream') out[msg.content.name] += msg.content.text;
    if (type === 'error') out.error = msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return out;
}"""

_START = """(code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  kernel.requestExecute({ code, stop_on_error: true });
}"""

_CELL_ERRORS = """() => Array.from(
  window.jupyterapp.shell.currentWidget.node.querySelectorAll(
    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'
  )
).map((node) => node.textContent)"""


@dataclass
class NotebookPage:
    """One notebook open in JupyterLab, with the browser's console errors collected."""

    page: Page
    lab: JupyterLab
    console_errors: list[str] = field(default_factory=list)
    _widget_id: str = ""

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def open(self, path: str) -> None:
        self.page.goto(self.lab.notebook_url(path))
        self.page.wait_for_function(
            f"() => {_CURRENT_KERNEL} != null", timeout=KERNEL_READY_TIMEOUT_MS
        )
        self._widget_id = str(self.page.evaluate("() => window.jupyterapp.shell.currentWidget.id"))

    def locator(self, selector: str) -> Locator:
        """Elements inside this notebook only, not in other open tabs."""
        return self.page.locator(f"[id='{self._widget_id}']").locator(selector)

    def run_all(self) -> None:
        """Runs every cell and returns once the kernel is idle again."""
        ok = self.page.evaluate(_RUN_ALL)
        errors = self.cell_errors()
        if ok is False or errors:
            raise AssertionError(f"running the notebook failed: {errors}")

    def execute(self, code: str) -> str:
        """Runs code in the notebook's kernel (outside any cell) and returns its stdout."""
        result: dict[str, Any] = self.page.evaluate(_EXECUTE, code)
        if result["error"]:
            raise AssertionError(f"kernel error: {result['error']}\n{result['stderr']}")
        return str(result["stdout"])

    def start_cell_until(self, release: Path) -> None:
        """Starts code in the kernel that runs (as a cell would) until `release` exists, and
        returns once the kernel says it is busy with it, without waiting for it to end."""
        code = (
            f"import os, time\nwhile not os.path.exists({str(release)!r}):\n    time.sleep(0.05)\n"
        )
        self.page.evaluate(_START, code)
        self.page.wait_for_function(f"() => {_CURRENT_KERNEL}?.status === 'busy'")

    def save(self) -> None:
        """Saves the notebook (with widget state, which the lab's settings turn on)."""
        self.page.evaluate(
            """async () => {
              const widget = window.jupyterapp.shell.currentWidget;
              await widget.context.save();
            }"""
        )

    def set_theme(self, theme: str) -> None:
        """Switches JupyterLab's theme ("JupyterLab Light" or "JupyterLab Dark") and waits for
        the body to say so."""
        light = "true" if "Light" in theme else "false"
        self.page.evaluate(
            "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })",
            theme,
        )
        self.page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'")

    def cell_errors(self) -> list[str]:
        texts: list[str] = self.page.evaluate(_CELL_ERRORS)
        return texts

    def widget_errors(self) -> list[str]:
        """Console errors that mention the widget runtime (JupyterLab logs unrelated noise)."""
        return [e for e in self.console_errors if "anywidget" in e or "serving" in e.lower()]

    def shutdown_kernel(self) -> None:
        """Stops this notebook's kernel, so kernels don't pile up over a session of tests."""
        with contextlib.suppress(Error):  # the page may already be closed
            self.page.evaluate(
                "() => window.jupyterapp.shell.currentWidget?.sessionContext?.shutdown()"
            )


def open_panel(
    lab: JupyterLab,
    notebook: NotebookPage,
    name: str,
    *,
    auto_refresh: bool = False,
    extra: str = "",
) -> Locator:
    """Opens a notebook whose one cell shows `EndpointPanel(name, auto_refresh=...)` (plus
    `extra` arguments), runs it, and returns the panel once its state badge shows."""
    from playwright.sync_api import expect

    arguments = f"{name!r}, auto_refresh={auto_refresh}{', ' + extra if extra else ''}"
    path = lab.add_notebook(
        f"{name}.ipynb",
        [f"from serving_panel import EndpointPanel\npanel = EndpointPanel({arguments})\npanel"],
    )
    notebook.open(path)
    notebook.run_all()
    root = notebook.locator(".serving-panel")
    expect(root.get_by_test_id("state-badge")).to_be_visible()
    return root
