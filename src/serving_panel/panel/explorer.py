"""ServingExplorer: every endpoint the caller can see, in one anywidget; opening one shows its
full panel inside.

The explorer is itself a host of one endpoint's panel (host.py): it carries the traits the
browser's `<Panel>` reads (endpoint_name, snapshot, auto_refresh, _refresh_request) for the
endpoint opened, and installs the panel's features for it, afresh at each open, so nothing one
endpoint's features kept (logs, triage, query history, metrics samples) shows for another. The
browser renders the same `<Panel>` component with the explorer's model.

The Endpoints view's rows travel as replies (listing.py), never as synced state. Requests of
the explorer's own (the envelope is `protocol`'s):

``explorer.list``, ``explorer.details``  see listing.py.
``explorer.open``  ``{name}`` → ``{name, state}``: reads the endpoint, then hosts it (a failed
    read leaves the view as it was and comes back as the reply's error).
``explorer.close``  ``{}`` → ``{}``: back to the list; the opened endpoint's features go.
``explorer.restore``  as the panel's ``restore.run`` (restore.py): an endpoint deleted is no
    longer in the list to open, so the list restores it.
``explorer.access``, ``explorer.grants.preview``, ``explorer.grants.apply``,
``principals.lookup``  see access.py (the Access view; grants across endpoints).

The view's selection is the synced `selection` trait, written by the browser: a trait and not
a message, so marimo's reactivity sees it (a cell reading `explorer.selected` re-runs when the
selection changes), as it sees each refresh.

The view tags each request of an opened panel with that endpoint's name (``endpoint`` next to
``kind``); one for an endpoint no longer open is refused (409 STALE_VIEW), never answered by
another endpoint's features.

Called from Python, methods raise; triggered in the widget, errors show in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import traitlets

from serving_panel.errors import ServingError
from serving_panel.panel.access import ExplorerAccess
from serving_panel.panel.host import EndpointHostWidget, bundle_file
from serving_panel.panel.listing import EndpointListing
from serving_panel.panel.metrics import DEFAULT_INTERVAL_S, check_interval
from serving_panel.panel.protocol import invalid, request_error
from serving_panel.panel.restore import restore_reply

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint

__all__ = ["ServingExplorer"]


class ServingExplorer(EndpointHostWidget):
    """Every Model Serving endpoint in one widget: search, filter and sort them, and open one
    to see its full panel (header, Overview, Logs, Permissions, Query, Metrics, actions).

    `ServingExplorer()` connects like `ServingClient()` does (arguments, DATABRICKS_*
    variables, ~/.databrickscfg); pass `client=` to share one, or connection arguments
    (`host=`, `token=`, `profile=`) to make one.
    """

    _esm = bundle_file("explorer.js")
    _css = bundle_file("explorer.css")

    selection = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Names of the endpoints selected in the view (checkboxes, shift/ctrl-click), written by
    the browser."""

    def __init__(
        self,
        client: ServingClient | None = None,
        *,
        auto_refresh: bool = True,
        metrics_interval_s: float = DEFAULT_INTERVAL_S,
        **connection: Any,
    ) -> None:
        if client is not None and connection:
            raise TypeError(
                f"give either client= or connection arguments, not both "
                f"(got client and {', '.join(sorted(connection))})"
            )
        check_interval(metrics_interval_s)
        if client is None:
            from serving_panel.client import ServingClient

            client = ServingClient(**connection)
        super().__init__(auto_refresh=auto_refresh)
        self._init_host(client, metrics_interval_s)
        listing = EndpointListing(client)
        self.register_request("explorer.list", listing.list, background=True)
        self.register_request("explorer.details", listing.details, background=True)
        self.register_request("explorer.open", self._open_request)
        self.register_request("explorer.close", self._close_request)
        self.register_request("explorer.restore", lambda payload: restore_reply(client, payload))
        access = ExplorerAccess(client)
        self.register_request("explorer.access", access.access, background=True)
        self.register_request("explorer.grants.preview", access.preview, background=True)
        self.register_request("explorer.grants.apply", access.apply)
        self.register_request("principals.lookup", access.principals)

    def __repr__(self) -> str:
        opened = f", open={self.endpoint_name!r}" if self.endpoint_name else ""
        client = getattr(self, "_client", None)
        host = "" if client is None else client.host
        return f"ServingExplorer(host={host!r}{opened})"

    # From Python -------------------------------------------------------------------------

    @property
    def selected(self) -> list[str]:
        """The names of the endpoints selected in the view (checkboxes, shift/ctrl-click)."""
        return list(dict.fromkeys(self.selection))

    def endpoints_df(self) -> pd.DataFrame:
        """One row per endpoint, with each one's details (see ServingClient.endpoints_df)."""
        return self._client.endpoints_df(detailed=True)

    def access_df(self) -> pd.DataFrame:
        """One row per endpoint and principal with its effective level and where it comes
        from, and one saying why for an ACL that could not be read (see
        ServingClient.access_df)."""
        return self._client.access_df()

    def open(self, name: str | None = None) -> Endpoint | None:
        """Shows `name`'s panel in the explorer; raises what reading it raised (the view then
        stays as it was).

        Without a name this is ipywidgets' `Widget.open()`, which opens the widget's comm (the
        widget calls it as it is made): the two share the name."""
        if name is None:
            super().open()
            return None
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: must be a non-empty endpoint name, got {name!r}")
        return self._open(name)

    def _open(self, name: str) -> Endpoint:
        endpoint = self._client.get(name)
        self.host_endpoint(endpoint.name)
        self._publish(endpoint)
        return endpoint

    def back(self) -> None:
        """Shows the list of all endpoints again (the opened endpoint's features go)."""
        self.unhost()

    @property
    def endpoint(self) -> Endpoint | None:
        """The opened endpoint as last read, or None while the list shows."""
        return self._endpoint

    # From the browser --------------------------------------------------------------------

    def _open_request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        name = payload.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("name", "must be a non-empty endpoint name")
        try:
            endpoint = self._open(name)
        except ServingError as error:
            raise request_error(error) from None
        return {"name": endpoint.name, "state": endpoint.state}

    def _close_request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        self.back()
        return {}
