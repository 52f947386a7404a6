"""notebooks/quickstart.ipynb, the `make demo` path, as a newcomer meets it in JupyterLab: Run
All, then every tab of every widget it shows, with the workspace still live afterwards."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from harness.api import wait_for
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# Generous: the first log page or ACL read can queue behind a loaded machine's other work.
ANSWER_TIMEOUT_MS = 90_000

# What a working tab shows once its data is in, by tab key (ui/tabs.tsx's data-testid).
WORKING = {
    "overview": ("overview", re.compile(r"ads1-1")),
    "logs": ("log-status", re.compile(r"^[\d,]+ lines?")),
    "permissions": ("perms-status", re.compile(r"\d+ principals?")),
}
# The endpoints the demo seed makes (local/seed.py).
DEMO_ENDPOINTS = ("ads-endpoint", "sentiment", "fraud-detector", "churn-model")
# What a view says while its request is out (bridge/waiting.ts), at the start of a status line.
STILL_WAITING = re.compile(r"^\s*(loading|waiting for the kernel|connecting|Reading)")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def check_every_tab(panel: Locator) -> None:
    """Clicks each tab in turn: it is selected, its panel shows, its data arrives (no endless
    "loading…") and no error banner appears anywhere in the widget."""
    tabs = panel.get_by_role("tab")
    count = tabs.count()
    assert count >= 3, f"expected the panel's tabs, found {count}"
    for index in range(count):
        tab = tabs.nth(index)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        view = panel.locator(f"[id='{tab.get_attribute('aria-controls')}']")
        expect(view).to_be_visible()
        key = (tab.get_attribute("data-testid") or "").removeprefix("tab-")
        if key in WORKING:
            test_id, working = WORKING[key]
            expect(view.get_by_test_id(test_id)).to_contain_text(working, timeout=ANSWER_TIMEOUT_MS)
        # A tab this test does not know yet must still settle and say something.
        statuses = view.get_by_role("status")
        for status in range(statuses.count()):
            expect(statuses.nth(status)).not_to_have_text(STILL_WAITING, timeout=ANSWER_TIMEOUT_MS)
        expect(view).not_to_have_text("")
        expect(panel.get_by_role("alert")).to_have_count(0)


def test_quickstart_run_all_leaves_live_widgets_with_working_tabs(
    lab: JupyterLab, notebook: NotebookPage, tmp_path: Path
) -> None:
    notebook.open(lab.copy_notebook(NOTEBOOKS / "quickstart.ipynb"))
    notebook.run_all()  # raises on any cell error

    # It opens with the explorer: every demo endpoint listed, with its details read.
    explorer = notebook.locator(".serving-explorer")
    expect(explorer).to_have_count(1)
    for name in DEMO_ENDPOINTS:
        row = explorer.locator(f'[data-testid=explorer-row][data-name="{name}"]')
        expect(row).to_contain_text("MANAGE", timeout=ANSWER_TIMEOUT_MS)
    expect(explorer.get_by_test_id("explorer-progress")).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    expect(explorer.get_by_role("alert")).to_have_count(0)

    # The explorer's root is a .serving-panel too: the panels are the others.
    panels = notebook.locator(".serving-panel:not(.serving-explorer)")
    expect(panels.first).to_be_visible()
    assert panels.count() >= 1
    for index in range(panels.count()):
        panel = panels.nth(index)
        expect(panel.get_by_test_id("state-badge")).to_have_text("Ready")
        expect(panel.get_by_test_id("footer")).to_contain_text(re.compile(r"serving-panel \d"))
        check_every_tab(panel)
        # Live, not a picture of the past: a refresh is answered by the running workspace.
        before = panel.get_by_test_id("refresh").get_attribute("data-revision")
        panel.get_by_test_id("refresh").click()
        expect(panel.get_by_test_id("refresh")).not_to_have_attribute("data-revision", before or "")
        expect(panel.get_by_role("alert")).to_have_count(0)
    assert notebook.widget_errors() == []
    assert notebook.execute("print(workspace.running)").strip() == "True"

    # The README's screenshot: `SERVING_PANEL_SCREENSHOTS=docs make py-test` refreshes it.
    target = os.environ.get("SERVING_PANEL_SCREENSHOTS")
    if target:
        # Wide enough for every column of the explorer's list.
        notebook.page.set_viewport_size({"width": 1600, "height": 1000})
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=str(Path(target) / "explorer.png"))
        notebook.page.set_viewport_size({"width": 1280, "height": 1400})  # the whole panel
        panel = panels.first
        panel.get_by_test_id("tab-overview").click()
        panel.screenshot(path=str(Path(target) / "panel.png"))
        panel.get_by_test_id("tab-logs").click()
        expect(panel.get_by_test_id("log-status")).to_contain_text(WORKING["logs"][1])
        panel.screenshot(path=str(Path(target) / "quickstart-logs.png"))

    # The workspace stops when the kernel ends, with nothing left behind.
    pid = int(notebook.execute("print(workspace.pid)"))
    assert alive(pid)
    notebook.shutdown_kernel()
    wait_for(lambda: not alive(pid), timeout_s=60, what="the workspace to stop with its kernel")


@pytest.fixture(scope="module")
def queued_lab(
    tmp_path_factory: pytest.TempPathFactory, workspace: LocalWorkspace
) -> Iterator[JupyterLab]:
    """A JupyterLab whose widget messages wait behind running cells, as in hosts without
    kernel subshells (JupyterLab 4.6 with ipykernel 7 sends them on a subshell by default, so
    a panel answers while a cell runs; Notebook 6, VS Code and older stacks queue them)."""
    lab = JupyterLab(
        tmp_path_factory.mktemp("queued-lab"),
        env={"DATABRICKS_HOST": workspace.host, "DATABRICKS_TOKEN": workspace.token},
        settings={
            "@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"}
        },
    )
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def test_a_request_queued_behind_a_running_cell_says_so_then_gets_its_answer(
    queued_lab: JupyterLab, page: Page, tmp_path: Path
) -> None:
    notebook = NotebookPage(page, queued_lab)
    try:
        notebook.open(
            queued_lab.add_notebook(
                "queued.ipynb",
                [
                    "from serving_panel import EndpointPanel, LocalWorkspace\n"
                    "workspace = LocalWorkspace.start(seed='demo')\n"
                    "panel = EndpointPanel('ads-endpoint', client=workspace.client(),"
                    " auto_refresh=False)\n"
                    "panel"
                ],
            )
        )
        notebook.run_all()
        panel = notebook.locator(".serving-panel").first
        panel.get_by_test_id("tab-permissions").click()
        expect(panel.get_by_test_id("perms-status")).to_contain_text(
            WORKING["permissions"][1], timeout=ANSWER_TIMEOUT_MS
        )
        release = tmp_path / "release"
        notebook.start_cell_until(release)
        panel.get_by_test_id("perms-reload").click()
        expect(panel.get_by_test_id("perms-status")).to_have_text(
            "waiting for the kernel: it is running a cell…", timeout=ANSWER_TIMEOUT_MS
        )
        expect(panel.get_by_test_id("kernel-wait")).to_have_text(
            "waiting for the kernel: it is running a cell…"
        )
        release.touch()
        expect(panel.get_by_test_id("perms-status")).to_contain_text(
            WORKING["permissions"][1], timeout=ANSWER_TIMEOUT_MS
        )
        expect(panel.get_by_test_id("kernel-wait")).to_have_count(0)
        expect(panel.get_by_role("alert")).to_have_count(0)
    finally:
        notebook.shutdown_kernel()
