"""The Metrics tab in JupyterLab: opened, it samples through the kernel; queries sent to the
endpoint show in its charts at the next sample."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from harness.api import entity, unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage, open_panel
from serving_panel import ServingClient

pytestmark = pytest.mark.e2e


def test_queries_show_in_the_metrics_tabs_charts(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient
) -> None:
    name = unique("e2e-metrics")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    root = open_panel(lab, notebook, name, extra="metrics_interval_s=1")

    root.get_by_test_id("tab-metrics").click()
    rate = root.get_by_test_id("chart-request_rate")
    readout = root.get_by_test_id("readout-request_rate")
    expect(readout).to_have_text("latest0 req/s")  # nobody queried it yet
    expect(root.get_by_test_id("metrics-status")).to_contain_text("every 1 s")
    expect(root.locator(".sp-metrics-legend")).to_have_text("ads1-1")
    expect(root.locator("figure.sp-chart")).to_have_count(10)
    points_before = int(rate.get_attribute("data-points") or "0")

    for x in range(6):
        client.query(name, dataframe_records=[{"x": float(x)}])

    # The service's rate is the last minute's requests / 60: six queries read 0.1 req/s.
    expect(readout).to_have_text("latest0.1 req/s")
    assert int(rate.get_attribute("data-points") or "0") > points_before
    expect(root.get_by_test_id("readout-latency_p50_ms")).to_have_text(
        re.compile(r"latest\d+(\.\d+)? ms")
    )
    line = rate.locator("path.sp-chart-line")
    expect(line).to_have_attribute("d", re.compile(r"L"))  # a line, not a single dot

    # Hover for the values at a read: the first one, before the queries.
    box = rate.locator("svg").bounding_box()
    assert box is not None
    notebook.page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
    expect(readout).to_have_text(re.compile(r"^\d\d:\d\d:\d\d0 req/s$"))

    # The charts follow JupyterLab's theme: text from its variables, lines from the palette.
    title = rate.locator(".sp-chart-title")
    colors = {}
    try:
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            notebook.set_theme(theme)
            colors[theme] = title.evaluate("e => getComputedStyle(e).color")
            stroke = line.evaluate("e => getComputedStyle(e).stroke")
            assert stroke not in ("none", ""), stroke
    finally:
        notebook.set_theme("JupyterLab Light")
    assert colors["JupyterLab Light"] != colors["JupyterLab Dark"]
    assert notebook.widget_errors() == []
    client.delete(name)
