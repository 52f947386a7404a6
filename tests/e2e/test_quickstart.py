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
    expect(panel).to_contain_text("ads-endpoint")
    expect(panel.get_by_test_id("state-badge")).to_have_text("Ready")
    # The notebook's last cell stops its workspace, so no refresh here (the round-trip test
    # covers that).
    assert notebook.widget_errors() == []
    # The README's screenshot: `SERVING_PANEL_SCREENSHOTS=docs make py-test` refreshes it.
    target = os.environ.get("SERVING_PANEL_SCREENSHOTS")
    if target:
        panel.screenshot(path=str(Path(target) / "panel.png"))
