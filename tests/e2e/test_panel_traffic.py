"""The Config tab in JupyterLab: a traffic shift from 100/0 to 80/20 made in the panel,
previewed and applied, then read back by databricks-sdk; and a rollback to the config that kept
serving after a failed update."""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage, open_panel
from serving_panel import ServingClient
from serving_panel.errors import UpdateFailed
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e


def test_a_traffic_shift_made_in_the_panel_is_seen_by_databricks_sdk(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("e2e-traffic")
    client.create(
        name, [entity("ads1", "1"), entity("ads1", "2")], traffic={"ads1-1": 100, "ads1-2": 0}
    )
    client.wait(name, poll_s=0.2, progress=False)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-config").click()
    tab = root.get_by_test_id("config-tab")
    share = tab.locator('tr[data-entity="ads1-2"] [data-testid="config-traffic"]')
    expect(share).to_have_value("0")

    tab.get_by_test_id("config-target").select_option("ads1-2")
    tab.get_by_test_id("config-shift-by").fill("20")
    tab.get_by_test_id("config-shift").click()
    expect(share).to_have_value("20")
    expect(tab.get_by_test_id("config-total")).to_contain_text("Total: 100%")
    tab.get_by_test_id("config-preview").click()

    dialog = tab.get_by_test_id("config-dialog")
    expect(dialog.get_by_test_id("config-changes")).to_contain_text("ads1-2 0% → 20%")
    expect(dialog.get_by_test_id("config-body")).to_contain_text('"traffic_percentage": 80')
    expect(dialog.get_by_test_id("config-snippet")).to_contain_text("$DATABRICKS_TOKEN")
    assert workspace.token not in (dialog.text_content() or "")
    dialog.get_by_test_id("config-apply").click()
    expect(tab.get_by_test_id("config-result")).to_contain_text("Sent: config v2")
    expect(dialog).to_be_hidden()

    client.wait(name, poll_s=0.2, progress=False)
    sdk = WorkspaceClient(host=workspace.host, token=workspace.token)
    seen = sdk.serving_endpoints.get(name)
    assert seen.config is not None and seen.config.traffic_config is not None
    routes = seen.config.traffic_config.routes or []
    assert [(r.served_entity_name, r.traffic_percentage) for r in routes] == [
        ("ads1-1", 80),
        ("ads1-2", 20),
    ]
    assert seen.config.config_version == 2
    client.delete(name)


def test_a_rollback_after_a_failed_update(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-rollback")
    client.create(name, [entity("ads1", "1")])
    client.wait(name, poll_s=0.2, progress=False)
    root = open_panel(lab, notebook, name)  # the panel's client sees config v1
    client.update_config(name, [entity("broken", "1")])
    with pytest.raises(UpdateFailed):
        client.wait(name, poll_s=0.2, progress=False)
    root.get_by_test_id("refresh").click()
    expect(root.get_by_test_id("pending-note")).to_have_text("update to v2 failed")

    root.get_by_test_id("tab-config").click()
    tab = root.get_by_test_id("config-tab")
    choice = tab.get_by_test_id("config-rollback-version")
    expect(choice).to_contain_text("config v1 (current, after the failed update)")
    choice.select_option("1")
    tab.get_by_test_id("config-rollback").click()
    dialog = tab.get_by_test_id("config-dialog")
    expect(dialog.get_by_test_id("config-body")).to_contain_text('"entity_name": "ads1"')
    dialog.get_by_test_id("config-apply").click()
    expect(tab.get_by_test_id("config-result")).to_contain_text("Sent: config v3")

    after = client.wait(name, poll_s=0.2, progress=False)
    assert after.state == "Ready"
    assert after.config is not None and after.config.config_version == 3
    assert [(e.entity_name, e.entity_version) for e in after.config.served_entities] == [
        ("ads1", "1")
    ]
    client.delete(name)
