"""Config updates, for real: build each new served entity, then switch configs or fail.

An update stores a pending config (IN_PROGRESS). For each served entity that is new or changed
the build resolves the model in the local model store, validates its MLmodel, checks its
requirements against this environment and loads it in a fresh process, writing timestamped
lines to the entity's build log. When every build succeeds the pending config becomes current;
when one fails the update ends UPDATE_FAILED, the failed entity says why, and the previous
config stays current. On start-up, updates left IN_PROGRESS by a crash are built again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from serving_panel.local.logformat import format_log_line
from serving_panel.local.logstore import LogStore
from serving_panel.local.models import (
    ModelStore,
    ModelStoreError,
    check_requirements,
    validate_mlmodel,
)
from serving_panel.local.store import Endpoint, Store, now_ms

if TYPE_CHECKING:
    from serving_panel.local.deployment import Deployment

log = logging.getLogger(__name__)

CREATING = "DEPLOYMENT_CREATING"
READY = "DEPLOYMENT_READY"
FAILED = "DEPLOYMENT_FAILED"
ABORTED = "DEPLOYMENT_ABORTED"
BUILT = "BUILT"  # a build that passed, before its model server starts (not an API state)
BUILT_MESSAGE = "Build finished; starting the model server."

_FORMATTED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) ")
_STATE_KEYS = ("state", "creator", "creation_timestamp")


def entity_definition(entity: Mapping[str, Any]) -> dict[str, Any]:
    """What the user asked for, without what the workspace adds (state, creator, internals)."""
    return {k: v for k, v in entity.items() if k not in _STATE_KEYS and not k.startswith("_")}


def pending_config(
    config: Mapping[str, Any],
    version: int,
    start_ms: int,
    creator: str,
    current: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The stored pending config: entities unchanged from the current config keep their state
    and build; the others start DEPLOYMENT_CREATING and are built in this version."""
    previous = {e["name"]: e for e in (current or {}).get("served_entities", [])}
    entities = []
    for entity in config["served_entities"]:
        before = previous.get(entity["name"])
        if before is not None and entity_definition(before) == entity_definition(entity):
            entities.append(dict(before))
            continue
        entities.append(
            {
                **entity,
                "creator": creator,
                "creation_timestamp": start_ms,
                "state": {
                    "deployment": CREATING,
                    "deployment_state_message": "Waiting for the build to start.",
                },
                "_built_in": version,
            }
        )
    pending = {
        "config_version": version,
        "start_time": start_ms,
        "served_entities": entities,
        "traffic_config": config["traffic_config"],
    }
    if "auto_capture_config" in config:
        pending["auto_capture_config"] = config["auto_capture_config"]
    return pending


def endpoint_ready(config: Mapping[str, Any] | None) -> str:
    if not config or not config.get("served_entities"):
        return "NOT_READY"
    states = {e["state"]["deployment"] for e in config["served_entities"]}
    return "READY" if states == {READY} else "NOT_READY"


