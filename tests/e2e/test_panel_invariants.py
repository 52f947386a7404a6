"""What must hold wherever the panel is shown: no token in the page or a saved notebook, and
readable in JupyterLab's light and dark themes."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def _rgb(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", value)[:3])


def _luminance(rgb: tuple[int, ...]) -> float:
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


@pytest.fixture
def endpoint(workspace: LocalWorkspace) -> str:
    name = unique("e2e-inv")
    with workspace.client() as client:
        client.create(name, [entity("ads1", "1")])
        client.wait(name)
    return name


def test_no_token_in_the_page_or_the_saved_notebook(
    lab: JupyterLab, notebook: NotebookPage, workspace: LocalWorkspace, endpoint: str
) -> None:
    path = lab.add_notebook(
        "secrets.ipynb",
        [f"from serving_panel import EndpointPanel\npanel = EndpointPanel({endpoint!r})\npanel"],
    )
    notebook.open(path)
    notebook.run_all()
    expect(notebook.locator(".serving-panel")).to_contain_text(endpoint)
    html = notebook.page.evaluate("() => document.documentElement.outerHTML")
    assert workspace.token not in html
    notebook.save()
    saved = (lab.root_dir / path).read_text()
    document = json.loads(saved)
    state = document["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    snapshots = [m["state"]["snapshot"] for m in state.values() if "snapshot" in m["state"]]
    assert [s["name"] for s in snapshots] == [endpoint]  # widget state was saved...
    assert workspace.token not in saved  # ...and the token is not in it
    assert "dapi" not in saved


def test_light_and_dark_themes(lab: JupyterLab, notebook: NotebookPage, endpoint: str) -> None:
    path = lab.add_notebook(
        "themes.ipynb",
        [
            "from serving_panel import EndpointPanel\n"
            f"EndpointPanel({endpoint!r}, auto_refresh=False)"
        ],
    )
    notebook.open(path)
    notebook.run_all()
    panel = notebook.locator(".serving-panel")
    expect(panel.get_by_test_id("state-badge")).to_have_text("Ready")
    colors = {}
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        notebook.set_theme(theme)
        style = panel.locator(".sp-root").evaluate(
            "(el) => { const s = getComputedStyle(el); return [s.color, s.backgroundColor]; }"
        )
        colors[theme] = (_rgb(style[0]), _rgb(style[1]))
    light_fg, light_bg = colors["JupyterLab Light"]
    dark_fg, dark_bg = colors["JupyterLab Dark"]
    assert _luminance(light_bg) > 0.8 > _luminance(light_fg) + 0.3  # dark text on light
    assert _luminance(dark_bg) < 0.3 < _luminance(dark_fg) - 0.3  # light text on dark
    notebook.set_theme("JupyterLab Light")
