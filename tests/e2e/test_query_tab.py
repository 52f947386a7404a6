"""The Query tab in JupyterLab: a query sent from the tab, then its "Copy as curl" snippet run
in a shell against the local workspace, with only DATABRICKS_HOST and DATABRICKS_TOKEN set,
gets the same answer; the snippet holds no token. And a streamed answer shows in the tab."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage, open_panel
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def test_a_query_and_its_copied_curl_get_the_same_answer(
    lab: JupyterLab,
    notebook: NotebookPage,
    client: ServingClient,
    workspace: LocalWorkspace,
    tmp_path: Path,
) -> None:
    name = unique("e2e-query")
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 100, "ads1-2": 0}
    )
    client.wait(name, until="ready", poll_s=0.2, progress=False)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-query").click()
    tab = root.get_by_test_id("query-tab")
    # No signature on the regressor: the editor starts from the skeleton.
    expect(tab.get_by_test_id("query-source")).to_contain_text("skeleton")
    editor = tab.get_by_test_id("query-editor")
    editor.fill('{"dataframe_records": [{"x": 3}, {"x": ')
    expect(tab.get_by_test_id("query-problem")).to_contain_text("Not valid JSON at line 1")
    expect(tab.get_by_test_id("query-send")).to_be_disabled()
    editor.fill('{"dataframe_records": [{"x": 3}, {"x": 0.5}]}')
    tab.get_by_test_id("query-send").click()
    expect(tab.get_by_test_id("query-status")).to_have_text("200")
    expect(tab.get_by_test_id("query-entity")).to_contain_text("ads1-1")
    shown = json.loads(tab.get_by_test_id("query-body").inner_text())
    assert shown == {"predictions": [7.0, 2.0]}
    expect(tab.get_by_test_id("query-history-item")).to_have_count(1)

    tab.get_by_test_id("query-copy").click()
    tab.get_by_test_id("query-copy-curl").click()
    snippet_box = tab.get_by_test_id("query-snippet")
    expect(snippet_box).to_contain_text("curl")
    snippet = snippet_box.inner_text()
    assert workspace.token not in snippet
    assert "$DATABRICKS_TOKEN" in snippet
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_TOKEN": workspace.token,
    }
    done = subprocess.run(
        ["bash", "-c", snippet], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == shown
    client.delete(name)


def test_a_streamed_answer_shows_in_the_tab(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-stream")
    client.create(name, [entity("streamer", "1")])
    client.wait(name, until="ready", poll_s=0.2, progress=False)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-query").click()
    tab = root.get_by_test_id("query-tab")
    expect(tab.get_by_test_id("query-source")).to_be_visible()
    tab.get_by_test_id("query-editor").fill(
        '{"dataframe_records": [{"prompt": "one two three"}], "stream": true}'
    )
    tab.get_by_test_id("query-send").click()
    expect(tab.get_by_test_id("query-status")).to_have_text("200")
    expect(tab.get_by_test_id("query-stream")).to_have_text("three two one")
    expect(tab.get_by_test_id("query-entity")).to_contain_text("streamer-1")
    client.delete(name)
