"""What an endpoint is doing: its logs and metrics, waiting on its update, and why it failed.

Apart from the endpoint writes (client.py) because these only read, and together because they
lean on each other: `wait` raises an `UpdateFailed` that quotes the build log and names the
likely cause (`diagnose`, from `serving_panel.triage`).
"""

from __future__ import annotations

import builtins
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serving_panel import _checks
from serving_panel._client_core import API, ClientCore
from serving_panel.errors import (
    ApiError,
    ClientValidationError,
    ServingError,
    UpdateFailed,
    WaitTimedOut,
)
from serving_panel.types import Endpoint

if TYPE_CHECKING:
    from serving_panel.logs import LogRecord
    from serving_panel.metrics import EntityMetrics, MetricSample
    from serving_panel.triage import Diagnosis

_WAIT_UNTIL = ("not_updating", "ready")
#: Failed entities whose logs an UpdateFailed reads, at most, looking for the cause.
_DIAGNOSED_ENTITIES = 3


class ObserveMethods(ClientCore):
    """`ServingClient`'s logs, metrics, `wait` and `diagnose`."""

    def build_logs(
        self, name: str, served_entity: str, *, config_version: int | None = None
    ) -> str:
        return self._logs(name, served_entity, "build-logs", config_version)

    def logs(self, name: str, served_entity: str, *, config_version: int | None = None) -> str:
        """The most recent server log lines of a served entity."""
        return self._logs(name, served_entity, "logs", config_version)

    def _logs(self, name: str, served: str, kind: str, version: int | None) -> str:
        _checks.endpoint_name(name)
        _checks.served_entity_name(served, "served_entity")
        params = {"config_version": version} if version is not None else None
        answer = self._json("GET", f"{API}/{name}/served-models/{served}/{kind}", params=params)
        return str(answer.get("logs") or "")

    def log_records(
        self,
        name: str,
        served_entity: str,
        *,
        kind: str = "server",
        config_version: int | None = None,
    ) -> builtins.list[LogRecord]:
        from serving_panel.logs import parse_log_text

        if kind not in ("server", "build"):
            raise ClientValidationError(f"kind: must be 'server' or 'build', got {kind!r}")
        fetch = self.logs if kind == "server" else self.build_logs
        return parse_log_text(fetch(name, served_entity, config_version=config_version))

    def metrics_text(self, name: str) -> str:
        _checks.endpoint_name(name)
        return self._transport.request("GET", f"{API}/{name}/metrics", accept="text/plain").text

    def metrics(self, name: str) -> builtins.list[MetricSample]:
        """The endpoint's current metrics, parsed from Prometheus text."""
        from serving_panel.metrics import parse_prometheus_text

        return parse_prometheus_text(self.metrics_text(name))

    def metrics_summary(self, name: str) -> builtins.list[EntityMetrics]:
        """The endpoint's metrics by served entity, under the service's names: CPU and memory
        %, provisioned concurrency, requests (and 4xx, 5xx) over the last minute, latency and
        queue-time histograms. Reads older exports too (lifetime counters: `window` says)."""
        from serving_panel.metrics import summarize

        return summarize(self.metrics(name))

    # Waiting -------------------------------------------------------------------------------

    def wait(
        self,
        name: str,
        *,
        until: str = "not_updating",
        timeout: float = 1200.0,
        poll_s: float = 2.0,
        progress: bool | None = None,
        on_poll: Callable[[Endpoint], None] | None = None,
    ) -> Endpoint:
        """Polls until the endpoint's update is over (`not_updating`) or it is `ready`.

        Raises `UpdateFailed` with each failed entity's message, the tail of its build log and
        the likely cause (`diagnosis`, named in the message) when the update fails, and
        `WaitTimedOut` naming the last state seen; never waits past `timeout`. `progress` shows
        a tqdm bar (default: only inside a notebook).
        """
        if until not in _WAIT_UNTIL:
            raise ClientValidationError(f"until: must be one of {', '.join(_WAIT_UNTIL)}")
        deadline = time.monotonic() + timeout
        bar = _progress_bar(name, progress)
        try:
            while True:
                endpoint = self.get(name)
                if on_poll is not None:
                    on_poll(endpoint)
                if bar is not None:
                    bar.set_postfix_str(endpoint.state, refresh=False)
                    bar.update(1)
                if endpoint.config_update in ("UPDATE_FAILED", "UPDATE_CANCELED"):
                    raise self._update_failed(endpoint)
                if endpoint.config_update != "IN_PROGRESS" and (
                    until == "not_updating" or endpoint.ready == "READY"
                ):
                    return endpoint
                if until == "ready" and endpoint.config_update == "NOT_UPDATING":
                    raise UpdateFailed(
                        f"{name} is not updating and not ready ({endpoint.state}); "
                        "waiting longer would not change that",
                        endpoint=endpoint,
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimedOut(
                        f"{name} still {endpoint.state} (config_update={endpoint.config_update}) "
                        f"after {timeout:g} s"
                    )
                time.sleep(min(poll_s, remaining))
        finally:
            if bar is not None:
                bar.close()

    def _update_failed(self, endpoint: Endpoint) -> UpdateFailed:
        config = endpoint.pending_config or endpoint.config
        version = config.config_version if config else None
        failed = [
            e
            for e in (config.served_entities if config else ())
            if e.deployment_state in ("DEPLOYMENT_FAILED", "DEPLOYMENT_ABORTED")
        ]
        lines = [f"{endpoint.name}: update {endpoint.config_update} ({endpoint.state})"]
        tail = ""
        build_log: str | None = None
        for entity in failed:
            lines.append(f"  {entity.name}: {entity.deployment_message or entity.deployment_state}")
        if failed:
            try:
                build_log = self.build_logs(endpoint.name, failed[0].name, config_version=version)
                tail = "\n".join(build_log.rstrip("\n").splitlines()[-20:])
                lines.append(f"  last build log lines of {failed[0].name}:")
                lines.extend(f"    {line}" for line in tail.splitlines())
            except ServingError as error:
                lines.append(f"  (build log unavailable: {_error_code(error)})")
        diagnosis = None
        # The failed ones first: an aborted entity was stopped because another one failed.
        failed.sort(key=lambda e: e.deployment_state != "DEPLOYMENT_FAILED")
        for entity in failed[:_DIAGNOSED_ENTITIES]:
            diagnosis = self._diagnose(
                endpoint.name,
                entity.name,
                version,
                entity.deployment_message,
                build_log if entity is failed[0] and build_log is not None else None,
            )
            if diagnosis is not None:
                lines.insert(1, f"  likely cause ({entity.name}): {diagnosis.summary()}")
                break
        return UpdateFailed(
            "\n".join(lines), endpoint=endpoint, build_log_tail=tail, diagnosis=diagnosis
        )

    def diagnose(
        self,
        name: str,
        served_entity: str,
        *,
        config_version: int | None = None,
        state_message: str = "",
    ) -> Diagnosis | None:
        """The likely cause of a served entity's failed deployment (`serving_panel.triage`):
        read from its build log and, when that shows none (the build passed), its server log,
        with its `state_message` (`deployment_state_message`) as more evidence. A log that
        cannot be read is skipped; None when nothing known shows."""
        _checks.endpoint_name(name)
        _checks.served_entity_name(served_entity, "served_entity")
        return self._diagnose(name, served_entity, config_version, state_message, None)

    def _diagnose(
        self,
        name: str,
        served: str,
        version: int | None,
        message: str,
        build_log: str | None,
    ) -> Diagnosis | None:
        from serving_panel import triage

        if build_log is None:
            build_log = self._log_or_empty(self.build_logs, name, served, version)
        found = triage.diagnose(build_log, "", message)
        if found is None or found.log is None:
            server_log = self._log_or_empty(self.logs, name, served, version)
            found = triage.diagnose(build_log, server_log, message) or found
        return None if found is None else found.about(served, version)

    @staticmethod
    def _log_or_empty(read: Callable[..., str], name: str, served: str, version: int | None) -> str:
        """A log for triage: a failing read must not hide the failure being explained."""
        try:
            return read(name, served, config_version=version)
        except ServingError:
            return ""


def _progress_bar(name: str, progress: bool | None) -> Any:
    if progress is None:
        progress = "ipykernel" in sys.modules and hasattr(sys.stdout, "flush")
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(desc=f"waiting for {name}", unit="poll", leave=False)


def _error_code(error: ServingError) -> str:
    return error.error_code if isinstance(error, ApiError) else type(error).__name__
