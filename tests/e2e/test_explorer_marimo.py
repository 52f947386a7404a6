"""ServingExplorer in marimo: wrapped in `mo.ui.anywidget` and rendered by marimo's own widget
runtime, it lists the workspace's endpoints, a search filters them, opening one shows its panel
inside and back returns to the list; no token reaches the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.api import unique
from harness.explorer import ExplorerWalk
from harness.marimo import Marimo, MarimoNotebook
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e

CELLS = [
    "import marimo as mo",
    "from serving_panel import ServingExplorer",
    "explorer = mo.ui.anywidget(ServingExplorer(auto_refresh=False))",
    "explorer",
]


@pytest.fixture
def marimo_notebook(page: Page, marimo_server: Marimo) -> MarimoNotebook:
    return MarimoNotebook(page, marimo_server)


def test_the_explorer_lists_opens_and_goes_back_in_marimo(
    marimo_server: Marimo,
    marimo_notebook: MarimoNotebook,
    client: ServingClient,
    workspace: LocalWorkspace,
) -> None:
    walk = ExplorerWalk.make(client, "xmarimo")
    # The explorer's value as marimo sees it is displayed too: all its synced state is in the page.
    path = marimo_server.add_notebook("explorer.py", [*CELLS, "explorer.value"])
    marimo_notebook.open(path)
    walk.run(marimo_notebook.output(3).locator(".serving-explorer"))

    expect(marimo_notebook.output(4)).to_contain_text("snapshot")
    html = marimo_notebook.page.evaluate("() => document.documentElement.outerHTML")
    assert workspace.token not in html
    assert "dapi" not in html
    assert marimo_notebook.cell_errors() == []
    assert marimo_notebook.widget_errors() == []


def test_a_cell_reading_the_selection_reruns_when_rows_are_selected(
    marimo_server: Marimo, marimo_notebook: MarimoNotebook, client: ServingClient
) -> None:
    marker = unique("xsel")
    first, second = f"{marker}-a", f"{marker}-b"
    client.create(first)
    client.create(second)
    path = marimo_server.add_notebook(
        "selection.py", [*CELLS, 'mo.md(f"selected: {sorted(explorer.selected)}")']
    )
    marimo_notebook.open(path)
    root = marimo_notebook.output(3).locator(".serving-explorer")
    reader = marimo_notebook.output(4)
    expect(reader).to_have_text("selected: []")
    root.get_by_test_id("explorer-search").fill(marker)
    rows = root.get_by_test_id("explorer-row")
    expect(rows).to_have_count(2)
    for name in (first, second):
        root.locator(f'[data-testid=explorer-row][data-name="{name}"] input[type=checkbox]').click()
    # The selection is a trait the browser writes: marimo re-ran the cell reading it.
    expect(reader).to_have_text(f"selected: {sorted([first, second])!r}", timeout=60_000)
    assert marimo_notebook.cell_errors() == []
    assert marimo_notebook.widget_errors() == []
