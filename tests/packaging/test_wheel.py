"""The wheel: built from a clean copy of the sources by the real build hook, it carries the JS
bundle, and installed into a fresh virtual environment it imports and renders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from harness.api import unique
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]


def tracked_files() -> list[str]:
    completed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    return [name for name in completed.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds the wheel from the sources git knows about: no bundle, so the hook must build it."""
    source = tmp_path_factory.mktemp("source")
    for name in tracked_files():
        if not (REPO / name).is_file():
            continue  # deleted in the work tree but still in the index
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    assert not (source / "src/serving_panel/static").exists()
    # npm ci already ran for the work tree; reuse its node_modules instead of a second download.
    (source / "js/node_modules").symlink_to(REPO / "js/node_modules")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("serving_panel-*.whl")
    return built


def test_wheel_carries_the_bundle_and_nothing_from_the_js_tree(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "serving_panel/static/widget.js" in names
    assert "serving_panel/static/widget.css" in names
    assert "serving_panel/py.typed" in names
    assert not [n for n in names if "node_modules" in n or n.startswith("js/")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "serving-panel = serving_panel.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def test_wheel_installs_into_a_clean_venv_and_renders(
    wheel: Path, tmp_path: Path, workspace: LocalWorkspace
) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    name = unique("wheel")
    with workspace.client() as client:
        client.create(name)
    # The clean environment has only the core dependencies (no local workspace, no pandas use):
    # it talks to this session's workspace over HTTP, as it would to Databricks.
    probe = (
        "import json, serving_panel\n"
        "from serving_panel import EndpointPanel\n"
        f"panel = EndpointPanel({name!r})\n"
        "bundle = panel._repr_mimebundle_()\n"
        "data = bundle[0] if isinstance(bundle, tuple) else bundle\n"
        "state = panel.get_state()\n"
        "print(json.dumps({'file': serving_panel.__file__, 'view': sorted(data),"
        " 'esm': len(state['_esm']), 'name': state['snapshot']['name'],"
        " 'state': state['snapshot']['state']}))\n"
    )
    clean_env = {
        **{k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}},
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_TOKEN": workspace.token,
    }
    completed = subprocess.run(
        [python, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=clean_env,
    )
    result = json.loads(completed.stdout)
    assert result["file"].startswith(str(env_dir))
    assert "application/vnd.jupyter.widget-view+json" in result["view"]
    assert result["esm"] > 1000
    assert result["name"] == name
    assert result["state"] == "Not ready (stopped)"  # created without a config
    version = subprocess.run(
        [env_dir / "bin" / "serving-panel", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("serving-panel ")
