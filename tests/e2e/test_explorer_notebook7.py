"""ServingExplorer in Jupyter Notebook 7 (the same widget manager as JupyterLab, another shell):
the Endpoints view lists the workspace's endpoints, a search filters them, opening one shows its
panel inside, and back returns to the list with the search kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import ServingClient

pytestmark = pytest.mark.e2e


def test_the_explorer_lists_searches_opens_and_goes_back_in_notebook_7(
    page: Page, notebook7: JupyterLab, client: ServingClient
) -> None:
    marker = unique("xnb7")
    wanted, other = f"{marker}-ads", unique("e2e-nb7-other")
    client.create(wanted, [entity("ads1", "1")], tags={"team": "explorer-nb7"})
    client.create(other)
    client.wait(wanted)
    notebook = NotebookPage(page, notebook7)
    path = notebook7.add_notebook(
        f"{marker}.ipynb",
        [
            "from serving_panel import ServingExplorer\n"
            "explorer = ServingExplorer(auto_refresh=False)\n"
            "explorer"
        ],
    )
    try:
        notebook.open(path)
        notebook.run_all()
        root = notebook.locator(".serving-explorer")
        rows = root.get_by_test_id("explorer-row")
        expect(root.locator(f'[data-testid=explorer-row][data-name="{other}"]')).to_be_visible()

        root.get_by_test_id("explorer-search").fill(marker)
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-name", wanted)
        expect(rows.first).to_contain_text("MANAGE")  # the details streamed in
        expect(rows.first.get_by_test_id("explorer-tag")).to_have_text("team=explorer-nb7")

        rows.first.click()
        opened = root.get_by_test_id("explorer-opened")
        expect(opened).to_have_attribute("data-name", wanted)
        expect(opened.get_by_test_id("state-badge")).to_have_attribute("data-state", "Ready")
        expect(opened).to_contain_text("ads1-1")

        root.get_by_test_id("explorer-back").click()
        expect(root.get_by_test_id("explorer-search")).to_have_value(marker)
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-name", wanted)
        assert notebook.widget_errors() == []
    finally:
        notebook.shutdown_kernel()
