"""EndpointPanel: the anywidget panel for one Model Serving endpoint.

The Python side holds the ServingClient (and so the token) and syncs only a small snapshot of
the endpoint (snapshot.py). The browser asks for a refresh by bumping the `_refresh_request`
trait, a change marimo's reactivity sees (a cell reading the panel's value re-runs after
Refresh); it asks for data and actions through the request/reply custom messages of
protocol.py, which each feature module registers. Called from Python, methods raise; triggered
from the panel, errors are shown in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets

import serving_panel.panel.snapshot as snapshots
from serving_panel.panel.host import EndpointHostWidget, bundle_file
from serving_panel.panel.metrics import DEFAULT_INTERVAL_S, check_interval

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint, Permissions


class EndpointPanel(EndpointHostWidget):
    """A panel showing one Model Serving endpoint: its state, served entities and traffic.

    `EndpointPanel("ads-endpoint")` connects like `ServingClient()` does (arguments,
    DATABRICKS_* variables, ~/.databrickscfg); pass `client=` to share one, or connection
    arguments (`host=`, `token=`, `profile=`) to make one.
    """

    _esm = bundle_file("widget.js")
    _css = bundle_file("widget.css")

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
            endpoint_name=name, snapshot=snapshots.empty(name), auto_refresh=auto_refresh
        )
        self._init_host(client, metrics_interval_s)
        self.host_endpoint(name)
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
    def endpoint(self) -> Endpoint:
        """The endpoint as last read (see `refresh`)."""
        if self._endpoint is None:
            return self.refresh()
        return self._endpoint

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
        return self._current().metrics.interval_s

    @metrics_interval_s.setter
    def metrics_interval_s(self, value: float) -> None:
        self._current().metrics.interval_s = value

    def metrics_history_df(self) -> pd.DataFrame:
        """The metrics sampled this session while a view showed the Metrics tab, tidy: columns
        time (UTC), entity, metric, value; see serving_panel/panel/metrics.py for each metric
        and the window it covers. Empty until a view has sampled."""
        return self._current().metrics.history_df()

    def events_df(self) -> pd.DataFrame:
        """What this panel observed while open (the Events tab), oldest first: time (UTC),
        kind, entity, config_version, summary. See serving_panel/panel/events.py."""
        return self._current().events.frame()

    def grant(self, level: str, **principal: Any) -> Permissions:
        """`panel.grant("CAN_QUERY", user="jsmith@example.com")`: see ServingClient.grant."""
        return self._client.grant(self.endpoint_name, level, **principal)

    def revoke(self, **principal: Any) -> Permissions:
        """`panel.revoke(user="jsmith@example.com")`: see ServingClient.revoke."""
        return self._client.revoke(self.endpoint_name, **principal)

    def query_history_df(self) -> pd.DataFrame:
        """The queries sent from this panel's Query tab this session, newest last."""
        return self._current().query.history_df()

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
