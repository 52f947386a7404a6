"""ServingExplorer in JupyterLab: the Endpoints view lists the workspace's endpoints, a search
filters them, opening one shows the panel's Overview inside, and back returns to the list with
the search kept."""

from __future__ import annotations

import pytest

from harness.explorer import JUPYTER_CELL, ExplorerWalk
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import ServingClient

pytestmark = pytest.mark.e2e


def test_list_search_open_and_back(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    walk = ExplorerWalk.make(client, "xlab")
    path = lab.add_notebook(f"{walk.marker}.ipynb", [JUPYTER_CELL])
    notebook.open(path)
    notebook.run_all()
    walk.run(notebook.locator(".serving-explorer"))
    assert notebook.widget_errors() == []
