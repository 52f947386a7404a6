"""The package's public surface and its lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

import serving_panel
from serving_panel.cli import main


def test_import_is_light() -> None:
    # A fresh interpreter: importing the package must not pull in the widget stack or pandas.
    code = (
        "import sys, serving_panel; "
        "print(sorted(m for m in ('pandas', 'anywidget', 'ipywidgets') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_lazy_attributes_resolve_and_are_listed() -> None:
    from serving_panel.panel import EndpointPanel

    assert serving_panel.EndpointPanel is EndpointPanel
    assert "EndpointPanel" in dir(serving_panel)


def test_unknown_attributes_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        serving_panel.NoSuchThing  # noqa: B018


def test_cli_reports_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "serving_panel.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.strip() == f"serving-panel {serving_panel.__version__}"
    assert main([]) == 0
    assert capsys.readouterr().out.startswith("usage: serving-panel")
