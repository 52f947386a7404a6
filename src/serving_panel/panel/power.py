"""Stopping and starting the endpoint from the panel (`POST .../config:stop` and
`.../config:start`, through `ServingClient.stop`/`start`).

A stopped endpoint keeps its config, tags and permissions but runs no model server and refuses
queries; starting builds its config again as a new config version. The view asks for a
confirmation that says so before it sends either request.

Requests (the envelope is `protocol`'s):

``power.preview``  ``{action}`` → ``{snippets}``
    The request's curl, databricks-sdk and CLI equivalents (snippets.py: no token), for the
    confirmation to show before anything is sent.

``power.stop``   ``{}`` → ``{state}``
``power.start``  ``{}`` → ``{state}``
    Sends the request, then re-reads and publishes the endpoint (so the badge shows
    "Not ready (stopped)", or the update that a start begins); ``state`` is the state label
    after it. API errors come back as reply errors with the service's message, code and status:
    a 409 while an update runs, a 403 without CAN_MANAGE, a 400 for endpoints that cannot stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serving_panel import snippets
from serving_panel.errors import ServingError
from serving_panel.panel.protocol import invalid, request_error

if TYPE_CHECKING:
    from serving_panel.panel.protocol import PanelHost

__all__ = ["PanelPower", "install"]


class PanelPower:
    """The `power.stop` and `power.start` handlers of one panel."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel

    def preview(self, payload: Mapping[str, Any]) -> dict[str, dict[str, str]]:
        action = payload.get("action")
        if action == "stop":
            return {"snippets": snippets.stop(self._panel.endpoint_name)}
        if action == "start":
            return {"snippets": snippets.start(self._panel.endpoint_name)}
        raise invalid("action", f"must be 'stop' or 'start', got {action!r}")

    def stop(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return self._send("stop")

    def start(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return self._send("start")

    def _send(self, action: str) -> dict[str, str]:
        panel = self._panel
        try:
            if action == "stop":
                panel.client.stop(panel.endpoint_name)
            else:
                panel.client.start(panel.endpoint_name)
            endpoint = panel.refresh()
        except ServingError as error:
            raise request_error(error) from None
        return {"state": endpoint.state}


def install(panel: PanelHost) -> PanelPower:
    """Registers the stop and start request kinds on `panel`."""
    handlers = PanelPower(panel)
    panel.register_request("power.preview", handlers.preview)
    panel.register_request("power.stop", handlers.stop)
    panel.register_request("power.start", handlers.start)
    return handlers
