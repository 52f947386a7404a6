"""The panel in marimo: wrapped in `mo.ui.anywidget`, rendered by marimo's own widget runtime,
and its state part of marimo's reactivity (a cell reading `panel.value` re-runs when the browser
changes a trait)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.api import entity, unique
from harness.marimo import Marimo, MarimoNotebook
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def _panel_cells(name: str) -> list[str]:
    """The notebook a user writes: the panel wrapped for marimo, then shown."""
    return [
        "import marimo as mo",
        "from serving_panel import EndpointPanel",
        f"panel = mo.ui.anywidget(EndpointPanel({name!r}, auto_refresh=False))",
        "panel",
    ]


@pytest.fixture(scope="module")
def endpoint(workspace: LocalWorkspace) -> str:
    """One ready endpoint for this module's notebooks (each has its own panel and revisions)."""
    name = unique("e2e-marimo")
    with workspace.client() as client:
        client.create(name, [entity("ads1", "1")])
        client.wait(name)
    return name


@pytest.fixture
def marimo_notebook(page: Page, marimo_server: Marimo) -> MarimoNotebook:
    return MarimoNotebook(page, marimo_server)


def test_the_panel_renders_in_marimo(
    marimo_server: Marimo, marimo_notebook: MarimoNotebook, endpoint: str
) -> None:
    path = marimo_server.add_notebook("renders.py", _panel_cells(endpoint))
    marimo_notebook.open(path)
    root = marimo_notebook.output(3).locator(".serving-panel")
    expect(root.get_by_test_id("state-badge")).to_have_text("Ready")
    expect(root.get_by_test_id("entities")).to_contain_text("ads1-1")
    expect(root).to_contain_text(endpoint)
    assert marimo_notebook.widget_errors() == []


def test_refresh_reaches_marimo_reactivity(
    marimo_server: Marimo, marimo_notebook: MarimoNotebook, endpoint: str
) -> None:
    path = marimo_server.add_notebook(
        "reactive.py",
        [
            *_panel_cells(endpoint),
            "mo.md(f\"refresh requests: {panel.value['_refresh_request']}\")",
        ],
    )
    marimo_notebook.open(path)
    root = marimo_notebook.output(3).locator(".serving-panel")
    reader = marimo_notebook.output(4)
    expect(root.get_by_test_id("refresh")).to_have_attribute("data-revision", "1")
    expect(reader).to_have_text("refresh requests: 0")
    root.get_by_role("button", name="Refresh").click()
    # The click reached Python as a trait change, so marimo re-ran the cell reading the value
    # (the time covers Python's read of the endpoint too)...
    expect(reader).to_have_text("refresh requests: 1", timeout=60_000)
    # ...and that change was the one refresh the click asked for, not one of two.
    expect(root.get_by_test_id("refresh")).to_have_attribute("data-revision", "2")
    assert marimo_notebook.cell_errors() == []
    assert marimo_notebook.widget_errors() == []


def test_no_token_in_the_page(
    marimo_server: Marimo, marimo_notebook: MarimoNotebook, workspace: LocalWorkspace, endpoint: str
) -> None:
    # The panel's value as marimo sees it is displayed too: all its synced state is in the page.
    path = marimo_server.add_notebook("no_token.py", [*_panel_cells(endpoint), "panel.value"])
    marimo_notebook.open(path)
    expect(marimo_notebook.output(3).locator(".serving-panel")).to_contain_text(endpoint)
    expect(marimo_notebook.output(4)).to_contain_text("snapshot")
    html = marimo_notebook.page.evaluate("() => document.documentElement.outerHTML")
    assert workspace.token not in html
    assert "dapi" not in html
