"""What both widgets share as hosts of one endpoint's panel: the synced traits the browser's
`<Panel>` reads, the panel features installed for that endpoint, the `PanelHost` methods the
features call, and the routing of the browser's requests.

`EndpointPanel` (widget.py) hosts one endpoint for its whole life. `ServingExplorer`
(explorer.py) hosts whichever endpoint the user opened, one after the other. Features keep
state per endpoint (the logs cache, the triage diagnoses keyed by entity and config version,
the query history, the metrics samples), so the features are installed per endpoint:
`PanelFeatures` is one endpoint's set, with its own request router, and `host_endpoint`
replaces the whole set when the endpoint changes. Nothing of one endpoint's features can then
answer for another.

The browser's requests reach the widget's own router first (``hello``, and the explorer's
kinds), then the current features' router. Kinds registered with ``background=True`` (see
protocol.py) are answered on up to `BACKGROUND_WORKERS` threads of the widget's, the rest on
the kernel's thread as the message arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

import serving_panel.panel.snapshot as snapshots
from serving_panel._version import __version__
from serving_panel.errors import ServingError
from serving_panel.panel.config_editor import install as install_config_editor
from serving_panel.panel.delete import install as install_delete
from serving_panel.panel.events import PanelEvents
from serving_panel.panel.events import install as install_events
from serving_panel.panel.logs import install as install_logs
from serving_panel.panel.metrics import PanelMetrics, check_interval
from serving_panel.panel.metrics import install as install_metrics
from serving_panel.panel.permissions import install as install_permissions
from serving_panel.panel.power import install as install_power
from serving_panel.panel.protocol import (
    Handler,
    Observer,
    RequestError,
    RequestRouter,
    error_view,
)
from serving_panel.panel.query import PanelQuery
from serving_panel.panel.query import install as install_query
from serving_panel.panel.restore import install as install_restore
from serving_panel.panel.triage import PanelTriage
from serving_panel.panel.triage import install as install_triage

if TYPE_CHECKING:
    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint

_STATIC = Path(__file__).parent.parent / "static"
_log = logging.getLogger(__name__)

#: Threads per widget for background requests (a stream, a batch of reads) at once; more wait.
BACKGROUND_WORKERS = 4
_WORKERS_LOCK = threading.Lock()


def bundle_file(name: str) -> Path:
    path = _STATIC / name
    if not path.is_file():
        raise ImportError(
            f"serving-panel's browser bundle {path} is missing. In a source checkout, build it "
            "with `make build` (or `npm run build` in js/); installed wheels always carry it."
        )
    return path


class PanelFeatures:
    """The panel features of one hosted endpoint, and the router of their request kinds."""

    def __init__(self, widget: EndpointHostWidget, name: str, metrics_interval_s: float) -> None:
        self.name = name
        self.router = RequestRouter()
        #: Called with every snapshot published while this endpoint is hosted (on_publish).
        self.observers: list[Observer] = []
        host = _FeatureHost(widget, self)
        self.events: PanelEvents = install_events(host)  # first: it sees every snapshot
        install_logs(host)
        install_permissions(host)
        install_delete(host)
        install_power(host)
        install_restore(host)
        install_config_editor(host)
        self.query: PanelQuery = install_query(host)
        self.triage: PanelTriage = install_triage(host)
        self.metrics: PanelMetrics = install_metrics(host, metrics_interval_s)


class _FeatureHost:
    """The `PanelHost` one endpoint's features see: the widget, bound to that endpoint. Their
    request kinds go to their own router; once the widget hosts another endpoint, what they
    publish is dropped and a refresh they ask for fails, so they never write over another
    endpoint's view."""

    def __init__(self, widget: EndpointHostWidget, features: PanelFeatures) -> None:
        self._widget = widget
        self._features = features

    @property
    def client(self) -> ServingClient:
        return self._widget.client

    @property
    def endpoint_name(self) -> str:
        return self._features.name

    @property
    def snapshot(self) -> dict[str, Any]:
        return self._widget.snapshot if self._current else snapshots.empty(self._features.name)

    @property
    def _current(self) -> bool:
        return self._widget.hosted is self._features

    def publish(self, snapshot: dict[str, Any]) -> None:
        if self._current:
            self._widget.publish(snapshot)

    def refresh(self) -> Endpoint:
        if not self._current:
            return self._widget.client.get(self._features.name)
        return self._widget.refresh()

    def register_request(self, kind: str, handler: Handler, *, background: bool = False) -> None:
        self._features.router.register(kind, handler, background=background)

    def send(self, content: dict[str, Any], buffers: list[Any] | None = None) -> None:
        self._widget.send(content, buffers)

    def on_publish(self, observer: Observer) -> None:
        self._features.observers.append(observer)

    def record_event(self, kind: str, summary: str, **details: Any) -> None:
        self._features.events.record(kind, summary, **details)


