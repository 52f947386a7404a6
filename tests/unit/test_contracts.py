"""The import contracts in pyproject.toml hold today, and each one fails when broken.

`make lint` runs `lint-imports` on the real tree. Here each contract is broken on purpose, one
import added to a copy of the package, to show the check would catch it: a contract that can't
fail guards nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "serving_panel"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: contract id -> (module file in the package, the import that breaks the contract)
BREAKS = {
    "panel-no-http": ("panel/logs.py", "import requests"),
    "client-alone": ("client.py", "import serving_panel.panel.widget"),
    "local-alone": ("local/__init__.py", "import serving_panel.client"),
    "local-layers": ("local/state/store.py", "import serving_panel.local.api.app"),
    "features-see-host": ("panel/delete.py", "import serving_panel.panel.widget"),
    "widgets-independent": ("panel/explorer.py", "import serving_panel.panel.widget"),
    "features-independent": ("panel/logs.py", "import serving_panel.panel.permissions"),
    "pure": ("acl.py", "import pandas"),
    "layers": ("types.py", "import serving_panel.client"),
    "acyclic": ("panel/protocol.py", "import serving_panel.panel.snapshot"),
}


def lint_imports(src: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts, on the package copy under `src`."""
    command = [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"]
    for contract in contracts:
        command += ["--contract", contract]
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        command, cwd=src, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package's sources, which the test may break."""
    src = tmp_path / "src"
    shutil.copytree(
        PACKAGE, src / "serving_panel", ignore=shutil.ignore_patterns("static", "__pycache__")
    )
    return src


def test_every_contract_has_a_way_to_break_it() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    declared = {line.split('"')[1] for line in text.splitlines() if line.startswith("id = ")}
    assert declared == set(BREAKS)


def test_the_contracts_hold_on_the_tree_as_it_is(copy: Path) -> None:
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(BREAKS)} kept, 0 broken." in result.stdout


@pytest.mark.parametrize("contract", sorted(BREAKS))
def test_each_contract_fails_when_broken(copy: Path, contract: str) -> None:
    relative, statement = BREAKS[contract]
    module = copy / "serving_panel" / relative
    module.write_text(module.read_text() + f"\n{statement}\n")
    result = lint_imports(copy, contract)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert "Contracts: 0 kept, 1 broken." in result.stdout
