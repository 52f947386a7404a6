"""The log viewer's requests (`logs.page`, `logs.follow`) against a live local workspace, sent
as the front end sends them and answered through the recording comm."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from harness.api import entity, unique, wait_for
from harness.comms import CommLog, PanelView
from serving_panel import EndpointPanel, ServingClient
from serving_panel.local.handle import LocalWorkspace
from serving_panel.logs import LogRecord, parse_log_text
from serving_panel.panel.logs import MAX_PAGE_BYTES, MAX_PAGE_LINES
from serving_panel.panel.protocol import MAX_REPLY_BYTES

#: Lines the "chatty" model prints while it loads, so its build log is huge.
CHATTY_LINES = 60_000

# Each line carries characters JSON escapes (as \u2713, \u00e9): 20,000 of them take more than
# MAX_PAGE_BYTES as JSON, while the whole log stays under the workspace's 4 MiB per log file.
_CHATTY_CODE = f'''\
"""Prints {CHATTY_LINES} lines while it loads, then predicts y = x."""

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class Chatty(PythonModel):
    def load_context(self, context) -> None:
        print("\\n".join(f"s{{i:05d}} \\u2713 " + "\\u00e9" * 12 for i in range({CHATTY_LINES})))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[float]:
        return pd.DataFrame(model_input)["x"].astype("float64").tolist()


set_model(Chatty())
'''

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def endpoint(client: ServingClient) -> Iterator[str]:
    """One ads1 v1 entity, ready."""
    name = unique("panel-logs")
    client.create(name, [entity("ads1", "1")])
    client.wait(name)
    yield name
    client.delete(name)


@pytest.fixture(scope="module")
def chatty(
    workspace: LocalWorkspace, client: ServingClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An endpoint whose model prints CHATTY_LINES lines into its build log as it loads."""
    import mlflow.pyfunc

    directory = tmp_path_factory.mktemp("chatty")
    code = directory / "chatty.py"
    code.write_text(textwrap.dedent(_CHATTY_CODE), encoding="utf-8")
    model_dir = directory / "model"
    mlflow.pyfunc.save_model(
        path=str(model_dir),
        python_model=str(code),
        pip_requirements=[f"mlflow=={mlflow.__version__}", "pandas>=2.0"],
    )
    model = unique("chatty")
    workspace.register_model(model, Path(model_dir))
    name = unique("panel-logs-big")
    client.create(name, [entity(model, "1")])
    client.wait(name, timeout=600)
    yield name
    client.delete(name)


class View(PanelView):
    """A front end of one panel: sends requests, returns Python's replies."""

    def page(self, entity_name: str, kind: str, offset: int, limit: int, **extra: Any) -> Any:
        return self.result(
            "logs.page",
            entity=entity_name,
            kind=kind,
            config_version=extra.pop("config_version", None),
            offset=offset,
            limit=limit,
            refetch=extra.pop("refetch", False),
            **extra,
        )

    def all_pages(self, entity_name: str, kind: str, limit: int) -> tuple[list[Any], list[int]]:
        """Every line, asked for page after page as the view does; and each page's size."""
        lines: list[Any] = []
        sizes: list[int] = []
        first = self.page(entity_name, kind, 0, limit)
        revision = first["source_revision"]
        result = first
        while True:
            assert result["offset"] == len(lines)
            assert result["source_revision"] == revision
            lines.extend(result["lines"])
            sizes.append(len(result["lines"]))
            if len(lines) >= result["total"]:
                return lines, sizes
            assert result["lines"], "a page before the end must not be empty"
            result = self.page(entity_name, kind, len(lines), limit)


def row(record: LogRecord) -> list[Any]:
    """A parsed line as `logs.page` sends it."""
    ms = None
    if record.timestamp is not None:
        ms = (record.timestamp - _EPOCH) // timedelta(milliseconds=1)
    return [record.line, ms, record.level, record.message, record.continuation]


def reply_bytes(reply: dict[str, Any]) -> int:
    return len(json.dumps(reply, separators=(",", ":")).encode())


@pytest.fixture
def view(client: ServingClient, endpoint: str, comms: CommLog) -> View:
    return View(EndpointPanel(endpoint, client=client), comms)


# Paging --------------------------------------------------------------------------------------


