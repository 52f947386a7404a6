"""The panel's actions in JupyterLab, checked against the workspace through ServingClient: a
grant made in the panel, a revoke refused on a stale ACL, stop then start, and the delete
flow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from harness.api import entity, unique
from harness.backups import Restorable, delete_saving_backup
from harness.lab import JupyterLab
from harness.notebook import NotebookPage, open_panel
from serving_panel import ServingClient
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def test_a_grant_made_in_the_panel_is_seen_by_the_client(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("e2e-grant")
    client.create(name)
    email = f"{unique('grantee')}@example.com"
    workspace.add_user(email)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-permissions").click()
    expect(root.get_by_test_id("perms-table")).to_contain_text("admins")
    root.get_by_test_id("perms-principal").fill(email)
    root.get_by_test_id("perms-kind").select_option("user")
    root.get_by_test_id("perms-level").select_option("CAN_QUERY")
    root.get_by_test_id("perms-add-button").click()
    expect(root.get_by_test_id("perms-count")).to_contain_text("1 change")
    root.get_by_test_id("perms-preview").click()
    expect(root.get_by_test_id("perms-describe")).to_contain_text("PATCH /api/2.0/permissions")
    root.get_by_test_id("perms-dialog-apply").click()
    # The staged bar goes once Python has answered: the grant was sent and read back.
    expect(root.get_by_test_id("perms-bar")).to_be_hidden()
    expect(root.get_by_test_id("perms-table")).to_contain_text(email)
    assert client.permissions(name).level_of("user", email) == "CAN_QUERY"


def test_a_revoke_is_refused_when_the_acl_changed_since_it_was_shown(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("e2e-stale")
    client.create(name)
    kept, other = (f"{unique(who)}@example.com" for who in ("kept", "other"))
    workspace.add_user(kept)
    workspace.add_user(other)
    client.grant(name, "CAN_QUERY", user=kept)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-permissions").click()
    expect(root.get_by_test_id("perms-table")).to_contain_text(kept)
    root.get_by_role("button", name=f"Remove user {kept}'s direct grant").click()
    expect(root.get_by_test_id("perms-count")).to_contain_text("1 change")
    # Someone else changes the ACL while the removal is staged.
    client.grant(name, "CAN_VIEW", user=other)
    root.get_by_test_id("perms-apply").click()
    expect(root.get_by_test_id("perms-alert")).to_contain_text("changed since")
    after = client.permissions(name)
    assert after.level_of("user", kept) == "CAN_QUERY"  # nothing was sent
    assert after.level_of("user", other) == "CAN_VIEW"


def test_delete_needs_the_name_typed_and_then_deletes(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-delete")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("actions").click()
    root.get_by_test_id("action-delete").click()
    dialog = root.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("delete-entities")).to_contain_text("ads1-1")
    confirm = dialog.get_by_test_id("delete-confirm")
    expect(confirm).to_be_disabled()
    dialog.get_by_test_id("delete-input").fill(name.upper())
    expect(confirm).to_be_disabled()
    dialog.get_by_test_id("delete-input").fill(name)
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(dialog.get_by_test_id("delete-done")).to_be_visible()
    expect(root.get_by_test_id("state-badge")).to_have_text("Deleted")
    with pytest.raises(ResourceDoesNotExist):
        client.get(name)


def test_stop_then_start_from_the_actions_menu(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-power")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("actions").click()
    root.get_by_test_id("action-stop").click()
    dialog = root.get_by_test_id("power-dialog")
    expect(dialog).to_contain_text("queries are refused until it is started again")
    expect(dialog.get_by_test_id("power-entities")).to_contain_text("ads1-1")
    dialog.get_by_test_id("power-confirm").click()
    expect(dialog).to_be_hidden()
    expect(root.get_by_test_id("state-badge")).to_have_text("Not ready (stopped)")
    assert client.get(name).state == "Not ready (stopped)"

    root.get_by_test_id("actions").click()
    root.get_by_test_id("action-start").click()
    root.get_by_test_id("power-dialog").get_by_test_id("power-confirm").click()
    expect(root.get_by_test_id("power-dialog")).to_be_hidden()
    assert client.wait(name).state == "Ready"
    client.delete(name)


def test_delete_then_restore_from_the_saved_backup(
    lab: JupyterLab,
    notebook: NotebookPage,
    client: ServingClient,
    workspace: LocalWorkspace,
    tmp_path: Path,
) -> None:
    endpoint = Restorable.make(client, workspace, "e2e-restore")
    name = endpoint.name
    root = open_panel(lab, notebook, name)
    backup = delete_saving_backup(notebook.page, root, name, tmp_path)

    root.get_by_test_id("actions").click()
    root.get_by_test_id("action-restore").click()
    restore = root.get_by_test_id("restore-dialog")
    restore.get_by_test_id("restore-file").set_input_files(str(backup))
    expect(restore.get_by_test_id("restore-name")).to_have_value(name)
    restore.get_by_test_id("restore-confirm").click()
    expect(restore.get_by_test_id("restore-report")).to_contain_text(f"Restored {name}")
    expect(root.get_by_test_id("state-badge")).not_to_have_text("Deleted")
    endpoint.check_restored(client)
    client.delete(name)


def test_the_logs_tab_shows_build_and_server_logs_and_searches(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-logs")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    client.query(name, dataframe_records=[{"x": 1.0}])
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-logs").click()
    log = root.locator(".sp-log-window")
    expect(root.get_by_test_id("log-status")).to_contain_text("lines")
    expect(log).to_contain_text("model loaded in")  # the server log: the model server's output
    root.get_by_test_id("log-kind-build").click()
    expect(log).to_contain_text("build started for served entity ads1-1")
    root.get_by_role("searchbox", name="Search the log").fill("requirement")
    expect(root.get_by_test_id("log-match-count")).to_have_text(re.compile(r"^1/\d+$"))
    expect(root.locator(".sp-log-window mark").first).to_contain_text("requirement")


def toolbar_rows(toolbar: Locator) -> list[list[str]]:
    """The toolbar's controls by row: names of the controls whose boxes share a line."""
    rows: list[list[str]] = toolbar.evaluate(
        """(bar) => {
          const rows = [];
          for (const control of bar.querySelectorAll("select, input, button")) {
            const box = control.getBoundingClientRect();
            const name = control.getAttribute("aria-label") || control.textContent.trim();
            const row = rows.find((r) => box.top < r.bottom && box.bottom > r.top);
            if (row) row.names.push(name);
            else rows.push({ top: box.top, bottom: box.bottom, names: [name] });
          }
          return rows.sort((a, b) => a.top - b.top).map((r) => r.names);
        }"""
    )
    return rows


