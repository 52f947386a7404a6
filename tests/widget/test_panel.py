"""EndpointPanel's Python side: synced state, intent traits and custom messages, no browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.comms import CommLog, front_end_message, front_end_update, recording_comms
from serving_panel import EndpointPanel, __version__


@pytest.fixture
def comms() -> Iterator[CommLog]:
    with recording_comms() as log:
        yield log


def synced_keys(panel: EndpointPanel) -> set[str]:
    # Everything but the widget framework's own bookkeeping and the bundle itself.
    framework = {"_esm", "_css", "_anywidget_id", "layout", "tabbable", "tooltip"}
    return {
        k for k in panel.get_state() if not k.startswith("_model") and not k.startswith("_view")
    } - framework


def test_synced_state_is_small_and_named(comms: CommLog) -> None:
    panel = EndpointPanel("ads-endpoint")
    assert synced_keys(panel) == {"endpoint_name", "snapshot", "_refresh_request", "_dom_classes"}
    assert panel.get_state()["snapshot"] == {"name": "ads-endpoint", "revision": 0}


def test_the_bundle_is_synced_as_the_widget_module(comms: CommLog) -> None:
    state = EndpointPanel("ads-endpoint").get_state()
    assert "export" in state["_esm"]
    assert ".serving-panel" in state["_css"]


def test_a_browser_refresh_request_is_answered_with_a_new_snapshot(comms: CommLog) -> None:
    panel = EndpointPanel("ads-endpoint")
    panel._handle_msg(front_end_update({"_refresh_request": 1}))
    assert panel.snapshot == {"name": "ads-endpoint", "revision": 1}
    assert {"snapshot": {"name": "ads-endpoint", "revision": 1}} in comms.state_updates()


def test_hello_is_answered_by_custom_message(comms: CommLog) -> None:
    panel = EndpointPanel("ads-endpoint")
    panel._handle_msg(front_end_message({"type": "request", "kind": "hello", "id": "v1-1"}))
    assert comms.custom() == [
        {"type": "reply", "id": "v1-1", "ok": True, "result": {"version": __version__}}
    ]


def test_unknown_requests_get_an_inline_error(comms: CommLog) -> None:
    panel = EndpointPanel("ads-endpoint")
    panel._handle_msg(front_end_message({"type": "request", "kind": "nope", "id": "v1-2"}))
    [reply] = comms.custom()
    assert reply["ok"] is False
    assert "unknown request kind 'nope'" in reply["error"]["message"]


def test_other_custom_messages_are_ignored(comms: CommLog) -> None:
    panel = EndpointPanel("ads-endpoint")
    panel._handle_msg(front_end_message({"hello": "there"}))
    assert comms.custom() == []


@pytest.mark.parametrize("bad", ["", None, 3])
def test_a_name_is_required(bad: object, comms: CommLog) -> None:
    with pytest.raises(ValueError, match="name: must be a non-empty endpoint name"):
        EndpointPanel(bad)  # type: ignore[arg-type]


def test_repr_is_short(comms: CommLog) -> None:
    assert repr(EndpointPanel("ads-endpoint")) == "EndpointPanel(name='ads-endpoint')"


def test_mimebundle_is_a_widget_view(comms: CommLog) -> None:
    bundle = EndpointPanel("ads-endpoint")._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data is not None
    assert "application/vnd.jupyter.widget-view+json" in data
