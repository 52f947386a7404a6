"""The widgets' Python side: `EndpointPanel` (widget.py), the request/reply protocol and the host
protocol features see (protocol.py), the snapshot the browser renders (snapshot.py), and one
module per panel feature (logs, permissions, delete, power, restore, config_editor, query,
metrics, events; triage, which the Overview shows), each mirroring a `js/src/` folder.

`EndpointPanel` loads on first use, so importing a feature module does not import the widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving_panel.panel.widget import EndpointPanel

__all__ = ["EndpointPanel"]


def __getattr__(name: str) -> Any:
    if name != "EndpointPanel":
        raise AttributeError(f"module 'serving_panel.panel' has no attribute {name!r}")
    from serving_panel.panel.widget import EndpointPanel

    return EndpointPanel
