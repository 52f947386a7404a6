"""serving-panel: manage Databricks Model Serving endpoints from a notebook.

Heavy modules (the widget, and later pandas) load on first use, so ``import serving_panel``
stays fast in scripts that only need the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serving_panel._version import __version__

if TYPE_CHECKING:
    from serving_panel.client import ServingClient
    from serving_panel.local.handle import LocalWorkspace
    from serving_panel.panel.explorer import ServingExplorer
    from serving_panel.panel.widget import EndpointPanel

__all__ = ["EndpointPanel", "LocalWorkspace", "ServingClient", "ServingExplorer", "__version__"]

_LAZY = {
    "EndpointPanel": "serving_panel.panel.widget",
    "LocalWorkspace": "serving_panel.local.handle",
    "ServingClient": "serving_panel.client",
    "ServingExplorer": "serving_panel.panel.explorer",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'serving_panel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
