"""EndpointPanel: the anywidget panel for one Model Serving endpoint.

The Python side holds the ServingClient (and so the token) and syncs only a small snapshot of
the endpoint (snapshot.py). The browser asks for a refresh by bumping the `_refresh_request`
trait, a change marimo's reactivity sees (a cell reading the panel's value re-runs after
Refresh); it asks for data and actions through the request/reply custom messages of
protocol.py, which each feature module registers. Called from Python, methods raise; triggered
from the panel, errors are shown in it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets
import traitlets

import serving_panel.panel.snapshot as snapshots
from serving_panel._version import __version__
from serving_panel.errors import ServingError
from serving_panel.panel.config_editor import install as install_config_editor
from serving_panel.panel.delete import install as install_delete
from serving_panel.panel.events import install as install_events
from serving_panel.panel.logs import install as install_logs
from serving_panel.panel.metrics import DEFAULT_INTERVAL_S, check_interval
from serving_panel.panel.metrics import install as install_metrics
from serving_panel.panel.permissions import install as install_permissions
from serving_panel.panel.power import install as install_power
from serving_panel.panel.protocol import Handler, Observer, RequestRouter
from serving_panel.panel.query import install as install_query
from serving_panel.panel.restore import install as install_restore
from serving_panel.panel.triage import install as install_triage

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint, Permissions

_STATIC = Path(__file__).parent.parent / "static"
_log = logging.getLogger(__name__)


def _bundle_file(name: str) -> Path:
    path = _STATIC / name
    if not path.is_file():
        raise ImportError(
            f"serving-panel's browser bundle {path} is missing. In a source checkout, build it "
            "with `make build` (or `npm run build` in js/); installed wheels always carry it."
        )
    return path


class EndpointPanel(anywidget.AnyWidget):
    """A panel showing one Model Serving endpoint: its state, served entities and traffic.

    `EndpointPanel("ads-endpoint")` connects like `ServingClient()` does (arguments,
    DATABRICKS_* variables, ~/.databrickscfg); pass `client=` to share one, or connection
    arguments (`host=`, `token=`, `profile=`) to make one.
    """

    _esm = _bundle_file("widget.js")
    _css = _bundle_file("widget.css")

    endpoint_name = traitlets.Unicode("").tag(sync=True)
    """Name of the endpoint the panel shows."""

    snapshot = traitlets.Dict().tag(sync=True)
    """What the view renders: small, JSON-shaped, and free of secrets (it may be saved)."""

    auto_refresh = traitlets.Bool(True).tag(sync=True)
    """Whether open views poll for changes (faster while an update is in progress)."""

    _refresh_request = traitlets.Int(0).tag(sync=True)
    """Bumped by the browser to ask for a refresh (the Refresh button and auto-refresh polls);
    answered by a snapshot with a higher revision. In marimo, cells reading the panel's value
    re-run on each bump, polls included."""

    def __init__(
        self,
        name: str,
        client: ServingClient | None = None,
        *,
        auto_refresh: bool = True,
        metrics_interval_s: float = DEFAULT_INTERVAL_S,
        **connection: Any,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: must be a non-empty endpoint name, got {name!r}")
        if client is not None and connection:
            raise TypeError(
                f"give either client= or connection arguments, not both "
                f"(got client and {', '.join(sorted(connection))})"
            )
        check_interval(metrics_interval_s)
        made_client = client is None
        if client is None:
            from serving_panel.client import ServingClient

            client = ServingClient(**connection)
        super().__init__(
            endpoint_name=name,
            snapshot=snapshots.empty(name),
            auto_refresh=auto_refresh,
        )
        self._client = client
        self._endpoint: Endpoint | None = None
        self._router = RequestRouter()
        self._router.register("hello", self._hello)
        self._observers: list[Observer] = []
        self._events = install_events(self)  # first: it sees every snapshot, the first included
        install_logs(self)
        install_permissions(self)
        install_delete(self)
        install_power(self)
        install_restore(self)
        install_config_editor(self)
        self._query = install_query(self)
        self._triage = install_triage(self)
        self._metrics = install_metrics(self, metrics_interval_s)
        self.on_msg(self._on_custom_message)
        try:
            self.refresh()
        except BaseException:
            self._close_all()
            if made_client:  # nobody else holds this client to close it
                client.close()
            raise

    def _close_all(self) -> None:
        """Closes this widget's comm and its layout's: a panel whose first read failed must
        not stay behind as a live model (JupyterLab would save it in the notebook's state)."""
        layout = getattr(self, "layout", None)
        if isinstance(layout, ipywidgets.Widget):
            layout.close()
        self.close()

    def __repr__(self) -> str:
        state = self.snapshot.get("state") or "not read yet"
        return f"EndpointPanel(name={self.endpoint_name!r}, {state})"

    # From Python -------------------------------------------------------------------------

    @property
    def client(self) -> ServingClient:
        return self._client

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint as last read (see `refresh`)."""
        if self._endpoint is None:
            return self.refresh()
        return self._endpoint

    def refresh(self) -> Endpoint:
        """Re-reads the endpoint and publishes a new snapshot; raises what the read raised."""
        endpoint = self._client.get(self.endpoint_name)
        self._publish(endpoint)
        return endpoint

    def entities_df(self) -> pd.DataFrame:
        from serving_panel import frames

        return frames.entities_frame(self.refresh())

    def routes_df(self) -> pd.DataFrame:
        from serving_panel import frames

        return frames.routes_frame(self.refresh())

    def permissions_df(self) -> pd.DataFrame:
        return self._client.permissions_df(self.endpoint_name)

    def logs_df(
        self, served_entity: str, *, kind: str = "server", config_version: int | None = None
    ) -> pd.DataFrame:
        return self._client.logs_df(
            self.endpoint_name, served_entity, kind=kind, config_version=config_version
        )

    @property
    def metrics_interval_s(self) -> float:
        """Seconds between metric samples while a view shows the Metrics tab (1 to 3600; 10 by
        default). Open views pick a new value up at their next sample."""
        return self._metrics.interval_s

    @metrics_interval_s.setter
    def metrics_interval_s(self, value: float) -> None:
        self._metrics.interval_s = value

    def metrics_history_df(self) -> pd.DataFrame:
        """The metrics sampled this session while a view showed the Metrics tab, tidy: columns
        time (UTC), entity, metric, value; see serving_panel/panel/metrics.py for each metric
        and the window it covers. Empty until a view has sampled."""
        return self._metrics.history_df()

    def events_df(self) -> pd.DataFrame:
        """What this panel observed while open (the Events tab), oldest first: time (UTC),
        kind, entity, config_version, summary. See serving_panel/panel/events.py."""
        return self._events.frame()

    def grant(self, level: str, **principal: Any) -> Permissions:
        """`panel.grant("CAN_QUERY", user="jsmith@example.com")`: see ServingClient.grant."""
        return self._client.grant(self.endpoint_name, level, **principal)

    def revoke(self, **principal: Any) -> Permissions:
        """`panel.revoke(user="jsmith@example.com")`: see ServingClient.revoke."""
        return self._client.revoke(self.endpoint_name, **principal)

    def query_history_df(self) -> pd.DataFrame:
        """The queries sent from this panel's Query tab this session, newest last."""
        return self._query.history_df()

    def stop(self) -> Endpoint:
        """Stops the endpoint (see ServingClient.stop) and shows it stopped."""
        self._client.stop(self.endpoint_name)
        return self.refresh()

    def start(self) -> Endpoint:
        """Starts the stopped endpoint (see ServingClient.start) and shows its update."""
        self._client.start(self.endpoint_name)
        return self.refresh()

    def set_traffic(self, traffic: Mapping[str, int]) -> Endpoint:
        """`panel.set_traffic({"ads1-1": 80, "ads1-2": 20})`: see ServingClient.set_traffic;
        shows the update it begins."""
        self._client.set_traffic(self.endpoint_name, traffic)
        return self.refresh()

    def rollback(self, config_version: int) -> Endpoint:
        """`panel.rollback(1)`: sends config v1 again as a new version (see
        ServingClient.rollback and seen_configs); shows the update it begins."""
        self._client.rollback(self.endpoint_name, config_version)
        return self.refresh()

    # Snapshot (the host protocol features use) ------------------------------------------

    def publish(self, new: dict[str, Any]) -> None:
        """Shows `new`, made by a snapshot.py function; a deleted endpoint stops auto refresh."""
        self.snapshot = new
        if snapshots.is_deleted(new):
            self.auto_refresh = False
        for observer in list(self._observers):
            try:
                observer(new)
            except Exception:  # a feature's bug must not fail the refresh that published
                _log.exception("an observer of %s's snapshots failed", self.endpoint_name)

    def on_publish(self, observer: Observer) -> None:
        """Calls `observer` with every snapshot published from now on (see PanelHost)."""
        self._observers.append(observer)

    def record_event(self, kind: str, summary: str, **details: Any) -> None:
        """Adds a feature's event to the panel's timeline (see PanelHost and events.py)."""
        self._events.record(kind, summary, **details)

    def _publish(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self.publish(snapshots.of(endpoint, self.snapshot, self._triage.views(endpoint)))

    # From the browser ----------------------------------------------------------------------

    @traitlets.observe("_refresh_request")
    def _on_refresh_request(self, change: Mapping[str, Any]) -> None:
        """The one way the view asks for a refresh: a new snapshot either way, with the error
        if the read failed (the view waits for a newer revision than it had)."""
        try:
            self.refresh()
        except ServingError as error:
            self.publish(snapshots.with_error(self.snapshot, error))
        except Exception as error:  # a bug of ours: said in the view, traced in the kernel log
            _log.exception("refreshing %s failed", self.endpoint_name)
            self.publish(snapshots.with_error(self.snapshot, error))

    def register_request(self, kind: str, handler: Handler) -> None:
        """Adds a request kind the browser may send (the features' data sources use this)."""
        self._router.register(kind, handler)

    def _hello(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return {"version": __version__}

    def _on_custom_message(self, widget: object, content: Any, buffers: list[bytes]) -> None:
        reply = self._router.handle(content)
        if reply is not None:
            self.send(reply)