def test_pages_in_order_cover_the_parsed_build_log(
    view: View, client: ServingClient, endpoint: str
) -> None:
    expected = [row(r) for r in parse_log_text(client.build_logs(endpoint, "ads1-1"))]
    assert len(expected) > 5
    lines, sizes = view.all_pages("ads1-1", "build", limit=3)
    assert lines == expected
    assert sizes[:-1] == [3] * (len(sizes) - 1)
    first = expected[0]
    assert first[0] == 1
    assert isinstance(first[1], int)
    assert first[2] == "INFO"
    assert first[3].startswith("build started for served entity ads1-1")


def test_a_page_names_its_offset_and_the_total(view: View, endpoint: str) -> None:
    whole = view.page("ads1-1", "build", 0, 1000)
    total = whole["total"]
    assert len(whole["lines"]) == total
    middle = view.page("ads1-1", "build", 2, 2)
    assert (middle["offset"], middle["total"]) == (2, total)
    assert middle["lines"] == whole["lines"][2:4]
    past = view.page("ads1-1", "build", total + 50, 10)
    assert (past["lines"], past["offset"], past["total"]) == ([], total, total)


def test_an_explicit_config_version_reads_that_version(
    view: View, client: ServingClient, endpoint: str
) -> None:
    expected = [
        row(r) for r in parse_log_text(client.build_logs(endpoint, "ads1-1", config_version=1))
    ]
    result = view.page("ads1-1", "build", 0, 10_000, config_version=1)
    assert result["lines"] == expected


def test_server_log_pages_match_the_parsed_server_log(
    view: View, client: ServingClient, endpoint: str
) -> None:
    lines, _ = view.all_pages("ads1-1", "server", limit=4)
    # The server log only grows while the pages are read; what was read is its head.
    expected = [row(r) for r in parse_log_text(client.logs(endpoint, "ads1-1"))]
    assert lines
    assert expected[: len(lines)] == lines


def test_a_refetch_rereads_the_log(view: View, client: ServingClient, endpoint: str) -> None:
    first = view.page("ads1-1", "server", 0, 1)
    client.query(endpoint, dataframe_records=[{"x": 1.0}])
    wait_for(
        lambda: len(parse_log_text(client.logs(endpoint, "ads1-1"))) > first["total"],
        what="an access line in the server log",
    )
    cached = view.page("ads1-1", "server", 1, 1)
    assert cached["total"] == first["total"]  # served from what the first page read
    again = view.page("ads1-1", "server", 1, 1, refetch=True)
    assert again["total"] > first["total"]
    assert again["source_revision"] == first["source_revision"]  # lines were only added


# The size clamp ------------------------------------------------------------------------------


def test_pages_of_a_huge_log_stay_under_the_message_limit(
    client: ServingClient, chatty: str, comms: CommLog
) -> None:
    served = _entity_of(client, chatty)
    expected = [row(r) for r in parse_log_text(client.build_logs(chatty, served))]
    assert len(expected) > CHATTY_LINES
    # As one page the log would pass the reply cap, and the line cap alone would not be enough.
    assert reply_bytes({"lines": expected}) > MAX_REPLY_BYTES
    assert reply_bytes({"lines": expected[:MAX_PAGE_LINES]}) > MAX_PAGE_BYTES

    view = View(EndpointPanel(chatty, client=client), comms)
    reply = view.ask(
        "logs.page",
        entity=served,
        kind="build",
        config_version=None,
        offset=0,
        limit=1_000_000,
        refetch=False,
    )
    assert reply["ok"], reply.get("error")
    result = reply["result"]
    assert result["total"] == len(expected)
    assert 0 < len(result["lines"]) < MAX_PAGE_LINES
    assert reply_bytes(result["lines"]) <= MAX_PAGE_BYTES
    assert reply_bytes(reply) < MAX_REPLY_BYTES // 2
    assert result["lines"] == expected[: len(result["lines"])]

    lines, sizes = view.all_pages(served, "build", limit=1_000_000)
    assert lines == expected
    assert len(sizes) >= 3
    assert max(sizes) < MAX_PAGE_LINES
    printed = [line for line in lines if line[3].startswith("s") and "\u2713" in line[3]]
    assert len(printed) == CHATTY_LINES
    assert printed[-1][2] == "INFO"


def _entity_of(client: ServingClient, name: str) -> str:
    config = client.get(name).config
    assert config is not None
    [served] = config.served_entities
    return served.name


# Errors --------------------------------------------------------------------------------------


