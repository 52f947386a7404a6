"""The delete-then-restore road both widgets offer, for end-to-end tests: an endpoint worth
restoring (a served entity, a tag, a direct grant), and deleting it from a panel's ⋮ menu
with its backup saved from the delete dialog, as a user does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from harness.api import entity, unique
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

TAGS = {"team": "ads"}


@dataclass(frozen=True)
class Restorable:
    """An endpoint with a tag and a user's CAN_QUERY grant: what a restore must bring back."""

    name: str
    querier: str

    @classmethod
    def make(cls, client: ServingClient, workspace: LocalWorkspace, prefix: str) -> Restorable:
        name = unique(prefix)
        client.create(name, [entity("ads1", "1")], tags=TAGS)
        client.wait(name)
        querier = f"{unique('querier')}@example.com"
        workspace.add_user(querier)
        client.grant(name, "CAN_QUERY", user=querier)
        return cls(name, querier)

    def check_restored(self, client: ServingClient) -> None:
        after = client.wait(self.name)
        assert after.tags == TAGS
        assert client.permissions(self.name).level_of("user", self.querier) == "CAN_QUERY"


def delete_saving_backup(page: Page, panel: Locator, name: str, folder: Path) -> Path:
    """Deletes `name` from the panel's ⋮ menu, saving the backup first; returns its file."""
    panel.get_by_test_id("actions").click()
    panel.get_by_test_id("action-delete").click()
    dialog = panel.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("delete-restore-note")).to_contain_text("Restore from backup")
    with page.expect_download() as saving:
        dialog.get_by_test_id("delete-save").click()
    backup = folder / "backup.json"
    saving.value.save_as(backup)
    dialog.get_by_test_id("delete-input").fill(name)
    dialog.get_by_test_id("delete-confirm").click()
    expect(panel.get_by_test_id("state-badge")).to_have_text("Deleted")
    dialog.get_by_test_id("delete-cancel").click()
    return backup
