"""Fixtures the widget tests share: a recording comm and a client of the session workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.comms import CommLog, recording_comms
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture
def comms() -> Iterator[CommLog]:
    """Every message the widgets created in the test send, as a front end would receive it."""
    with recording_comms() as log:
        yield log


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    """The session workspace's admin, one client per test module."""
    with workspace.client() as admin:
        yield admin
