"""One served entity's build: resolve the model in the local model store, validate its MLmodel,
check its requirements against this environment and load it in a fresh process
(`python -m serving_panel.local.builds.loader`), writing timestamped lines to the entity's
build log. `Lifecycle` runs one build per new or changed entity, each in its own thread, and
decides what their outcomes mean for the update.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from serving_panel.local.builds.pace import Step, no_pace
from serving_panel.local.logformat import format_log_line
from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.models.inspect import check_requirements, validate_mlmodel
from serving_panel.local.models.registry import ModelStore
from serving_panel.local.scenarios import Scenarios
from serving_panel.local.serving.environment import model_environment
from serving_panel.local.serving.processes import stop_group
from serving_panel.local.state.configs import CREATING, FAILED, READY
from serving_panel.local.state.logstore import LogStore

BUILT = "BUILT"  # a build that passed, before its model server starts (not an API state)
BUILT_MESSAGE = "Build finished; starting the model server."
STOPPING_MESSAGE = "the workspace is stopping; the build will run again on the next start"

_FORMATTED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) ")

#: Records the entity's deployment state and message in the pending config.
SetState = Callable[[str, str], None]


class Builder:
    """Builds served entities; each model load runs in its own process group.

    `stopping` is the workspace's: once set, a load in flight is not reported as failed (its
    update stays IN_PROGRESS and is built again on the next start).
    """

    def __init__(
        self,
        models: ModelStore,
        logs: LogStore,
        stopping: threading.Event,
        *,
        python: str,
        load_timeout_s: float,
        environment: dict[str, str],
        scenarios: Scenarios | None = None,
    ) -> None:
        self.models = models
        self.scenarios = scenarios if scenarios is not None else Scenarios()
        self.logs = logs
        self.python = python
        self.load_timeout_s = load_timeout_s
        self.environment = environment
        self._stopping = stopping
        self._lock = threading.Lock()
        self._processes: dict[str, set[subprocess.Popen[str]]] = {}
        self._deleted: set[str] = set()

    # Stopping loads -------------------------------------------------------------------------

    def forget(self, endpoint_id: str) -> None:
        """The endpoint was deleted: kill its loads in flight and write no more of its logs."""
        with self._lock:
            self._deleted.add(endpoint_id)
            processes = list(self._processes.get(endpoint_id, ()))
        for process in processes:
            stop_group(process, None, wait=False)

    def kill_all(self) -> None:
        """Kills every load in flight (the workspace is stopping)."""
        with self._lock:
            processes = [p for group in self._processes.values() for p in group]
        for process in processes:
            stop_group(process, None, wait=False)

    # Build logs -----------------------------------------------------------------------------

    def log(self, endpoint_id: str, entity: str, version: int, level: str, message: str) -> None:
        self._append(endpoint_id, entity, version, format_log_line(level, message))

    def _append(self, endpoint_id: str, entity: str, version: int, line: str) -> None:
        if endpoint_id not in self._deleted:
            self.logs.append(endpoint_id, entity, version, "build", line)

    # One served entity ----------------------------------------------------------------------

    def build(
        self,
        endpoint_id: str,
        endpoint_name: str,
        version: int,
        entity: Mapping[str, Any],
        set_state: SetState,
        *,
        deploys: bool,
        pace: Step = no_pace,
    ) -> None:
        """Builds the entity, recording its state through `set_state`: DEPLOYMENT_FAILED with
        the reason, or (when it passed) BUILT_MESSAGE for a model server to start next when
        `deploys`, else DEPLOYMENT_READY. Its steps begin no sooner than `pace` allows (the
        update's minimum time, `pace.py`): the start at 10 %, the requirements at 30 %, the
        model load at 50 %."""
        name = entity["name"]

        def say(level: str, message: str) -> None:
            self.log(endpoint_id, name, version, level, message)

        def paced(fraction: float) -> bool:
            """Waits for the step's turn; False when the workspace stopped meanwhile."""
            pace(fraction)
            if self._stopping.is_set():
                say("WARNING", STOPPING_MESSAGE)
                return False
            return True

        if not paced(0.1):
            return
        started = time.monotonic()

        def fail(message: str) -> None:
            say("ERROR", f"build failed: {message}")
            set_state(FAILED, message)

        say(
            "INFO",
            f"build started for served entity {name} of {endpoint_name} (config version {version})",
        )
        set_state(CREATING, "Building the served entity's environment.")
        if not self._play_scenarios(endpoint_name, name, say, set_state):
            return
        if "external_model" in entity:
            model = entity["external_model"]
            say("INFO", f"external model {model['provider']}/{model['name']}: nothing to build")
            say("INFO", "build finished: the endpoint forwards requests to the provider")
            set_state(READY, "")
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
        if not paced(0.3):
            return
        set_state(CREATING, "Checking the model's requirements.")
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
        if not paced(0.5):
            return
        set_state(CREATING, "Loading the model in a fresh process.")
        say("INFO", "loading the model in a fresh process")
        code, last_error = self._load(endpoint_id, name, version, model_dir, entity)
        if self._stopping.is_set():
            say("WARNING", STOPPING_MESSAGE)
            return
        if code != 0:
            fail(last_error or f"the model failed to load (exit code {code})")
            return
        say("INFO", f"build finished in {time.monotonic() - started:.2f} s")
        if deploys:
            set_state(CREATING, BUILT_MESSAGE)
        else:
            set_state(READY, "")

    def _play_scenarios(
        self,
        endpoint_name: str,
        entity_name: str,
        say: Callable[[str, str], None],
        set_state: SetState,
    ) -> bool:
        """The slow_build and failing_build scenarios (`local/scenarios.py`) matching this
        build; False when the build must end here (it failed, or the workspace is stopping)."""
        delay = self.scenarios.build_delay(endpoint_name, entity_name)
        if delay > 0:
            say("INFO", f"building the environment takes {delay:g} s more (slow_build scenario)")
            if self._stopping.wait(delay):
                say("WARNING", STOPPING_MESSAGE)
                return False
        message = self.scenarios.build_failure(endpoint_name, entity_name)
        if message is not None:
            for line in message.splitlines():
                say("ERROR", line)
            say("ERROR", "build failed (failing_build scenario)")
            set_state(FAILED, message)
            return False
        return True

    def _load(
        self,
        endpoint_id: str,
        entity_name: str,
        version: int,
        model_dir: Path,
        entity: Mapping[str, Any],
    ) -> tuple[int, str | None]:
        env = model_environment(self.environment, entity.get("environment_vars", {}))
        process = subprocess.Popen(
            [
                self.python,
                "-m",
                "serving_panel.local.builds.loader",
                str(model_dir),
                "--exit-with-stdin",
            ],
            stdin=subprocess.PIPE,  # its lifeline: the loader exits if this process goes
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )
        with self._lock:
            self._processes.setdefault(endpoint_id, set()).add(process)
        timed_out = threading.Event()

        def time_out() -> None:
            timed_out.set()
            stop_group(process, None, wait=False)

        started = time.monotonic()
        timer = threading.Timer(self.load_timeout_s, time_out)
        timer.daemon = True
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
            if process.stdin is not None:
                process.stdin.close()
            with self._lock:
                self._processes.get(endpoint_id, set()).discard(process)
        if timed_out.is_set() and not self._stopping.is_set():
            waited = time.monotonic() - started
            last_error = (
                f"timed out: the model did not load within the build timeout of "
                f"{self.load_timeout_s:g} s (waited {waited:.1f} s); its loader "
                f"(pid {process.pid}) was stopped"
            )
        return code, last_error
