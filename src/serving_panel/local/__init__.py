"""The local workspace: a Databricks-compatible serving-endpoints server on one machine.

`from serving_panel.local import LocalWorkspace` starts and drives one (see `handle.py`); it is
loaded on first use, so importing this package stays cheap. The folders, top to bottom:
`api/` (HTTP), `operations.py` (every change a request makes), `builds/`, `serving/`,
`worker/` (the model server process), and `state/` and `models/` underneath.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving_panel.local.handle import LocalWorkspace

__all__ = ["LocalWorkspace"]


def __getattr__(name: str) -> Any:
    # As in serving_panel/__init__.py: loaded on first use, by name.
    if name == "LocalWorkspace":
        import importlib

        return importlib.import_module("serving_panel.local.handle").LocalWorkspace
    raise AttributeError(f"module 'serving_panel.local' has no attribute {name!r}")
