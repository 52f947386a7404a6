"""One local workspace: its data directory, wired to the store, model store, logs and builds.

The data directory holds `workspace.db` (SQLite), `models/`, `logs/`, `workspace.json` (the
workspace id) and `admin-token`, so a stop and a start of the same directory keep everything,
tokens included. It is 0700 and what the workspace keeps there 0600 (`state/private.py`).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from serving_panel.local import identities
from serving_panel.local.builds.lifecycle import Lifecycle
from serving_panel.local.builds.pace import DEFAULT_MIN_UPDATE_S
from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.models.registry import ModelStore
from serving_panel.local.scenarios import Scenarios
from serving_panel.local.serving.deployment import Deployment
from serving_panel.local.serving.metrics import ServingMetrics
from serving_panel.local.serving.router import REQUEST_TIMEOUT_S, Router
from serving_panel.local.serving.states import WorkerKey
from serving_panel.local.serving.supervisor import STABLE_S, Supervisor
from serving_panel.local.state.logstore import LogStore
from serving_panel.local.state.private import make_private
from serving_panel.local.state.store import Store

#: How long a scale-to-zero model server may sit idle before it stops (seconds).
IDLE_ENV = "SERVING_PANEL_SCALE_TO_ZERO_IDLE_S"
DEFAULT_IDLE_S = 300.0
#: How long a query may take, queueing and model included, before it is answered 504 (seconds).
REQUEST_TIMEOUT_ENV = "SERVING_PANEL_REQUEST_TIMEOUT_S"

#: A model server healthy this long before it crashes restarts after 1 s again (seconds).
BACKOFF_RESET_ENV = "SERVING_PANEL_BACKOFF_RESET_S"
#: One memory limit for every model server (MB), instead of the one of its workload size.
MEMORY_LIMIT_ENV = "SERVING_PANEL_MEMORY_LIMIT_MB"

#: How long an update stays IN_PROGRESS at least, its steps spread over it (seconds; 0: no wait).
MIN_UPDATE_ENV = "SERVING_PANEL_MIN_UPDATE_S"

#: How long a build waits for its model to load before it fails (seconds).
BUILD_TIMEOUT_ENV = "SERVING_PANEL_BUILD_TIMEOUT_S"
DEFAULT_BUILD_TIMEOUT_S = 300.0

ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105 - a file name, not a secret
DATABASE_FILE = "workspace.db"


def open_store(data_dir: Path) -> Store:
    return Store(data_dir / DATABASE_FILE)


def admin_token(data_dir: Path, store: Store) -> str:
    """The admin's token kept in the data directory, created on first use."""
    admin = identities.ensure_admin(store)
    path = data_dir / ADMIN_TOKEN_FILE
    if path.is_file():
        token = path.read_text().strip()
        if store.principal_for_token(token) is not None:
            return token
    token = store.create_token(admin, "admin token written at first start")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


class Workspace:
    def __init__(
        self,
        data_dir: Path,
        *,
        enable_faults: bool = False,
        min_update_s: float | None = None,
    ) -> None:
        """`min_update_s`: how long an update stays IN_PROGRESS at least (`builds/pace.py`);
        None reads `SERVING_PANEL_MIN_UPDATE_S`, else 2 s."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.enable_faults = enable_faults
        self.store = open_store(data_dir)
        self.models = ModelStore(data_dir / "models")
        self.logs = LogStore(data_dir / "logs")
        self.metrics = ServingMetrics()
        #: Set through /__local/faults when faults are enabled; empty otherwise.
        self.scenarios = Scenarios()
        self.deployment: Deployment | None = None
        self.supervisor = Supervisor(
            self.logs,
            on_state=self._on_worker_state,
            on_usage=self._on_worker_usage,
            idle_s=_seconds(IDLE_ENV, DEFAULT_IDLE_S),
            stable_s=_seconds(BACKOFF_RESET_ENV, STABLE_S),
            memory_limit_mb=_number(MEMORY_LIMIT_ENV, None),
            scenarios=self.scenarios,
        )
        self.router = Router(
            self.supervisor,
            request_timeout_s=float(os.environ.get(REQUEST_TIMEOUT_ENV, REQUEST_TIMEOUT_S)),
        )
        self.deployment = Deployment(
            self.store, self.models, self.supervisor, self.router, self.metrics
        )
        self.lifecycle = Lifecycle(
            self.store,
            self.models,
            self.logs,
            deployment=self.deployment,
            load_timeout_s=_seconds(BUILD_TIMEOUT_ENV, DEFAULT_BUILD_TIMEOUT_S),
            min_update_s=(
                check_seconds("min_update_s", min_update_s)
                if min_update_s is not None
                else _seconds(MIN_UPDATE_ENV, DEFAULT_MIN_UPDATE_S)
            ),
            scenarios=self.scenarios,
        )
        self.workspace_id = self._workspace_id()
        self.admin_token = admin_token(data_dir, self.store)
        make_private(data_dir)

    def _workspace_id(self) -> str:
        path = self.data_dir / "workspace.json"
        if path.is_file():
            return str(json.loads(path.read_text())["workspace_id"])
        workspace_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        path.write_text(json.dumps({"workspace_id": workspace_id}))
        return workspace_id

    def _on_worker_usage(self, key: WorkerKey, cpu_percent: float | None, mem: float) -> None:
        self.metrics.usage(key.endpoint_id, key.entity, cpu_percent, mem)

    def _on_worker_state(self, key: WorkerKey, deployment: str, message: str) -> None:
        if self.deployment is not None:
            self.deployment.on_worker_state(key, deployment, message)

    def start(self) -> list[str]:
        """Brings back the model servers of live configs and resumes updates a previous run
        left IN_PROGRESS; returns the names of those endpoints."""
        assert self.deployment is not None
        self.deployment.restore()
        return self.lifecycle.reconcile()

    def close(self) -> None:
        self.lifecycle.shutdown()
        self.supervisor.shutdown()
        self.router.close()
        self.store.close()

    def model_problem(self, name: str, version: str) -> tuple[str, str] | None:
        """Why a served entity's model can't be served, or None when it is registered: which
        input is wrong ("name" for a bad or unknown model name, else "version") and why."""
        try:
            known = self.models.versions(name)
        except ModelStoreError as error:
            return "name", str(error)
        try:
            self.models.resolve(name, version)
        except ModelStoreError as error:
            return ("version" if known else "name"), str(error)
        return None


def check_seconds(name: str, value: float) -> float:
    """A duration given in code or on the command line: a finite number of at least 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a finite number of at least 0, got {value!r}")
    return float(value)


def _seconds(name: str, default: float) -> float:
    """A duration setting from the environment; a bad value is an error at start, by name."""
    value = _number(name, default)
    assert value is not None
    return value


def _number(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a finite number of at least 0, got {raw!r}")
    return value
