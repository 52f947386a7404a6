"""The Events tab in JupyterLab: a failing update watched by an open panel shows its events in
order, and the Overview's triage card names the cause.

The panel polls on its own (auto refresh); the update is paced by the workspace's fault
control, not by sleeps: a slow build keeps the broken entity creating while the panel first
looks, and a held update stays IN_PROGRESS after the build failed until the test releases it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage, open_panel
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e

#: Long enough that the panel's refresh after the update sees the build still running.
SLOW_BUILD_S = 8
#: Waits on conditions that span a model load on a shared machine.
LONG_MS = 120_000


def test_a_failing_update_shows_its_events_in_order_and_the_cause(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    name = unique("e2e-events")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    root = open_panel(lab, notebook, name, auto_refresh=True)
    root.get_by_test_id("tab-events").click()
    expect(root.get_by_test_id("events-note")).to_contain_text("no events")
    events = root.get_by_test_id("events-list")
    expect(events).to_contain_text("Panel opened")

    workspace.faults.hold_updates(name)
    workspace.faults.slow_build(name, SLOW_BUILD_S, served_entity="broken-1", times=1)
    try:
        client.update_config(name, [entity("broken", "1")])
        root.get_by_test_id("refresh").click()  # polls are slow while nothing happens
        expect(events).to_contain_text("broken-1 creating", timeout=LONG_MS)
        expect(events).to_contain_text("broken-1 failed", timeout=LONG_MS)
    finally:
        workspace.faults.release(name)
        workspace.faults.clear()
    expect(events).to_contain_text("Update failed", timeout=LONG_MS)

    summaries = events.get_by_test_id("event-summary").all_inner_texts()

    def first(words: str) -> int:
        found = [i for i, text in enumerate(summaries) if words in text]
        assert found, f"no event saying {words!r} in {summaries}"
        return found[0]

    newest_first = [
        first("Update failed"),
        first("broken-1 failed"),
        first("build failed"),
        first("loading the model"),
        first("broken-1 creating"),
        first("Config v2 pending"),
        first("Panel opened"),
    ]
    assert newest_first == sorted(newest_first), summaries

    root.get_by_test_id("events-kind").select_option("build")
    expect(events.get_by_test_id("event").first).to_have_attribute("data-kind", "build")
    row = events.get_by_test_id("event").filter(has_text="build failed").first
    row.get_by_test_id("event-link").click()  # opens the build log at that line
    expect(root.get_by_test_id("tab-logs")).to_have_attribute("aria-selected", "true")

    root.get_by_test_id("tab-overview").click()
    card = root.get_by_test_id("triage")
    expect(card).to_have_attribute("data-cause", "model-load-error", timeout=LONG_MS)
    expect(card).to_contain_text("The model raised an error while loading")
    expect(card.get_by_test_id("triage-lines")).to_contain_text("model failed to load")
    # The card and the timeline follow JupyterLab's theme: their text stays readable on each.
    title = card.locator(".sp-triage-title")
    colors: dict[str, str] = {}
    try:
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            notebook.set_theme(theme)
            colors[theme] = title.evaluate("e => getComputedStyle(e).color")
    finally:
        notebook.set_theme("JupyterLab Light")
    assert colors["JupyterLab Light"] != colors["JupyterLab Dark"], colors
    client.delete(name)
