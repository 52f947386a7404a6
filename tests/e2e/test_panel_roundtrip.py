"""The first slice through the whole pipeline: kernel, widget runtime, bundle, DOM and back."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import __version__

pytestmark = pytest.mark.e2e


def test_panel_renders_and_round_trips_with_python(lab: JupyterLab, notebook: NotebookPage) -> None:
    path = lab.add_notebook(
        "roundtrip.ipynb",
        ["from serving_panel import EndpointPanel\npanel = EndpointPanel('ads-endpoint')\npanel"],
    )
    notebook.open(path)
    notebook.run_all()

    root = notebook.locator(".serving-panel")
    expect(root.locator(".sp-name")).to_have_text("ads-endpoint")
    expect(root.get_by_test_id("revision")).to_have_text("revision 0")
    # A request/response over custom messages: Python answers "hello" with its version.
    expect(root.get_by_test_id("footer")).to_have_text(f"serving-panel {__version__}")

    # Browser -> Python: the click bumps a trait; the Python observer answers with a new snapshot.
    root.get_by_role("button", name="Refresh").click()
    expect(root.get_by_test_id("revision")).to_have_text("revision 1")
    state = json.loads(
        notebook.execute(
            "import json; print(json.dumps({'revision': panel.snapshot['revision'],"
            " 'requests': panel._refresh_request}))"
        )
    )
    assert state == {"revision": 1, "requests": 1}

    # Python -> browser: a snapshot set in the kernel shows in the DOM.
    notebook.execute("panel.snapshot = {'name': 'ads-endpoint', 'revision': 7}")
    expect(root.get_by_test_id("revision")).to_have_text("revision 7")
    assert notebook.widget_errors() == []


def test_server_strings_render_as_text(lab: JupyterLab, notebook: NotebookPage) -> None:
    payload = '<img src=x onerror="window.__pwned = 1">'
    path = lab.add_notebook(
        "xss.ipynb",
        [f"from serving_panel import EndpointPanel\nEndpointPanel({payload!r})"],
    )
    notebook.open(path)
    notebook.run_all()
    name = notebook.locator(".serving-panel .sp-name")
    expect(name).to_have_text(payload)
    assert name.locator("img").count() == 0
    assert notebook.page.evaluate("() => window.__pwned === undefined")