def test_an_unknown_entity_is_a_404_reply_error(view: View, endpoint: str) -> None:
    reply = view.ask(
        "logs.page",
        entity="nope-9",
        kind="build",
        config_version=None,
        offset=0,
        limit=10,
        refetch=False,
    )
    assert reply["ok"] is False
    error = reply["error"]
    assert (error["status"], error["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert "nope-9" in error["message"]


def test_a_malformed_request_names_the_field(view: View) -> None:
    reply = view.ask("logs.page", entity="ads1-1", kind="audit", offset=0, limit=10)
    assert reply["ok"] is False
    assert reply["error"]["status"] == 400
    assert reply["error"]["message"].startswith("kind: must be 'build' or 'server'")
    reply = view.ask("logs.follow", entity="ads1-1", kind="server", known=-1)
    assert reply["error"]["message"].startswith("known: must be an integer of at least 0")


def test_a_can_view_user_is_told_logs_need_can_manage(
    workspace: LocalWorkspace, client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    email = f"{unique('viewer')}@example.com"
    token = workspace.add_user(email)
    client.grant(endpoint, "CAN_VIEW", user=email)
    with workspace.client(token) as viewer:
        view = View(EndpointPanel(endpoint, client=viewer), comms)
        for kind in ("build", "server"):
            reply = view.ask(
                "logs.page",
                entity="ads1-1",
                kind=kind,
                config_version=None,
                offset=0,
                limit=100,
                refetch=False,
            )
            assert reply["ok"] is False
            error = reply["error"]
            assert (error["status"], error["error_code"]) == (403, "PERMISSION_DENIED")
            assert "CAN_MANAGE" in error["message"]
            assert token not in json.dumps(reply)


# Follow --------------------------------------------------------------------------------------


def test_follow_returns_only_the_new_lines(
    view: View, client: ServingClient, endpoint: str
) -> None:
    lines, _ = view.all_pages("ads1-1", "server", limit=10_000)
    known = len(lines)
    revision = view.page("ads1-1", "server", known, 1)["source_revision"]

    idle = view.result(
        "logs.follow", entity="ads1-1", kind="server", config_version=None, known=known
    )
    known_now = known + len(idle.get("lines", []))
    assert idle["reset"] is False

    for x in (1.0, 2.0, 3.0):
        client.query(endpoint, dataframe_records=[{"x": x}])
    wait_for(
        lambda: len(parse_log_text(client.logs(endpoint, "ads1-1"))) >= known_now + 3,
        what="three access lines in the server log",
    )
    result = view.result(
        "logs.follow",
        entity="ads1-1",
        kind="server",
        config_version=None,
        known=known_now,
        source_revision=revision,
    )
    expected = [row(r) for r in parse_log_text(client.logs(endpoint, "ads1-1"))]
    assert result["reset"] is False
    assert result["offset"] == known_now
    assert result["total"] == known_now + len(result["lines"])
    assert len(result["lines"]) >= 3
    assert result["lines"] == expected[known_now : result["total"]]
    assert [line[0] for line in result["lines"]] == list(range(known_now + 1, result["total"] + 1))
    assert result["source_revision"] == revision

    quiet = view.result(
        "logs.follow",
        entity="ads1-1",
        kind="server",
        config_version=None,
        known=result["total"],
    )
    assert quiet["lines"] == expected[result["total"] : quiet["total"]]


def test_follow_resets_when_the_known_lines_are_not_the_log(view: View, endpoint: str) -> None:
    first = view.page("ads1-1", "server", 0, 10)
    total = first["total"]
    beyond = view.result(
        "logs.follow", entity="ads1-1", kind="server", config_version=None, known=total + 100
    )
    assert beyond["reset"] is True
    assert "lines" not in beyond
    assert beyond["total"] >= total
    stale = view.result(
        "logs.follow",
        entity="ads1-1",
        kind="server",
        config_version=None,
        known=1,
        source_revision=first["source_revision"] + 1000,
    )
    assert stale["reset"] is True


def test_follow_from_nothing_returns_the_first_lines(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    expected = [row(r) for r in parse_log_text(client.build_logs(endpoint, "ads1-1"))]
    view = View(EndpointPanel(endpoint, client=client), comms)
    result = view.result("logs.follow", entity="ads1-1", kind="build", config_version=None, known=0)
    assert result["reset"] is False
    assert (result["offset"], result["total"]) == (0, len(expected))
    assert result["lines"] == expected


def test_follow_of_a_log_this_panel_never_read_resets(
    client: ServingClient, endpoint: str, comms: CommLog
) -> None:
    view = View(EndpointPanel(endpoint, client=client), comms)
    result = view.result("logs.follow", entity="ads1-1", kind="build", config_version=None, known=3)
    assert result["reset"] is True
    assert result["total"] > 3