class Lifecycle:
    """Runs builds in background threads; each model load runs in its own process group."""

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
    ) -> None:
        self.deployment = deployment
        self.deploy_timeout_s = deploy_timeout_s
        self.store = store
        self.models = models
        self.logs = logs
        self.python = python
        self.load_timeout_s = load_timeout_s
        self.environment = dict(environment or os.environ)
        self.on_change = on_change
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._processes: dict[str, set[subprocess.Popen[str]]] = {}
        self._deleted: set[str] = set()
        self._stopping = threading.Event()

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
                    self._log(
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

    def forget(self, endpoint_id: str) -> None:
        """The endpoint was deleted: stop its builds, its model servers, and drop its logs."""
        if self.deployment is not None:
            self.deployment.remove(endpoint_id)
        with self._lock:
            self._deleted.add(endpoint_id)
            processes = list(self._processes.get(endpoint_id, ()))
        for process in processes:
            _kill_group(process, signal.SIGKILL)
        self.logs.remove_endpoint(endpoint_id)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stops model loads in flight; their updates stay IN_PROGRESS for the next start."""
        self._stopping.set()
        with self._lock:
            processes = [p for group in self._processes.values() for p in group]
        for process in processes:
            _kill_group(process, signal.SIGKILL)
        self.wait_idle(timeout_s)

    # One update -----------------------------------------------------------------------------

    def _run(self, endpoint_id: str, version: int) -> None:
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
                    target=self._build_one,
                    args=(endpoint_id, endpoint.name, version, entity),
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
                self._deploy(endpoint_id, endpoint.name, version)
            else:
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

    def _deploy(self, endpoint_id: str, endpoint_name: str, version: int) -> None:
        """Starts the new entities' model servers; once all are healthy the pending config
        goes live, traffic switches to it, and the old config's servers drain and stop."""
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
        if self._finish(endpoint_id, version):
            self.deployment.activate(endpoint_id, pending)
            live = self.deployment.start(endpoint_id, pending, entities)
            self.deployment.retire(endpoint_id, keep=live)

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

    # One served entity ----------------------------------------------------------------------

    def _log(self, endpoint_id: str, entity: str, version: int, level: str, message: str) -> None:
        self._append(endpoint_id, entity, version, format_log_line(level, message))

    def _append(self, endpoint_id: str, entity: str, version: int, line: str) -> None:
        if endpoint_id not in self._deleted:
            self.logs.append(endpoint_id, entity, version, "build", line)

    def _build_one(
        self, endpoint_id: str, endpoint_name: str, version: int, entity: Mapping[str, Any]
    ) -> None:
        name = entity["name"]
        started = time.monotonic()

        def say(level: str, message: str) -> None:
            self._log(endpoint_id, name, version, level, message)

        def fail(message: str) -> None:
            say("ERROR", f"build failed: {message}")
            self._set_entity_state(endpoint_id, version, name, FAILED, message)

        say(
            "INFO",
            f"build started for served entity {name} of {endpoint_name} (config version {version})",
        )
        self._set_entity_state(
            endpoint_id, version, name, CREATING, "Building the served entity's environment."
        )
        if "external_model" in entity:
            model = entity["external_model"]
            say("INFO", f"external model {model['provider']}/{model['name']}: nothing to build")
            say("INFO", "build finished: the endpoint forwards requests to the provider")
            self._set_entity_state(endpoint_id, version, name, READY, "")
            return
        try:
            registered = self.models.resolve(entity["entity_name"], entity["entity_version"])
        except ModelStoreError as error:
            fail(str(error))
            return
        say(
            "INFO",
            f"resolved {registered.name} version {registered.version} in the local model store",
        )
        model_dir = registered.path
        try:
            info = validate_mlmodel(model_dir)
        except ModelStoreError as error:
            fail(str(error))
            return
        say(
            "INFO",
            f"MLmodel: python_function flavor, loader_module={info.loader_module}, "
            f"flavors={', '.join(info.flavors)}",
        )
        checks = check_requirements(model_dir)
        missing = [check for check in checks if not check.satisfied]
        for check in checks:
            found = check.installed or "not installed"
            verdict = "ok" if check.satisfied else "NOT SATISFIED"
            note = f" ({check.note})" if check.note else ""
            say(
                "INFO" if check.satisfied else "ERROR",
                f"requirement {check.requirement}: {found}, {verdict}{note}",
            )
        if missing:
            fail(
                "requirements not satisfied by this environment: "
                + ", ".join(check.requirement for check in missing)
            )
            return
        if not checks:
            say("INFO", "no requirements.txt: nothing to check")
        say("INFO", "loading the model in a fresh process")
        code, last_error = self._load(endpoint_id, name, version, model_dir, entity)
        if self._stopping.is_set():
            say("WARNING", "the workspace is stopping; the build will run again on the next start")
            return
        if code != 0:
            fail(last_error or f"the model failed to load (exit code {code})")
            return
        say("INFO", f"build finished in {time.monotonic() - started:.2f} s")
        if self.deployment is None:
            self._set_entity_state(endpoint_id, version, name, READY, "")
        else:
            self._set_entity_state(endpoint_id, version, name, CREATING, BUILT_MESSAGE)

    def _load(
        self,
        endpoint_id: str,
        entity_name: str,
        version: int,
        model_dir: Path,
        entity: Mapping[str, Any],
    ) -> tuple[int, str | None]:
        env = {**self.environment, **entity.get("environment_vars", {})}
        env["PYTHONUNBUFFERED"] = "1"
        process = subprocess.Popen(
            [self.python, "-m", "serving_panel.local.loader", str(model_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )
        with self._lock:
            self._processes.setdefault(endpoint_id, set()).add(process)
        timer = threading.Timer(self.load_timeout_s, _kill_group, args=(process, signal.SIGKILL))
        timer.start()
        last_error: str | None = None
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.rstrip("\n")
                if not line:
                    continue
                if not _FORMATTED.match(line):
                    line = format_log_line("INFO", line)
                self._append(endpoint_id, entity_name, version, line)
                if " ERROR model failed to load: " in line:
                    last_error = line.split(" ERROR ", 1)[1]
            code = process.wait()
        finally:
            timer.cancel()
            with self._lock:
                self._processes.get(endpoint_id, set()).discard(process)
        if code < 0 and not self._stopping.is_set():
            last_error = last_error or f"the model did not load within {self.load_timeout_s:.0f} s"
        return code, last_error


def _kill_group(process: subprocess.Popen[str], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
