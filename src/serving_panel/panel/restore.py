"""Restoring an endpoint from the panel: the JSON backup the delete dialog saves, re-created
through `ServingClient.restore` (config, tags, AI gateway, rate limits, notifications, direct
grants), with a report of what came back and what did not, and why.

Requests (the envelope is `protocol`'s):

``restore.run``  ``{backup, name?}`` → ``{name, endpoint_id, complete, restored, not_restored}``
    ``backup`` is the saved object (the browser reads and parses the file); ``name`` restores it
    under another name. ``restored`` and ``not_restored`` are lists of ``{part, item, reason}``.
    A malformed backup or a name that exists already is refused before anything is sent (a
    400 naming the field). When the restored endpoint is the panel's own, the panel re-reads
    and shows it (a panel that deleted it shows it again).

The explorer's list answers ``explorer.restore`` the same way through `restore_reply` (an
endpoint deleted is no longer in the list to open).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel.errors import ServingError
from serving_panel.panel.protocol import invalid, request_error

if TYPE_CHECKING:
    from serving_panel.client import ServingClient
    from serving_panel.panel.protocol import PanelHost
    from serving_panel.restore import RestoreItem

__all__ = ["PanelRestore", "install", "restore_reply"]


def _item(item: RestoreItem) -> dict[str, str]:
    return {"part": item.part, "item": item.item, "reason": item.reason}


class PanelRestore:
    """The `restore.run` handler of one panel."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel

    def run(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        panel = self._panel
        reply = restore_reply(panel.client, payload)
        if reply["name"] == panel.endpoint_name:
            try:
                panel.refresh()
            except ServingError as error:
                raise request_error(error) from None
        return reply


def restore_reply(client: ServingClient, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Checks a ``restore.run`` payload, restores, and answers with the report (see the top)."""
    backup = payload.get("backup")
    if not isinstance(backup, Mapping):
        raise invalid("backup", "must be the JSON object the delete dialog saved")
    name = payload.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise invalid("name", "must be a non-empty endpoint name, or left out")
    try:
        report = client.restore(backup, name=name)
    except ServingError as error:
        raise request_error(error) from None
    return {
        "name": report.name,
        "endpoint_id": report.endpoint.id,
        "complete": report.complete,
        "restored": [_item(item) for item in report.restored],
        "not_restored": [_item(item) for item in report.not_restored],
    }


def install(panel: PanelHost) -> PanelRestore:
    """Registers the restore request kind on `panel`."""
    handlers = PanelRestore(panel)
    panel.register_request("restore.run", handlers.run)
    return handlers
