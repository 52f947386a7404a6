"""The wire between the panel's two sides, recorded: snapshots and one reply per request kind
the panel and the explorer answer (a streamed `query.send` also with its first partial's
`data`, and `config.preview` also refused).

`js/test/fixtures/wire.json` holds what Python sent in one scripted session against a live
local workspace; vitest feeds it to the browser's normalizers (`js/src/wire.test.ts`). This
test plays the same session again and checks every message still has the recorded shape (its
keys and JSON types, all the way down), so a field renamed or dropped on one side fails here or
in vitest, not only in the end-to-end suite. After a deliberate change, re-record it:

    SERVING_PANEL_RECORD_WIRE=1 make py-test PYTEST_ARGS=tests/widget/test_wire_fixture.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.api import entity, unique
from harness.comms import CommLog, PanelView, front_end_update
from serving_panel import EndpointPanel, ServingClient, ServingExplorer
from serving_panel.local.handle import LocalWorkspace

FIXTURE = Path(__file__).resolve().parents[2] / "js" / "test" / "fixtures" / "wire.json"
RECORD = os.environ.get("SERVING_PANEL_RECORD_WIRE") == "1"


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; a list by the distinct shapes of its items (so a log
    line, ``[number, time, level, message, continuation]``, keeps its layout)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        distinct = {json.dumps(shape(item), sort_keys=True) for item in value}
        return [json.loads(item) for item in sorted(distinct)]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def play(client: ServingClient, workspace: LocalWorkspace, comms: CommLog) -> dict[str, Any]:
    """One session of the panel and of the explorer, as the browser would drive them; what
    Python sent, by name. Long lists are trimmed where the shape is all the fixture needs."""
    name = unique("wire")
    client.create(
        name,
        [entity("ads1", "1"), entity("ads1", "2"), entity("streamer", "1")],
        traffic={"ads1-1": 80, "ads1-2": 20, "streamer-1": 0},
        tags={"team": "ads"},
        description="recorded for the wire fixture",
    )
    client.wait(name)
    grantee = f"{unique('wire-user')}@example.com"
    workspace.add_user(grantee, display_name="Wire User")
    panel = EndpointPanel(name, client=client, auto_refresh=False)
    view = PanelView(panel, comms)
    sent: dict[str, Any] = {"snapshot": panel.snapshot}
    sent["hello"] = view.result("hello")
    page = {"entity": "ads1-1", "kind": "build", "config_version": None}
    sent["logs.page"] = view.result("logs.page", **page, offset=0, limit=5, refetch=False)
    sent["logs.follow"] = view.result("logs.follow", **page, known=1)
    read = view.result("acl.read")
    sent["acl.read"] = read
    change = {"fingerprint": read["fingerprint"]}
    change["changes"] = [{"kind": "user", "name": grantee, "level": "CAN_QUERY"}]
    sent["acl.preview"] = view.result("acl.preview", **change)
    sent["acl.apply"] = view.result("acl.apply", **change, confirm_warnings=False)
    sent["principals.lookup"] = view.result("principals.lookup", query="wire user")
    sent["metrics.sample"] = view.result("metrics.sample", after=None)
    # Before any config change, so the timeline holds the same events at every run.
    sent["events.list"] = view.result("events.list", since=0)

    # The Query tab: a plain send, a streamed one (its first partial too), and what follows.
    sent["query.prefill"] = view.result("query.prefill")
    request = {"dataframe_records": [{"x": 1}, {"x": 2}]}
    sent["query.send"] = view.result("query.send", request=request)
    streamed, partials = view.ask_in_pieces(
        "query.send",
        request={"dataframe_records": [{"prompt": "one two"}], "stream": True},
        served_entity="streamer-1",
    )
    assert streamed["ok"], streamed.get("error")
    sent["query.send.streamed"] = streamed["result"]
    sent["query.send.partial"] = partials[0]["data"]
    sent["query.history"] = view.result("query.history")
    sent["query.snippets"] = view.result("query.snippets", request=request)

    # The config editor: a refused edit, an edit applied, then the version it left to roll back to.
    traffic = {"ads1-1": 60, "ads1-2": 40, "streamer-1": 0}
    refused = {"traffic": {"ads1-1": 70}, "remove": ["nope"]}
    sent["config.preview.refused"] = view.result("config.preview", edit=refused)
    preview = view.result("config.preview", edit={"traffic": traffic})
    sent["config.preview"] = preview
    sent["config.apply"] = view.result("config.apply", preview_id=preview["preview_id"])
    client.wait(name)
    # The panel shows the update over (no pending config) before anything else is recorded:
    # the snapshots recorded below must not depend on whether a refresh came after the wait.
    panel.refresh()
    assert panel.snapshot["pending"] is None, panel.snapshot["pending"]
    sent["config.history"] = view.result("config.history")
    sent["config.versions"] = view.result("config.versions", name="main.default.sentiment")

    sent["power.preview"] = view.result("power.preview", action="stop")

    # The explorer: its list (this session's row only), details, Access and grants, one name
    # of each request that does not exist (a missing row, an unreadable ACL, a failed write).
    explorer = ServingExplorer(client=client, auto_refresh=False)
    seen = PanelView(explorer, comms)
    gone = unique("wire-gone")
    listed = seen.result("explorer.list")
    sent["explorer.list"] = {**listed, "rows": [r for r in listed["rows"] if r["name"] == name]}
    sent["explorer.details"] = seen.result("explorer.details", names=[name, gone])
    sent["explorer.access"] = seen.result("explorer.access", names=[name, gone])
    # a revoke is a PUT of the whole direct list, which the preview warns about
    grant = {"names": [name, gone], "kind": "user", "name": grantee, "level": None}
    plan = seen.result("explorer.grants.preview", **grant)
    sent["explorer.grants.preview"] = plan
    sent["explorer.grants.apply"] = seen.result(
        "explorer.grants.apply", plan_id=plan["plan_id"], force=False
    )
    sent["explorer.open"] = seen.result("explorer.open", name=name)

    summary = view.result("delete.summary")
    sent["delete.summary"] = summary
    sent["delete.confirm"] = view.result("delete.confirm", typed_name=name)
    sent["snapshot.deleted"] = panel.snapshot
    panel._handle_msg(front_end_update({"_refresh_request": 1}))  # the endpoint is gone now
    sent["snapshot.refresh_failed"] = panel.snapshot
    sent["error"] = view.error("logs.page", **page, offset=-1, limit=50)
    sent["restore.run"] = view.result("restore.run", backup=summary["export"])
    client.delete(name)
    return sent


def test_the_wire_has_the_recorded_shape(
    client: ServingClient, workspace: LocalWorkspace, comms: CommLog
) -> None:
    sent = play(client, workspace, comms)
    assert sent["snapshot.refresh_failed"]["error"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert sent["logs.page"]["lines"], "the build log should have lines to record"
    assert sent["principals.lookup"]["results"], "the lookup should find the grantee"
    assert sent["query.send.streamed"]["chunks"] > 0, "the streamer should stream"
    assert sent["explorer.grants.preview"]["writes"][0]["warnings"], "the revoke should warn"
    assert sent["explorer.access"]["endpoints"][1]["error"], "the gone endpoint's ACL is an error"
    assert sent["restore.run"]["complete"] is True
    assert workspace.token not in json.dumps(sent)  # the fixture is checked in
    if RECORD:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(sent, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(FIXTURE.read_text())
    assert sorted(sent) == sorted(recorded)
    for key, message in sent.items():
        assert shape(message) == shape(recorded[key]), (
            f"{key} changed shape since js/test/fixtures/wire.json was recorded; if on purpose, "
            "re-record it (see this module's docstring) and update the browser's normalizers"
        )
