"""Failure triage in the panel's snapshot: a failed update's entity carries its diagnosis,
read from its logs once per (entity, config version), not on every poll; a healthy endpoint's
snapshot has no `triage` key at all (its shape is the recorded wire fixture's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.api import entity, unique
from harness.comms import CommLog, front_end_update
from serving_panel import EndpointPanel, ServingClient
from serving_panel.errors import UpdateFailed
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def failed_update(client: ServingClient) -> Iterator[str]:
    """ads1 v1 serving; its update to the broken demo model (config version 2) failed."""
    name = unique("panel-triage")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    client.update_config(name, [entity("broken", "1")])
    with pytest.raises(UpdateFailed):
        client.wait(name, timeout=120, poll_s=0.2, progress=False)
    yield name
    client.delete(name)


class LogReads:
    """Counts the client's log reads (the real reads happen: this only counts them)."""

    def __init__(self, client: ServingClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str, int | None]] = []
        for kind in ("build_logs", "logs"):
            real = getattr(client, kind)

            def counted(
                name: str, served: str, *, config_version: int | None = None, _real: Any = real
            ) -> str:
                self.calls.append((name, served, config_version))
                return str(_real(name, served, config_version=config_version))

            monkeypatch.setattr(client, kind, counted)


def test_a_failed_update_shows_its_cause_in_the_snapshot(
    comms: CommLog,
    workspace: LocalWorkspace,
    failed_update: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with workspace.client() as client:
        reads = LogReads(client, monkeypatch)
        panel = EndpointPanel(failed_update, client=client, auto_refresh=False)
        [shown] = panel.snapshot["triage"]
        assert shown["entity"] == "broken-1"
        assert shown["config_version"] == 2
        assert shown["cause"] == "model-load-error"
        assert shown["log"] == "build"
        build_log = client.build_logs(failed_update, "broken-1", config_version=2)
        first = shown["lines"][0]
        assert first == {
            "log": "build",
            "line": shown["line"],
            "text": build_log.split("\n")[shown["line"] - 1].strip(),
        }
        assert "model failed to load: RuntimeError" in first["text"]
        assert {"entity", "config_version", "cause", "title", "advice", "log", "line"} <= set(shown)
        assert workspace.token not in json.dumps(panel.get_state(), default=str)
        assert reads.calls[0] == (failed_update, "broken-1", 2)
        reads_at_start = len(reads.calls) - 1  # the test's own read above

        for poll in range(1, 4):  # the browser's polls: no more log reads
            panel._handle_msg(front_end_update({"_refresh_request": poll}))
            assert panel.snapshot["triage"] == [shown]
        assert len(reads.calls) - 1 == reads_at_start == 1


def test_a_healthy_endpoint_has_no_triage(comms: CommLog, client: ServingClient) -> None:
    name = unique("panel-healthy")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    panel = EndpointPanel(name, client=client, auto_refresh=False)
    assert "triage" not in panel.snapshot
    client.delete(name)
