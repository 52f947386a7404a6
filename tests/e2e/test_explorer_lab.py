"""ServingExplorer in JupyterLab: the Endpoints view lists the workspace's endpoints, a search
filters them, opening one shows the panel's Overview inside, and back returns to the list with
the search kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import ServingClient

pytestmark = pytest.mark.e2e


def test_list_search_open_and_back(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    marker = unique("xq")
    wanted, other = f"{marker}-ads", unique("e2e-other")
    client.create(wanted, [entity("ads1", "1")], tags={"team": "explorer-e2e"})
    client.create(other)
    client.wait(wanted)
    path = lab.add_notebook(
        f"{marker}.ipynb",
        [
            "from serving_panel import ServingExplorer\n"
            "explorer = ServingExplorer(auto_refresh=False)\n"
            "explorer"
        ],
    )
    notebook.open(path)
    notebook.run_all()
    root = notebook.locator(".serving-explorer")
    rows = root.get_by_test_id("explorer-row")
    expect(root.locator(f'[data-testid=explorer-row][data-name="{other}"]')).to_be_visible()

    root.get_by_test_id("explorer-search").fill(marker)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-name", wanted)
    # The details stream in: the caller's level shows once the GET answered.
    expect(rows.first).to_contain_text("MANAGE")
    expect(rows.first.get_by_test_id("explorer-tag")).to_have_text("team=explorer-e2e")

    rows.first.click()
    opened = root.get_by_test_id("explorer-opened")
    expect(opened).to_have_attribute("data-name", wanted)
    expect(opened.get_by_test_id("state-badge")).to_have_attribute("data-state", "Ready")
    expect(opened.get_by_test_id("tab-overview")).to_have_attribute("aria-selected", "true")
    expect(opened).to_contain_text("ads1-1")

    root.get_by_test_id("explorer-back").click()
    expect(root.get_by_test_id("explorer-search")).to_have_value(marker)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-name", wanted)