class EndpointHostWidget(anywidget.AnyWidget):
    """An anywidget that hosts one endpoint's panel (the base of both widgets; not for users).

    Subclasses set `_esm`/`_css`, call `_init_host` once after `super().__init__`, and call
    `host_endpoint` whenever the hosted endpoint changes (EndpointPanel: never)."""

    endpoint_name = traitlets.Unicode("").tag(sync=True)
    """Name of the endpoint the panel shows ("" while the explorer shows none)."""

    snapshot = traitlets.Dict().tag(sync=True)
    """What the view renders: small, JSON-shaped, and free of secrets (it may be saved)."""

    auto_refresh = traitlets.Bool(True).tag(sync=True)
    """Whether open views poll for changes (faster while an update is in progress)."""

    _refresh_request = traitlets.Int(0).tag(sync=True)
    """Bumped by the browser to ask for a refresh (the Refresh button and auto-refresh polls);
    answered by a snapshot with a higher revision. In marimo, cells reading the widget's value
    re-run on each bump, polls included."""

    _client: ServingClient
    _endpoint: Endpoint | None
    _router: RequestRouter
    _features: PanelFeatures | None
    _metrics_interval_s: float
    _paused_by_delete: bool

    def _init_host(self, client: ServingClient, metrics_interval_s: float) -> None:
        check_interval(metrics_interval_s)
        self._client = client
        self._endpoint = None
        self._metrics_interval_s = metrics_interval_s
        self._paused_by_delete = False
        self._router = RequestRouter()
        self._router.register("hello", self._hello)
        self._features = None
        self.on_msg(self._on_custom_message)

    def host_endpoint(self, name: str) -> PanelFeatures:
        """Hosts `name` from now on: fresh features (no state of the previous endpoint's), the
        name synced, and the snapshot of nothing read yet. The caller refreshes."""
        self._resume_auto_refresh()
        self._endpoint = None
        self._features = self._new_features(name)
        self.endpoint_name = name
        self.snapshot = snapshots.empty(name)
        return self._features

    def unhost(self) -> None:
        """Hosts nothing: the features and what they kept are dropped."""
        self._resume_auto_refresh()
        self._features = None
        self._endpoint = None
        self.endpoint_name = ""
        self.snapshot = {}

    def _new_features(self, name: str) -> PanelFeatures:
        return PanelFeatures(self, name, self._metrics_interval_s)

    @property
    def hosted(self) -> PanelFeatures | None:
        """The features of the endpoint hosted now (None while none is)."""
        return self._features

    # From Python -------------------------------------------------------------------------

    @property
    def client(self) -> ServingClient:
        return self._client

    def refresh(self) -> Endpoint:
        """Re-reads the endpoint and publishes a new snapshot; raises what the read raised."""
        if not self.endpoint_name:
            raise ValueError("no endpoint is open: open one first")
        endpoint = self._client.get(self.endpoint_name)
        self._publish(endpoint)
        return endpoint

    # Snapshot (the host protocol features use) ------------------------------------------

    def publish(self, new: dict[str, Any]) -> None:
        """Shows `new`, made by a snapshot.py function; a deleted endpoint stops auto refresh.
        Then the hosted features' observers see it (see PanelHost.on_publish)."""
        self.snapshot = new
        if snapshots.is_deleted(new) and self.auto_refresh:
            self.auto_refresh = False
            self._paused_by_delete = True
        features = self._features
        for observer in list(features.observers if features is not None else ()):
            try:
                observer(new)
            except Exception:  # a feature's bug must not fail the refresh that published
                _log.exception("an observer of %s's snapshots failed", self.endpoint_name)

    def _resume_auto_refresh(self) -> None:
        """Turns auto refresh back on if only the deletion of the endpoint hosted until now
        turned it off (the explorer's list follows along again once back from it)."""
        if self._paused_by_delete:
            self._paused_by_delete = False
            self.auto_refresh = True

    def _publish(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        features = self._current()
        self.publish(snapshots.of(endpoint, self.snapshot, features.triage.views(endpoint)))

    def _current(self) -> PanelFeatures:
        if self._features is None:
            raise ValueError("no endpoint is open: open one first")
        return self._features

    # From the browser ----------------------------------------------------------------------

    @traitlets.observe("_refresh_request")
    def _on_refresh_request(self, change: Mapping[str, Any]) -> None:
        """The one way the view asks for a refresh: a new snapshot either way, with the error
        if the read failed (the view waits for a newer revision than it had)."""
        if not self.endpoint_name:
            return
        try:
            self.refresh()
        except ServingError as error:
            self.publish(snapshots.with_error(self.snapshot, error))
        except Exception as error:  # a bug of ours: said in the view, traced in the kernel log
            _log.exception("refreshing %s failed", self.endpoint_name)
            self.publish(snapshots.with_error(self.snapshot, error))

    def register_request(self, kind: str, handler: Handler, *, background: bool = False) -> None:
        """Adds a request kind of the widget's own (features register theirs on the endpoint's
        `PanelFeatures`, through the host they are given). See protocol.py for `background`."""
        self._router.register(kind, handler, background=background)

    def _hello(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return {"version": __version__}

    def _route(self, content: Any) -> RequestRouter:
        """The router that answers `content`: the widget's own for its kinds, else the hosted
        endpoint's features (a request for no open endpoint gets the unknown-kind answer)."""
        kind = content.get("kind") if isinstance(content, Mapping) else None
        if kind in self._router.kinds or self._features is None:
            return self._router
        return self._features.router

    def _stale(self, content: Any) -> dict[str, Any] | None:
        """The refusal of a panel request tagged for an endpoint no longer hosted (a view may
        tag its requests with ``endpoint``: the explorer's does), else None."""
        if not isinstance(content, Mapping) or content.get("type") != "request":
            return None
        tagged, request_id = content.get("endpoint"), content.get("id")
        if (
            not isinstance(tagged, str)
            or tagged == self.endpoint_name
            or content.get("kind") in self._router.kinds
            or not isinstance(request_id, str)
        ):
            return None
        error = RequestError(
            f"this view was for endpoint {tagged!r}, which is no longer open here",
            error_code="STALE_VIEW",
            status=409,
        )
        return {"type": "reply", "id": request_id, "ok": False, "error": error_view(error)}

    def _on_custom_message(self, widget: object, content: Any, buffers: list[bytes]) -> None:
        stale = self._stale(content)
        if stale is not None:
            self.send(stale)
            return
        router = self._route(content)
        if router.in_background(content):
            self._workers().submit(self._answer, router, content)
        else:
            self._answer(router, content)

    def _answer(self, router: RequestRouter, content: Any) -> None:
        reply = router.handle(content)
        if reply is None:
            return
        try:
            self.send(reply)
        except Exception:  # the front end went away meanwhile: nobody is left to tell
            _log.exception("sending the reply to %r failed", content.get("kind"))

    def _workers(self) -> ThreadPoolExecutor:
        """The threads background requests run on, made at the first one."""
        with _WORKERS_LOCK:
            workers: ThreadPoolExecutor | None = getattr(self, "_background_workers", None)
            if workers is None:
                workers = ThreadPoolExecutor(
                    max_workers=BACKGROUND_WORKERS, thread_name_prefix="serving-panel-request"
                )
                self._background_workers = workers
            return workers

    def close(self) -> None:
        """Closes the widget; background requests still running finish, queued ones go."""
        workers: ThreadPoolExecutor | None = getattr(self, "_background_workers", None)
        if workers is not None:
            workers.shutdown(wait=False, cancel_futures=True)
        super().close()
