"""EndpointPanel: the anywidget panel for one serving endpoint.

The Python side holds everything that must stay in the kernel (later: the client and its
token) and syncs only a small JSON snapshot. The browser asks for actions by setting intent
traits (which marimo's reactivity also sees) and for data by request/response custom messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from serving_panel._messages import RequestRouter
from serving_panel._version import __version__

_STATIC = Path(__file__).parent / "static"


def _bundle_file(name: str) -> Path:
    path = _STATIC / name
    if not path.is_file():
        raise ImportError(
            f"serving-panel's browser bundle {path} is missing. In a source checkout, build it "
            "with `make build` (or `npm run build` in js/); installed wheels always carry it."
        )
    return path


class EndpointPanel(anywidget.AnyWidget):
    """A panel showing one Model Serving endpoint in a notebook."""

    _esm = _bundle_file("widget.js")
    _css = _bundle_file("widget.css")

    endpoint_name = traitlets.Unicode("").tag(sync=True)
    """Name of the endpoint the panel shows."""

    snapshot = traitlets.Dict().tag(sync=True)
    """What the view renders: small, JSON-shaped, and free of secrets (it may be saved)."""

    _refresh_request = traitlets.Int(0).tag(sync=True)
    """Bumped by the browser to ask for a refresh."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: must be a non-empty endpoint name, got {name!r}")
        super().__init__(endpoint_name=name, snapshot={"name": name, "revision": 0})
        self._router = RequestRouter()
        self._router.register("hello", self._hello)
        self.on_msg(self._on_custom_message)

    def __repr__(self) -> str:
        return f"EndpointPanel(name={self.endpoint_name!r})"

    def refresh(self) -> None:
        """Re-reads the endpoint and publishes a new snapshot."""
        revision = int(self.snapshot.get("revision", 0)) + 1
        self.snapshot = {"name": self.endpoint_name, "revision": revision}

    @traitlets.observe("_refresh_request")
    def _on_refresh_request(self, change: Mapping[str, Any]) -> None:
        self.refresh()

    def _hello(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return {"version": __version__}

    def _on_custom_message(self, widget: object, content: Any, buffers: list[bytes]) -> None:
        reply = self._router.handle(content)
        if reply is not None:
            self.send(reply)
