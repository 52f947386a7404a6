"""The panel in Jupyter Notebook 7 (the same widget manager as JupyterLab, another shell)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def test_the_panel_renders_and_refreshes_in_notebook_7(
    page: Page, notebook7: JupyterLab, workspace: LocalWorkspace
) -> None:
    name = unique("e2e-nb7")
    with workspace.client() as client:
        client.create(name, [entity("ads1", "1")])
        client.wait(name)
    notebook = NotebookPage(page, notebook7)
    path = notebook7.add_notebook(
        "nb7.ipynb",
        [
            "from serving_panel import EndpointPanel\n"
            f"panel = EndpointPanel({name!r}, auto_refresh=False)\n"
            "panel"
        ],
    )
    notebook.open(path)
    notebook.run_all()
    root = notebook.locator(".serving-panel")
    expect(root.get_by_test_id("state-badge")).to_have_text("Ready")
    expect(root.get_by_test_id("entities")).to_contain_text("ads1-1")
    root.get_by_role("button", name="Refresh").click()
    expect(root.get_by_test_id("refresh")).to_have_attribute("data-revision", "2")
    assert notebook.widget_errors() == []
    notebook.shutdown_kernel()
