"""ServingExplorer in JupyterLab: an endpoint deleted from the panel opened inside the explorer
(its backup saved from the delete dialog) is gone from the list, and the list's "Restore from
backup…" brings it back, config, tags and grants."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.backups import Restorable, delete_saving_backup
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
    endpoint = Restorable.make(client, workspace, "xrestore")
    name = endpoint.name
    notebook.open(lab.add_notebook(f"{name}.ipynb", [JUPYTER_CELL]))
    notebook.run_all()
    root = notebook.locator(".serving-explorer")
    root.get_by_test_id("explorer-search").fill(name)
    root.locator(f'[data-testid=explorer-row][data-name="{name}"]').click()
    backup = delete_saving_backup(
        notebook.page, root.get_by_test_id("explorer-opened"), name, tmp_path
    )
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
    endpoint.check_restored(client)
    assert notebook.widget_errors() == []
    client.delete(name)
