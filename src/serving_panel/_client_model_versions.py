"""What a served entity can name: a Unity Catalog model's versions, every page read.

Apart from the serving APIs because it reads Unity Catalog's (`/api/2.1/unity-catalog/models`),
paged by `next_page_token`, where the serving APIs answer in one page.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from urllib.parse import quote

from serving_panel import _checks
from serving_panel._client_core import ClientCore, json_object
from serving_panel.errors import UnexpectedResponse
from serving_panel.types import ModelVersion

UC_MODELS = "/api/2.1/unity-catalog/models"
#: Pages of model versions read at most (the service's pages hold up to 100 by default).
_MAX_PAGES = 1000


class ModelVersionMethods(ClientCore):
    """`ServingClient.model_versions`."""

    def model_versions(self, name: str) -> builtins.list[ModelVersion]:
        """The versions of the Unity Catalog model `name` (catalog.schema.model) that the
        caller may see, newest first, every page read. What a served entity can name as its
        `entity_version` (`ModelVersion.version`; only READY versions can be served).

        Raises `ClientValidationError` (a ValueError) for a name that is not three-level, and
        `ResourceDoesNotExist` when the workspace has no such model in Unity Catalog (or the
        caller may not see it: the service does not tell the two apart)."""
        full_name = _checks.model_full_name(name)
        path = f"{UC_MODELS}/{quote(full_name, safe='')}/versions"
        found: builtins.list[ModelVersion] = []
        params: dict[str, str] = {}
        tokens: set[str] = set()
        for _ in range(_MAX_PAGES):
            answer = json_object(self._json("GET", path, params=params or None), "GET", path)
            listed = answer.get("model_versions")
            for item in listed if isinstance(listed, list) else []:
                if isinstance(item, Mapping):
                    found.append(ModelVersion.from_json(item, full_name))
            token = answer.get("next_page_token")
            if not isinstance(token, str) or not token:
                return sorted(found, key=_version_order, reverse=True)
            if token in tokens:
                raise UnexpectedResponse(
                    "the service gave the same next_page_token twice", method="GET", path=path
                )
            tokens.add(token)
            params = {"page_token": token}
        raise UnexpectedResponse(
            f"more than {_MAX_PAGES} pages of model versions", method="GET", path=path
        )


def _version_order(version: ModelVersion) -> tuple[int, str]:
    """Numeric versions by number; anything else after them, by text."""
    text = version.version
    return (int(text), "") if text.isascii() and text.isdigit() else (-1, text)
