"""Suite-wide rules and the fixtures every layer shares.

Under CI (``CI=true``) nothing may be skipped silently: a test that skips, say for want of a
browser, is reported as a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from harness.api import Api
from harness.workspaces import demo_model_dirs, start_workspace
from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.workspace import MIN_UPDATE_ENV

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Workspaces the tests start (LocalWorkspace.start, the CLI, notebooks) don't pace updates
# unless a test asks (`min_update_seconds`): tests wait on conditions, so the 2 s default would
# only add to the suite's time. The pacing tests set their own.
os.environ.setdefault(MIN_UPDATE_ENV, "0")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {reason}"
    return report


@pytest.fixture(scope="session")
def demo_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's real MLflow pyfunc models, written once per session."""
    return demo_model_dirs(tmp_path_factory.mktemp("demo-models"))


@pytest.fixture(scope="session")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, demo_models: dict[str, Path]
) -> Iterator[LocalWorkspace]:
    """A local workspace over real HTTP for the whole session, faults enabled (off until a
    test adds a rule), with the demo models registered. Tests use unique endpoint names."""
    ws = start_workspace(tmp_path_factory.mktemp("workspace"), demo_models, enable_faults=True)
    try:
        yield ws
    finally:
        ws.stop()


@pytest.fixture
def api(workspace: LocalWorkspace) -> Api:
    """Raw HTTP as the workspace's admin."""
    return Api(workspace.host, workspace.token)
