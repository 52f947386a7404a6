"""The panel in JupyterLab: kernel, widget runtime, bundle, DOM and back, on real endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import __version__
from serving_panel.errors import UpdateFailed
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e

XSS = '<img src=x onerror="window.__pwned = 1">'

RAISING_MODEL = f"""
import mlflow
from mlflow.models import set_model


class Raising(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        raise RuntimeError({XSS!r})

    def predict(self, context, model_input):
        return model_input


set_model(Raising())
"""


def test_panel_renders_and_round_trips_with_python(
    lab: JupyterLab, notebook: NotebookPage, workspace: LocalWorkspace
) -> None:
    name = unique("e2e")
    with workspace.client() as client:
        client.create(name, [entity("ads1", "1")])
        client.wait(name)
    path = lab.add_notebook(
        "roundtrip.ipynb",
        [
            "from serving_panel import EndpointPanel\n"
            f"panel = EndpointPanel({name!r}, auto_refresh=False)\n"
            "panel"
        ],
    )
    notebook.open(path)
    notebook.run_all()

    root = notebook.locator(".serving-panel")
    expect(root).to_contain_text(name)
    expect(root.get_by_test_id("refresh")).to_have_attribute("data-revision", "1")
    # A request/response over custom messages: Python answers "hello" with its version.
    expect(root.get_by_test_id("footer")).to_have_text(f"serving-panel {__version__}")

    # Browser -> Python: the click asks Python to re-read; its answer is a new snapshot.
    root.get_by_role("button", name="Refresh").click()
    expect(root.get_by_test_id("refresh")).to_have_attribute("data-revision", "2")
    revision = json.loads(notebook.execute("print(panel.snapshot['revision'])"))
    assert revision == 2

    # Python -> browser: a snapshot set in the kernel shows in the DOM.
    notebook.execute("panel.snapshot = {**panel.snapshot, 'revision': 7}")
    expect(root.get_by_test_id("refresh")).to_have_attribute("data-revision", "7")
    assert notebook.widget_errors() == []


def test_server_strings_render_as_text(
    lab: JupyterLab, notebook: NotebookPage, workspace: LocalWorkspace, tmp_path: Path
) -> None:
    import mlflow.pyfunc

    code = tmp_path / "raising.py"
    code.write_text(RAISING_MODEL)
    mlflow.pyfunc.save_model(
        path=str(tmp_path / "model"), python_model=str(code), pip_requirements=["mlflow"]
    )
    model = unique("xss")
    workspace.register_model(model, tmp_path / "model")
    name = unique("e2e-xss")
    with workspace.client() as client:
        client.create(name, [entity(model, "1")], tags={"note": XSS}, description=XSS)
        with pytest.raises(UpdateFailed):  # meant to fail, with the payload as its message
            client.wait(name)
    path = lab.add_notebook(
        "xss.ipynb", [f"from serving_panel import EndpointPanel\nEndpointPanel({name!r})"]
    )
    notebook.open(path)
    notebook.run_all()
    root = notebook.locator(".serving-panel")
    expect(root).to_contain_text(XSS)
    assert root.locator("img").count() == 0
    assert notebook.page.evaluate("() => window.__pwned === undefined")
