"""EndpointPanel: the anywidget panel for one Model Serving endpoint.

The Python side holds the ServingClient (and so the token) and syncs only a small snapshot of
the endpoint (`panel_state.snapshot`). The browser asks for actions through intent traits
(which marimo's reactivity also sees) and for data through request/response custom messages.
Called from Python, methods raise; triggered from the panel, errors are shown in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from serving_panel import panel_delete, panel_logs, panel_permissions, panel_state
from serving_panel._messages import RequestError, RequestRouter
from serving_panel._version import __version__
from serving_panel.errors import ApiError, ServingError

if TYPE_CHECKING:
    import pandas as pd

    from serving_panel.client import ServingClient
    from serving_panel.types import Endpoint, Permissions

_STATIC = Path(__file__).parent / "static"


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
    """Bumped by the browser to ask for a refresh."""

    def __init__(
        self,
        name: str,
        client: ServingClient | None = None,
        *,
        auto_refresh: bool = True,
        **connection: Any,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: must be a non-empty endpoint name, got {name!r}")
        if client is not None and connection:
            raise TypeError(
                f"give either client= or connection arguments, not both "
                f"(got client and {', '.join(sorted(connection))})"
            )
        if client is None:
            from serving_panel.client import ServingClient

            client = ServingClient(**connection)
        super().__init__(
            endpoint_name=name,
            snapshot=panel_state.empty_snapshot(name),
            auto_refresh=auto_refresh,
        )
        self._client = client
        self._endpoint: Endpoint | None = None
        self._router = RequestRouter()
        self._router.register("hello", self._hello)
        self._router.register("refresh", self._refresh_from_view)
        panel_logs.install(self)
        panel_permissions.install(self)
        panel_delete.install(self)
        self.on_msg(self._on_custom_message)
        self.refresh()

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

    def grant(self, level: str, **principal: str) -> Permissions:
        """`panel.grant("CAN_QUERY", user="jsmith@example.com")`: see ServingClient.grant."""
        return self._client.grant(self.endpoint_name, level, **principal)

    def revoke(self, **principal: Any) -> Permissions:
        """`panel.revoke(user="jsmith@example.com")`: see ServingClient.revoke."""
        return self._client.revoke(self.endpoint_name, **principal)

    # Snapshot ----------------------------------------------------------------------------

    def _publish(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        revision = int(self.snapshot.get("revision", 0)) + 1
        self.snapshot = panel_state.snapshot(endpoint, revision)

    def _publish_error(self, error: Exception) -> None:
        """A refresh the panel asked for failed: keep what is shown, and say why."""
        revision = int(self.snapshot.get("revision", 0)) + 1
        self.snapshot = {
            **self.snapshot,
            "revision": revision,
            "error": panel_state.error_view(error),
        }

    # From the browser ----------------------------------------------------------------------

    @traitlets.observe("_refresh_request")
    def _on_refresh_request(self, change: Mapping[str, Any]) -> None:
        self._refresh_from_view({})

    def _refresh_from_view(self, payload: Mapping[str, Any]) -> dict[str, int]:
        try:
            self.refresh()
        except ServingError as error:
            self._publish_error(error)
        return {"revision": int(self.snapshot["revision"])}

    def register_request(self, kind: str, handler: Callable[[Mapping[str, Any]], Any]) -> None:
        """Adds a request kind the browser may send (the tabs' data sources use this)."""
        self._router.register(kind, handler)

    def _hello(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return {"version": __version__}

    def _on_custom_message(self, widget: object, content: Any, buffers: list[bytes]) -> None:
        reply = self._router.handle(content)
        if reply is not None:
            self.send(reply)


def request_error(error: Exception) -> RequestError:
    """A client error as an inline reply error (status and code kept, no traceback)."""
    if isinstance(error, ApiError):
        return RequestError(error.message, error_code=error.error_code, status=error.status)
    return RequestError(str(error), error_code=type(error).__name__, status=0)
