"""Where an update's minimum time comes from (`builds/pace.py`): the argument, else
`SERVING_PANEL_MIN_UPDATE_S`, else 2 s; and what a bad value gets. The pacing itself is shown
over HTTP in `tests/integration/test_local_pacing.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from serving_panel.local import cli
from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.workspace import MIN_UPDATE_ENV, Workspace


def minimum(data_dir: Path, given: float | None = None) -> float:
    workspace = Workspace(data_dir, min_update_s=given)
    try:
        return workspace.lifecycle.min_update_s
    finally:
        workspace.close()


def test_the_default_is_two_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MIN_UPDATE_ENV, raising=False)
    assert minimum(tmp_path) == 2.0


def test_the_environment_then_the_argument_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MIN_UPDATE_ENV, "0.5")
    assert minimum(tmp_path / "a") == 0.5
    assert minimum(tmp_path / "b", 0) == 0.0
    assert minimum(tmp_path / "c", 3) == 3.0


@pytest.mark.parametrize("raw", ["-1", "nan", "inf", "soon"])
def test_a_bad_value_is_refused_by_name(
    raw: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(MIN_UPDATE_ENV, raw)
    with pytest.raises(ValueError, match=MIN_UPDATE_ENV):
        Workspace(tmp_path / "env")
    with pytest.raises(SystemExit) as exited:
        cli.main(["start", "--min-update-seconds", raw, "--data-dir", str(tmp_path / "cli")])
    assert exited.value.code == 2
    assert "--min-update-seconds: must be" in capsys.readouterr().err
    given: Any = raw if raw == "soon" else float(raw)
    with pytest.raises(ValueError, match="min_update_seconds"):
        LocalWorkspace.start(data_dir=tmp_path / "handle", min_update_seconds=given)
    assert not (tmp_path / "handle").exists()  # refused before anything started
