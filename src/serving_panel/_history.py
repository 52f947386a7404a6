"""The configs a client has seen, per endpoint, for rollback.

The API answers with the current config and the pending one only: once v3 replaces v2, v2 is
gone from every answer. So the client keeps each config version it sees (from get, list, wait,
create, update_config, stop and start answers, current and pending alike) for its session, in
memory. A failed update leaves its pending config beside the current one, so both are kept, and
the last good config can be sent again.

Keyed by endpoint name, and forgotten when the name's endpoint id changes (deleted and made
anew, its versions start over at 1 and name other configs).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from serving_panel.types import Endpoint


class ConfigHistory:
    """Config documents by endpoint name and config_version; safe to share between threads
    (`endpoints_df(detailed=True)` reads endpoints concurrently)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}
        self._configs: dict[str, dict[int, dict[str, Any]]] = {}

    def record(self, endpoint: Endpoint) -> None:
        """Keeps the endpoint's current and pending config, when they carry a version (a list
        item's config summary does not, and has no traffic: it is never kept)."""
        with self._lock:
            if endpoint.id and self._ids.get(endpoint.name) not in (None, endpoint.id):
                self._configs.pop(endpoint.name, None)
            if endpoint.id:
                self._ids[endpoint.name] = endpoint.id
            for key in ("config", "pending_config"):
                config = endpoint.get(key)
                if not isinstance(config, Mapping):
                    continue
                version = config.get("config_version")
                if isinstance(version, bool) or not isinstance(version, int):
                    continue
                if not (config.get("served_entities") or config.get("served_models")):
                    continue
                thawed = endpoint.to_json()[key]
                self._configs.setdefault(endpoint.name, {})[version] = thawed

    def versions(self, name: str) -> list[int]:
        with self._lock:
            return sorted(self._configs.get(name, {}))

    def config(self, name: str, version: int) -> dict[str, Any] | None:
        """The config document of that version, as the service answered it, or None."""
        with self._lock:
            found = self._configs.get(name, {}).get(version)
            return None if found is None else dict(found)

    def forget(self, name: str) -> None:
        with self._lock:
            self._configs.pop(name, None)
            self._ids.pop(name, None)
