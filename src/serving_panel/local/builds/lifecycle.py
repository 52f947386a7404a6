"""Config updates, for real: build each new served entity, then switch configs or fail.

An update stores a pending config (IN_PROGRESS). For each served entity that is new or changed
the build resolves the model in the local model store, validates its MLmodel, checks its
requirements against this environment and loads it in a fresh process, writing timestamped
lines to the entity's build log. When every build succeeds the pending config becomes current;
when one fails the update ends UPDATE_FAILED, the failed entity says why, and the previous
config stays current. On start-up, updates left IN_PROGRESS by a crash are built again.

This module orchestrates an update; `build.py` builds one served entity, `loader.py` is the
process that loads its model, and `serving/deployment.py` starts the model servers.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from serving_panel.local.builds.build import BUILT, BUILT_MESSAGE, Builder, SetState
from serving_panel.local.builds.pace import Pace
from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.models.registry import ModelStore
from serving_panel.local.scenarios import Scenarios
from serving_panel.local.state.configs import CREATING, FAILED, READY, endpoint_ready
from serving_panel.local.state.logstore import LogStore
from serving_panel.local.state.store import Endpoint, Store, now_ms

if TYPE_CHECKING:
    from serving_panel.local.serving.deployment import Deployment

log = logging.getLogger(__name__)


class Lifecycle:
    """Runs each update in a background thread: the builds of its new entities (one thread each,
    through `Builder`), then the switch to the new config or the failed update."""

    def __init__(
        self,
        store: Store,
        models: ModelStore,
        logs: LogStore,
        *,
        python: str = sys.executable,
        load_timeout_s: float = 300.0,
        environment: Mapping[str, str] | None = None,
        on_change: Callable[[str], None] | None = None,
        deployment: Deployment | None = None,
        deploy_timeout_s: float = 300.0,
        min_update_s: float = 0.0,
        scenarios: Scenarios | None = None,
    ) -> None:
        self.deployment = deployment
        self.scenarios = scenarios if scenarios is not None else Scenarios()
        self.min_update_s = min_update_s
        self.deploy_timeout_s = deploy_timeout_s
        self.store = store
        self.models = models
        self.logs = logs
        self.on_change = on_change
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._serving: dict[str, threading.Lock] = {}
        self._stopping = threading.Event()
        self.builder = Builder(
            models,
            logs,
            self._stopping,
            python=python,
            load_timeout_s=load_timeout_s,
            environment=dict(environment or os.environ),
            scenarios=self.scenarios,
        )

    # Driving ------------------------------------------------------------------------------

    def start(self, endpoint_id: str) -> None:
        """Builds the endpoint's pending config in the background."""
        if self._stopping.is_set():
            return
        endpoint = self.store.endpoint_by_id(endpoint_id)
        if endpoint is None or endpoint.pending_config is None:
            return
        version = int(endpoint.pending_config["config_version"])
        thread = threading.Thread(
            target=self._run,
            args=(endpoint_id, version),
            name=f"build-{endpoint.name}-v{version}",
            daemon=True,
        )
        with self._lock:
            self._threads[endpoint_id] = thread
        thread.start()

    def reconcile(self) -> list[str]:
        """Starts again the updates a previous run left IN_PROGRESS; returns their names."""
        resumed = []
        for endpoint in self.store.endpoints_in_progress():
            pending = endpoint.pending_config
            if pending is None:
                self.store.update_endpoint(
                    endpoint.id, lambda e: replace(e, config_update="NOT_UPDATING")
                )
                continue
            version = int(pending["config_version"])
            for entity in pending["served_entities"]:
                if entity["state"]["deployment"] != READY or entity.get("_built_in") == version:
                    self.builder.log(
                        endpoint.id,
                        entity["name"],
                        version,
                        "WARNING",
                        "the workspace restarted during this build; building again",
                    )
            resumed.append(endpoint.name)
            self.start(endpoint.id)
        return resumed

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """Waits for running builds to finish (tests and shutdown use this)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                threads = [t for t in self._threads.values() if t.is_alive()]
            if not threads:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            threads[0].join(remaining)

    def wait_update(self, endpoint_id: str, timeout_s: float = 60.0) -> bool:
        """Waits for the endpoint's running update (if any) to end; False on timeout."""
        with self._lock:
            thread = self._threads.get(endpoint_id)
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    @contextmanager
    def serving(self, endpoint_id: str) -> Iterator[None]:
        """Held while an update's config goes live (its routes and model servers) and while a
        stop takes them away, so a stop that lands just as an update ends waits for it."""
        with self._lock:
            lock = self._serving.setdefault(endpoint_id, threading.Lock())
        with lock:
            yield

    def forget(self, endpoint_id: str) -> None:
        """The endpoint was deleted: stop its builds, its model servers, and drop its logs."""
        if self.deployment is not None:
            self.deployment.remove(endpoint_id)
        with self._lock:
            self._serving.pop(endpoint_id, None)
        self.builder.forget(endpoint_id)
        self.logs.remove_endpoint(endpoint_id)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stops model loads in flight; their updates stay IN_PROGRESS for the next start."""
        self._stopping.set()
        self.scenarios.wake()
        self.builder.kill_all()
        self.wait_idle(timeout_s)

    # One update -----------------------------------------------------------------------------

    def _run(self, endpoint_id: str, version: int) -> None:
        pace = Pace(self.min_update_s, self._stopping)
        try:
            endpoint = self.store.endpoint_by_id(endpoint_id)
            if endpoint is None or endpoint.pending_config is None:
                return
            pending = endpoint.pending_config
            if int(pending["config_version"]) != version:
                return
            to_build = [
                e
                for e in pending["served_entities"]
                if e.get("_built_in") == version or e["state"]["deployment"] != READY
            ]
            threads = [
                threading.Thread(
                    target=self.builder.build,
                    args=(
                        endpoint_id,
                        endpoint.name,
                        version,
                        entity,
                        self._entity_setter(endpoint_id, version, entity["name"]),
                    ),
                    kwargs={"deploys": self.deployment is not None, "pace": pace.reach},
                    name=f"build-{endpoint.name}-{entity['name']}",
                    daemon=True,
                )
                for entity in to_build
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if self._stopping.is_set():
                return
            built = [
                e for e in to_build if self._entity_state(endpoint_id, version, e["name"]) == BUILT
            ]
            if self.deployment is not None and len(built) == len(to_build):
                self._deploy(endpoint_id, endpoint.name, version, pace)
            else:
                pace.reach(1.0)
                self._hold(endpoint_id, endpoint.name, version)
                if self._stopping.is_set():
                    return
                self._finish(endpoint_id, version)
        except Exception:
            log.exception("build of endpoint %s version %s crashed", endpoint_id, version)
            self._finish(endpoint_id, version, crashed=True)

    def _entity_state(self, endpoint_id: str, version: int, name: str) -> str | None:
        endpoint = self.store.endpoint_by_id(endpoint_id)
        pending = endpoint.pending_config if endpoint is not None else None
        if pending is None or int(pending["config_version"]) != version:
            return None
        for entity in pending["served_entities"]:
            if entity["name"] == name:
                state: str = entity["state"]["deployment_state_message"]
                if entity["state"]["deployment"] == CREATING and state == BUILT_MESSAGE:
                    return BUILT
                return str(entity["state"]["deployment"])
        return None

    def _deploy(self, endpoint_id: str, endpoint_name: str, version: int, pace: Pace) -> None:
        """Starts the new entities' model servers; once all are healthy (and the update's
        minimum time has passed) the pending config goes live, traffic switches to it, and the
        old config's servers drain and stop."""
        assert self.deployment is not None
        endpoint = self.store.endpoint_by_id(endpoint_id)
        if endpoint is None or endpoint.pending_config is None:
            return
        pending = endpoint.pending_config
        entities = pending["served_entities"]
        new = [e for e in entities if e.get("_built_in") == version]
        try:
            keys = self.deployment.start(endpoint_id, pending, new)
        except ModelStoreError as error:
            for entity in new:
                self._set_entity_state(endpoint_id, version, entity["name"], FAILED, str(error))
            self._finish(endpoint_id, version)
            return
        failed = [
            key
            for key in keys
            if not self.deployment.supervisor.wait_ready(key, self.deploy_timeout_s)
        ]
        pace.reach(1.0)
        self._hold(endpoint_id, endpoint_name, version)
        if self._stopping.is_set():
            return
        for key in keys:
            if key in failed:
                self._set_entity_state(
                    endpoint_id,
                    version,
                    key.entity,
                    FAILED,
                    "The model server did not become healthy; see the server logs.",
                )
                self.deployment.supervisor.stop(key, drain_s=0)
            else:
                self._set_entity_state(endpoint_id, version, key.entity, READY, "")
        for entity in new:
            if "external_model" in entity:
                self._set_entity_state(endpoint_id, version, entity["name"], READY, "")
        with self.serving(endpoint_id):
            if self._finish(endpoint_id, version):
                self.deployment.activate(endpoint_id, pending)
                live = self.deployment.start(endpoint_id, pending, entities)
                self.deployment.retire(endpoint_id, keep=live)

    def _hold(self, endpoint_id: str, endpoint_name: str, version: int) -> None:
        """The hold_update scenario: the update waits here, its builds done, until released."""
        if not self.scenarios.holds(endpoint_name):
            return
        for entity in self._pending_entities(endpoint_id, version):
            self.builder.log(
                endpoint_id,
                entity,
                version,
                "INFO",
                "the update is held IN_PROGRESS until released (hold_update scenario)",
            )
        if self.scenarios.hold(endpoint_name, self._stopping) and not self._stopping.is_set():
            for entity in self._pending_entities(endpoint_id, version):
                self.builder.log(endpoint_id, entity, version, "INFO", "the update was released")

    def _pending_entities(self, endpoint_id: str, version: int) -> list[str]:
        endpoint = self.store.endpoint_by_id(endpoint_id)
        pending = endpoint.pending_config if endpoint is not None else None
        if pending is None or int(pending["config_version"]) != version:
            return []
        return [str(e["name"]) for e in pending["served_entities"]]

    def _entity_setter(self, endpoint_id: str, version: int, name: str) -> SetState:
        def set_state(deployment: str, message: str) -> None:
            self._set_entity_state(endpoint_id, version, name, deployment, message)

        return set_state

    def _set_entity_state(
        self, endpoint_id: str, version: int, name: str, deployment: str, message: str
    ) -> None:
        def change(endpoint: Endpoint) -> Endpoint | None:
            pending = endpoint.pending_config
            if pending is None or int(pending["config_version"]) != version:
                return None
            entities = [
                {**e, "state": {"deployment": deployment, "deployment_state_message": message}}
                if e["name"] == name
                else e
                for e in pending["served_entities"]
            ]
            return replace(endpoint, pending_config={**pending, "served_entities": entities})

        self.store.update_endpoint(endpoint_id, change)
        self._changed(endpoint_id)

    def _finish(self, endpoint_id: str, version: int, *, crashed: bool = False) -> bool:
        """Makes the pending config current when every entity is ready (returns True), or
        ends the update UPDATE_FAILED."""

        def change(endpoint: Endpoint) -> Endpoint | None:
            pending = endpoint.pending_config
            if pending is None or int(pending["config_version"]) != version:
                return None
            if endpoint.config_update != "IN_PROGRESS":
                return None
            entities = pending["served_entities"]
            if crashed:
                entities = [
                    e
                    if e["state"]["deployment"] in (READY, FAILED)
                    else {
                        **e,
                        "state": {
                            "deployment": FAILED,
                            "deployment_state_message": "The build stopped unexpectedly.",
                        },
                    }
                    for e in entities
                ]
            ok = all(e["state"]["deployment"] == READY for e in entities)
            at = now_ms()
            if ok:
                config = {k: v for k, v in pending.items() if k != "start_time"}
                return replace(
                    endpoint,
                    config=config,
                    pending_config=None,
                    config_update="NOT_UPDATING",
                    ready="READY",
                    updated_ms=at,
                )
            return replace(
                endpoint,
                pending_config={**pending, "served_entities": entities},
                config_update="UPDATE_FAILED",
                ready=endpoint_ready(endpoint.config),
                updated_ms=at,
            )

        after = self.store.update_endpoint(endpoint_id, change)
        self._changed(endpoint_id)
        return (
            after is not None
            and after.config_update == "NOT_UPDATING"
            and (after.config is not None and int(after.config["config_version"]) == version)
        )

    def _changed(self, endpoint_id: str) -> None:
        if self.on_change is not None:
            self.on_change(endpoint_id)
