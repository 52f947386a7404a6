"""`serving_panel.local` as users import it: `LocalWorkspace` from the package itself, loaded on
first use, so that importing the package pulls in no web server."""

from __future__ import annotations

import subprocess
import sys

import serving_panel
from serving_panel.local import LocalWorkspace


def test_local_workspace_is_exported_by_the_package() -> None:
    assert LocalWorkspace is serving_panel.LocalWorkspace
    assert LocalWorkspace.__module__ == "serving_panel.local.handle"


def test_importing_the_package_stays_cheap() -> None:
    heavy = ["starlette", "uvicorn", "urllib3", "prometheus_client", "mlflow"]
    heavy.append("serving_panel.local.")  # no submodule either
    code = (
        "import sys, serving_panel.local\n"
        f"print(sorted(m for m in sys.modules if m.startswith({tuple(heavy)!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
