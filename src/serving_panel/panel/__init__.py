"""The widgets' Python side: `EndpointPanel` (widget.py) and `ServingExplorer` (explorer.py, its
Endpoints view in listing.py), what both share as hosts of one endpoint's panel (host.py), the
request/reply protocol and the host
protocol features see (protocol.py), the snapshot the browser renders (snapshot.py), and one
module per panel feature (logs, permissions, delete, power, restore, config_editor, query,
metrics, events; triage, which the Overview shows), each mirroring a `js/src/` folder.

The widgets load on first use, so importing a feature module does not import them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving_panel.panel.explorer import ServingExplorer
    from serving_panel.panel.widget import EndpointPanel

__all__ = ["EndpointPanel", "ServingExplorer"]


def __getattr__(name: str) -> Any:
    if name == "EndpointPanel":
        from serving_panel.panel.widget import EndpointPanel

        return EndpointPanel
    if name == "ServingExplorer":
        from serving_panel.panel.explorer import ServingExplorer

        return ServingExplorer
    raise AttributeError(f"module 'serving_panel.panel' has no attribute {name!r}")
