"""`make demo`'s launcher (demo/launch.py) as a newcomer meets it: one line with the URL, and a
JupyterLab without the "official Jupyter news" prompt, on a machine whose Jupyter settings are
untouched (a fresh HOME-like set of Jupyter directories here)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOTIFICATION = "@jupyterlab/apputils-extension:notification"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("JUPYTER_CONFIG_PATH", None)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "demo" / "launch.py"), "--allow-root"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        # The launcher prints its one line once JupyterLab answers, or exits saying why not.
        line = process.stdout.readline()
        if not line:
            assert process.stderr is not None
            pytest.fail(f"the demo did not start:\n{process.stderr.read()}")
        yield process, line
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def test_make_demo_prints_one_line_and_lab_asks_nothing_about_news(
    demo: tuple[subprocess.Popen[str], str], page: Page
) -> None:
    process, line = demo
    assert line.startswith("Open http://127.0.0.1:")
    url = line.split()[1]
    assert "/lab/tree/quickstart.ipynb?token=" in url

    page.goto(url)
    expect(page.locator(".jp-Notebook").first).to_be_visible(timeout=90_000)
    # What the prompt depends on: the news setting's value as the page reads it.
    settings = page.evaluate(
        """async (plugin) => {
          const token = new URL(location.href).searchParams.get('token');
          const answer = await fetch(`/lab/api/settings/${plugin}?token=${token}`);
          return await answer.json();
        }""",
        NOTIFICATION,
    )
    defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false", json.dumps(defaults)
    assert defaults["checkForUpdates"] is False
    expect(page.get_by_text("official Jupyter news")).to_have_count(0)

    # Ctrl+C (here SIGTERM, the same path) stops JupyterLab and the launcher, nothing else said.
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.stdout is not None
    assert process.stdout.read() == ""
