"""The Config tab's add-entity form in JupyterLab: typing a Unity Catalog model's name offers
its versions (from the local workspace's Unity Catalog route, through `config.versions`) on
the version field; a plain registry name says why none are listed, and its version is typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage, open_panel
from serving_panel import ServingClient

pytestmark = pytest.mark.e2e


def test_a_typed_model_name_offers_its_versions(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-versions")
    client.create(name, [entity("ads1", "1")])
    client.wait(name, poll_s=0.2, progress=False)
    root = open_panel(lab, notebook, name)
    root.get_by_test_id("tab-config").click()
    tab = root.get_by_test_id("config-tab")

    tab.get_by_test_id("config-add-model").fill("main.default.sentiment")
    expect(tab.get_by_test_id("config-add-versions")).to_have_text("1 version")
    version = tab.get_by_test_id("config-add-version")
    options = tab.locator(f"datalist#{version.get_attribute('list')} option")
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == "1"

    tab.get_by_test_id("config-add-model").fill("ads1")
    expect(tab.get_by_test_id("config-add-versions")).to_contain_text(
        "Versions are listed for Unity Catalog models only"
    )
    expect(options).to_have_count(0)
    version.fill("2")
    tab.get_by_test_id("config-add").click()
    expect(tab.locator('tr[data-entity="ads1-2"]')).to_contain_text("added")
    client.delete(name)
