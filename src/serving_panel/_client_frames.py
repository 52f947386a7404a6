"""The client's answers as pandas DataFrames: the `*_df` methods.

Apart from the methods they wrap because each only reshapes another method's answer through
`serving_panel.frames`, which (with pandas) is imported only when one is called: importing
the client stays light. The many-endpoint writes, which answer a DataFrame too (`grant_many`,
`revoke_many`), stay with the other writes in `_client_bulk`.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from serving_panel import bulk
from serving_panel._client_bulk import BulkPermissionMethods
from serving_panel._client_model_versions import ModelVersionMethods
from serving_panel._client_observe import ObserveMethods
from serving_panel.errors import ResourceDoesNotExist
from serving_panel.types import Endpoint

if TYPE_CHECKING:
    import pandas as pd


class FrameMethods(ObserveMethods, ModelVersionMethods, BulkPermissionMethods):
    """`ServingClient`'s `*_df` methods."""

    def endpoints_df(self, *, detailed: bool = False) -> pd.DataFrame:
        """One row per endpoint. `detailed=True` also fetches each endpoint's details
        (traffic, per-entity state, your level) concurrently over a bounded pool."""
        from serving_panel import frames

        endpoints = self.list()
        if detailed and endpoints:
            with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
                endpoints = list(pool.map(lambda e: self._get_or_keep(e), endpoints))
        return frames.endpoints_frame(endpoints)

    def _get_or_keep(self, endpoint: Endpoint) -> Endpoint:
        try:
            return self.get(endpoint.name)
        except ResourceDoesNotExist:
            return endpoint  # deleted between the list and the get

    def entities_df(self, name: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.entities_frame(self.get(name))

    def routes_df(self, name: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.routes_frame(self.get(name))

    def permissions_df(self, endpoint: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.permissions_frame(self.permissions(endpoint), endpoint)

    def logs_df(
        self,
        name: str,
        served_entity: str,
        *,
        kind: str = "server",
        config_version: int | None = None,
    ) -> pd.DataFrame:
        from serving_panel import frames

        records = self.log_records(name, served_entity, kind=kind, config_version=config_version)
        return frames.logs_frame(records, served_entity)

    def metrics_df(self, name: str) -> pd.DataFrame:
        from serving_panel import frames

        return frames.metrics_frame(self.metrics(name))

    def metrics_summary_df(self, name: str) -> pd.DataFrame:
        """`metrics_summary` as a DataFrame: one row per served entity, histograms as means."""
        from serving_panel import frames

        return frames.metrics_summary_frame(self.metrics_summary(name))

    def access_df(self, endpoints: Iterable[str] | None = None) -> pd.DataFrame:
        """`access` as a DataFrame: one row per endpoint and principal with its effective
        level, its direct level, and where the effective level comes from ("direct", or the
        objects it is inherited from, such as `/serving-endpoints/`); one row saying why for
        an endpoint whose ACL could not be read (`readable` false, `error_code`, `error`).
        Columns: endpoint, endpoint_id, kind, principal, display_name, level, direct_level,
        inherited, source, fingerprint, readable, error_code, error."""
        from serving_panel import frames

        return frames.access_frame(bulk.access_rows(self.access(endpoints)))

    def principals_df(self, query: str, *, limit: int = 10) -> pd.DataFrame:
        """`find_principals` as a DataFrame: kind, name (what a grant takes), display_name."""
        from serving_panel import frames

        return frames.principals_frame(self.find_principals(query, limit=limit))

    def model_versions_df(self, name: str) -> pd.DataFrame:
        """`model_versions` as a DataFrame: one row per version, newest first."""
        from serving_panel import frames

        return frames.model_versions_frame(self.model_versions(name))