def test_the_logs_toolbar_keeps_one_row_at_1400_px_and_wraps_by_group_when_narrow(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-logs-bar")
    client.create(name, [entity("main.default.sentiment", "1", name="sentiment-classifier-1")])
    client.wait(name)
    notebook.page.set_viewport_size({"width": 1400, "height": 900})
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-logs").click()
    expect(root.get_by_test_id("log-status")).to_contain_text("lines")
    toolbar = root.locator(".sp-log-toolbar")
    rows = toolbar_rows(toolbar)
    assert len(rows) == 1, rows  # with JupyterLab's file browser open beside the notebook
    # Narrow: the controls wrap in their groups; copy and download stay with each other. The
    # panel's own width is set, not the window's: how much of the window JupyterLab gives the
    # notebook depends on its sidebars, which earlier tests may have left open or closed.
    groups = [
        ["Served entity", "build", "server", "Config version"],
        ["Search the log", "Previous match", "Next match"],
        ["Reload", "copy", "download"],
    ]
    for width in (760, 560):
        root.evaluate("(panel, width) => { panel.style.width = `${width}px`; }", width)
        rows = toolbar_rows(toolbar)
        assert len(rows) > 1, (width, rows)
        for group in groups:
            assert any(set(group) <= set(row) for row in rows), (width, group, rows)
