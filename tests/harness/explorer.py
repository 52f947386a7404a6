"""The explorer's end-to-end walk every frontend shares: two endpoints made, the list shows
both, a search narrows to one whose details stream in, opening it shows its panel, and back
returns to the list with the search kept. Each frontend's test renders the explorer its own
way and hands the root here."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, expect

from harness.api import entity, unique
from serving_panel import ServingClient

#: The notebook cell that shows an explorer in Jupyter (marimo wraps it in mo.ui.anywidget).
JUPYTER_CELL = (
    "from serving_panel import ServingExplorer\n"
    "explorer = ServingExplorer(auto_refresh=False)\n"
    "explorer"
)


@dataclass(frozen=True)
class ExplorerWalk:
    """Two endpoints for one walk: `wanted` (found by `marker`, tagged `tag`) and `other`."""

    marker: str
    wanted: str
    other: str
    tag: str

    @classmethod
    def make(cls, client: ServingClient, prefix: str) -> ExplorerWalk:
        marker = unique(prefix)
        walk = cls(marker, f"{marker}-ads", unique(f"e2e-{prefix}-other"), f"team={prefix}")
        key, _, value = walk.tag.partition("=")
        client.create(walk.wanted, [entity("ads1", "1")], tags={key: value})
        client.create(walk.other)
        client.wait(walk.wanted)
        return walk

    def run(self, root: Locator) -> None:
        """List, search, the details, open, back: what every frontend must show."""
        rows = root.get_by_test_id("explorer-row")
        expect(
            root.locator(f'[data-testid=explorer-row][data-name="{self.other}"]')
        ).to_be_visible()

        root.get_by_test_id("explorer-search").fill(self.marker)
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-name", self.wanted)
        expect(rows.first).to_contain_text("MANAGE")  # the details streamed in
        expect(rows.first.get_by_test_id("explorer-tag")).to_have_text(self.tag)

        rows.first.click()
        opened = root.get_by_test_id("explorer-opened")
        expect(opened).to_have_attribute("data-name", self.wanted)
        expect(opened.get_by_test_id("state-badge")).to_have_attribute("data-state", "Ready")
        expect(opened.get_by_test_id("tab-overview")).to_have_attribute("aria-selected", "true")
        expect(opened).to_contain_text("ads1-1")

        root.get_by_test_id("explorer-back").click()
        expect(root.get_by_test_id("explorer-search")).to_have_value(self.marker)
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-name", self.wanted)
