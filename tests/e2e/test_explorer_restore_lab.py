"""ServingExplorer in JupyterLab: an endpoint deleted from the panel opened inside the explorer
(its backup saved from the delete dialog) is gone from the list, and the list's "Restore from
backup…" brings it back, config, tags and grants."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.explorer import JUPYTER_CELL
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def test_delete_inside_the_explorer_then_restore_from_the_list(
    lab: JupyterLab,
    notebook: NotebookPage,
    client: ServingClient,
    workspace: LocalWorkspace,
    tmp_path: Path,
) -> None:
    name = unique("xrestore")
    client.create(name, [entity("ads1", "1")], tags={"team": "ads"})
    client.wait(name)
    querier = f"{unique('querier')}@example.com"
    workspace.add_user(querier)
    client.grant(name, "CAN_QUERY", user=querier)
    notebook.open(lab.add_notebook(f"{name}.ipynb", [JUPYTER_CELL]))
    notebook.run_all()
    root = notebook.locator(".serving-explorer")
    root.get_by_test_id("explorer-search").fill(name)
    root.locator(f'[data-testid=explorer-row][data-name="{name}"]').click()

    opened = root.get_by_test_id("explorer-opened")
    opened.get_by_test_id("actions").click()
    opened.get_by_test_id("action-delete").click()
    dialog = opened.get_by_test_id("delete-dialog")
    with notebook.page.expect_download() as saving:
        dialog.get_by_test_id("delete-save").click()
    backup = tmp_path / "backup.json"
    saving.value.save_as(backup)
    dialog.get_by_test_id("delete-input").fill(name)
    dialog.get_by_test_id("delete-confirm").click()
    expect(opened.get_by_test_id("state-badge")).to_have_text("Deleted")
    dialog.get_by_test_id("delete-cancel").click()
    root.get_by_test_id("explorer-back").click()
    root.get_by_test_id("explorer-refresh").click()
    row = root.locator(f'[data-testid=explorer-row][data-name="{name}"]')
    expect(row).to_have_count(0)

    root.get_by_test_id("explorer-restore").click()
    restore = root.get_by_test_id("restore-dialog")
    restore.get_by_test_id("restore-file").set_input_files(str(backup))
    expect(restore.get_by_test_id("restore-name")).to_have_value(name)
    restore.get_by_test_id("restore-confirm").click()
    expect(restore.get_by_test_id("restore-report")).to_contain_text(f"Restored {name}")
    # The list read itself again: the endpoint is back in it.
    expect(row).to_be_visible()
    after = client.wait(name)
    assert after.tags == {"team": "ads"}
    assert client.permissions(name).level_of("user", querier) == "CAN_QUERY"
    assert notebook.widget_errors() == []
    client.delete(name)
