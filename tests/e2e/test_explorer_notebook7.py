"""ServingExplorer in Jupyter Notebook 7 (the same widget manager as JupyterLab, another shell):
the Endpoints view lists the workspace's endpoints, a search filters them, opening one shows its
panel inside, and back returns to the list with the search kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from harness.explorer import JUPYTER_CELL, ExplorerWalk
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import ServingClient

pytestmark = pytest.mark.e2e


def test_the_explorer_lists_searches_opens_and_goes_back_in_notebook_7(
    page: Page, notebook7: JupyterLab, client: ServingClient
) -> None:
    walk = ExplorerWalk.make(client, "xnb7")
    notebook = NotebookPage(page, notebook7)
    path = notebook7.add_notebook(f"{walk.marker}.ipynb", [JUPYTER_CELL])
    try:
        notebook.open(path)
        notebook.run_all()
        walk.run(notebook.locator(".serving-explorer"))
        assert notebook.widget_errors() == []
    finally:
        notebook.shutdown_kernel()
