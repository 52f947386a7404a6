"""notebooks/quickstart.ipynb, the `make demo` path, runs top to bottom in JupyterLab."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.lab import JupyterLab
from harness.notebook import NotebookPage

pytestmark = pytest.mark.e2e

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_quickstart_runs_and_shows_the_panel(lab: JupyterLab, notebook: NotebookPage) -> None:
    notebook.open(lab.copy_notebook(NOTEBOOKS / "quickstart.ipynb"))
    notebook.run_all()
    panel = notebook.locator(".serving-panel")
    expect(panel.locator(".sp-name")).to_have_text("ads-endpoint")
    panel.get_by_role("button", name="Refresh").click()
    expect(panel.get_by_test_id("revision")).to_have_text("revision 1")
    assert notebook.widget_errors() == []
    # The README's screenshot: `SERVING_PANEL_SCREENSHOTS=docs make py-test` refreshes it.
    target = os.environ.get("SERVING_PANEL_SCREENSHOTS")
    if target:
        panel.screenshot(path=str(Path(target) / "panel.png"))
