"""End-to-end fixtures: JupyterLab, Notebook 7 and marimo servers, and Playwright pages in
Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page

from harness.lab import JupyterLab
from harness.marimo import Marimo
from harness.notebook import NotebookPage
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

# Flags for a headless Chromium on a machine with no network but loopback: without the
# background-networking ones it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Points pytest-playwright at Debian's Chromium; Playwright never downloads a browser."""
    if not CHROMIUM.is_file():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (as root) "
            "or set CHROMIUM to another build"
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


def workspace_env(workspace: LocalWorkspace) -> dict[str, str]:
    """How the servers' kernels find the session's local workspace: the way users configure
    Databricks, through DATABRICKS_HOST and DATABRICKS_TOKEN."""
    return {"DATABRICKS_HOST": workspace.host, "DATABRICKS_TOKEN": workspace.token}


Server = TypeVar("Server", JupyterLab, Marimo)


def serving(server: Server) -> Iterator[Server]:
    """Starts `server` for the fixture that yields from this, and stops it afterwards."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab(
    tmp_path_factory: pytest.TempPathFactory, workspace: LocalWorkspace
) -> Iterator[JupyterLab]:
    """A JupyterLab server on a free loopback port with a random token, for the whole session."""
    yield from serving(
        JupyterLab(tmp_path_factory.mktemp("jupyterlab"), env=workspace_env(workspace))
    )


@pytest.fixture(scope="session")
def notebook7(
    tmp_path_factory: pytest.TempPathFactory, workspace: LocalWorkspace
) -> Iterator[JupyterLab]:
    """A Jupyter Notebook 7 server, set up like `lab`."""
    server = JupyterLab(
        tmp_path_factory.mktemp("notebook7"), env=workspace_env(workspace), app="notebook"
    )
    yield from serving(server)


@pytest.fixture(scope="session")
def marimo_server(
    tmp_path_factory: pytest.TempPathFactory, workspace: LocalWorkspace
) -> Iterator[Marimo]:
    """A marimo editor server, set up like `lab` (a free loopback port, a random token, its own
    HOME)."""
    yield from serving(Marimo(tmp_path_factory.mktemp("marimo"), env=workspace_env(workspace)))


@pytest.fixture
def notebook(page: Page, lab: JupyterLab) -> Iterator[NotebookPage]:
    """A notebook page helper; its kernel is shut down after the test."""
    helper = NotebookPage(page, lab)
    yield helper
    helper.shutdown_kernel()


@pytest.fixture
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    """The admin's ServingClient on the session's workspace, closed after the test."""
    with workspace.client() as serving:
        yield serving
