"""Failure triage in the panel: why each failed served entity failed, for the Overview's card.

When a refresh sees an entity DEPLOYMENT_FAILED (in the pending config, as a failed update
leaves it, or in the config), this reads that entity's logs once per
(entity, config version) through `ServingClient.diagnose` and keeps the answer, found or not:
later polls reuse it, so an endpoint left failed costs no log reads per poll. The snapshot
carries the diagnoses as ``snapshot.triage`` (snapshot.py; the shape is `Diagnosis.to_json`),
and only while there is one, so snapshots of healthy endpoints keep their shape.

Quoted lines are log text from the server: the view shows them as text, never as HTML. They
are cut to `serving_panel.triage.MAX_QUOTED` lines of `MAX_QUOTED_CHARS` characters each.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving_panel.panel.protocol import PanelHost
    from serving_panel.types import Endpoint, EndpointConfig, ServedEntity

_log = logging.getLogger(__name__)

_Key = tuple[str, "int | None"]

#: Failed entities diagnosed per refresh, at most; the rest wait for the next refresh.
MAX_NEW_PER_REFRESH = 3


class PanelTriage:
    """The diagnoses of one panel's endpoint, read once per failed (entity, config version)."""

    def __init__(self, panel: PanelHost) -> None:
        self._panel = panel
        self._known: dict[_Key, dict[str, Any] | None] = {}

    def views(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        """The diagnoses of the endpoint's failed entities as read now (reading the logs of
        those not seen failed before), the pending config's first."""
        shown = []
        read = 0
        for config, entity in _failed(endpoint):
            key = (entity.name, config.config_version)
            if key not in self._known:
                if read >= MAX_NEW_PER_REFRESH:
                    continue
                read += 1
                self._known[key] = self._diagnose(endpoint.name, entity, config.config_version)
            view = self._known[key]
            if view is not None:
                shown.append(view)
        return shown

    def _diagnose(
        self, name: str, entity: ServedEntity, version: int | None
    ) -> dict[str, Any] | None:
        try:
            found = self._panel.client.diagnose(
                name, entity.name, config_version=version, state_message=entity.deployment_message
            )
        except Exception:
            # diagnose() skips logs it cannot read, so this is a name it refused or a bug of
            # ours: traced in the kernel log, and the refresh still shows the failure itself.
            _log.warning("triage of %s/%s failed", name, entity.name, exc_info=True)
            return None
        return None if found is None else found.to_json()


def _failed(endpoint: Endpoint) -> list[tuple[EndpointConfig, ServedEntity]]:
    return [
        (config, entity)
        for config in (endpoint.pending_config, endpoint.config)
        if config is not None
        for entity in config.served_entities
        if entity.deployment_state == "DEPLOYMENT_FAILED"
    ]


def install(panel: PanelHost) -> PanelTriage:
    """The triage of `panel`'s endpoint; the widget asks it for views on each refresh."""
    return PanelTriage(panel)
