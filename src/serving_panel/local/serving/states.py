"""What a supervised model server is, stdlib only (as Supervisor's `supervisor/states.py`): its
key and how to run it, the states the supervisor moves it through (see `supervisor.py` for the
transitions), and the API deployment state each of those shows on its served entity.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

CONCURRENCY = {"Small": 4, "Medium": 8, "Large": 16}
#: Resident memory a model server may use, by workload size (MB); see `supervisor.py`.
MEMORY_LIMIT_MB = {"Small": 4096, "Medium": 8192, "Large": 16384}


@dataclass(frozen=True)
class WorkerKey:
    """One model server: an endpoint's served entity as built in one config version."""

    endpoint_id: str
    entity: str
    version: int

    def __str__(self) -> str:
        return f"{self.entity} (v{self.version}) of {self.endpoint_id[:8]}"


@dataclass(frozen=True)
class WorkerSpec:
    key: WorkerKey
    model_dir: Path
    workload_size: str = "Small"
    scale_to_zero: bool = False
    environment: Mapping[str, str] = field(default_factory=dict)
    #: The endpoint's name, for the scenarios that match names (`local/scenarios.py`).
    endpoint_name: str = ""

    @property
    def concurrency(self) -> int:
        return CONCURRENCY.get(self.workload_size, 4)

    @property
    def memory_limit_mb(self) -> int:
        return MEMORY_LIMIT_MB.get(self.workload_size, MEMORY_LIMIT_MB["Small"])


class State(Enum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    IDLE = "IDLE"
    BACKOFF = "BACKOFF"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    FATAL = "FATAL"


@dataclass
class Worker:
    spec: WorkerSpec
    state: State = State.STOPPED
    process: subprocess.Popen[bytes] | None = None
    port: int | None = None
    started_at: float = 0.0
    boot_failures: int = 0
    restarts: int = 0
    backoff_step: int = 0  # index into the backoff delays; back to 0 after a stable run
    retry_at: float = 0.0
    last_used: float = field(default_factory=time.monotonic)
    inflight: int = 0
    ready: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)
    ever_ready: bool = False
    #: Sent by the router on every request; the model server refuses requests without it.
    secret: str = ""
    #: When the current process became healthy (monotonic), for the backoff reset.
    running_since: float = 0.0
    #: Why the supervisor itself killed the current process (a memory limit, a flapping
    #: scenario), if it did: the entity's message, and the few words its exit is logged with.
    kill_reason: str | None = None
    kill_cause: str | None = None
    #: A cold_start scenario: the woken process is not called healthy before this (monotonic).
    ready_not_before: float = 0.0
    #: What went wrong last, shown as the entity's message while it recovers.
    problem: str | None = None
    rss_mb: float | None = None  # resident memory at the last sample
    sampled_at: float = 0.0
    #: CPU seconds of the current process tree at the last sample, for the next one's share.
    cpu_s: float | None = None


OnState = Callable[[WorkerKey, str, str], None]
#: A running worker's sample: (key, CPU % of the machine since the last sample or None on the
#: first, resident memory as % of its limit).
OnUsage = Callable[[WorkerKey, float | None, float], None]


def deployment_state(worker: Worker) -> tuple[str, str] | None:
    """The served entity's deployment state and message while its worker is in this state, or
    None for a state the entity does not show (stopping, stopped)."""
    state = worker.state
    if state == State.RUNNING:
        return "DEPLOYMENT_READY", ""
    if state == State.IDLE:
        return "DEPLOYMENT_READY", "Scaled to zero; the next request starts it."
    if state == State.FATAL:
        return (
            "DEPLOYMENT_FAILED",
            "The model server keeps exiting before it becomes healthy; see the server logs.",
        )
    if worker.ever_ready and state in (State.BACKOFF, State.STARTING):
        return (
            "DEPLOYMENT_RECOVERING",
            f"{worker.problem or 'The model server exited'} and is restarting; "
            "see the server logs.",
        )
    if state in (State.STARTING, State.BACKOFF):
        if worker.problem is not None:
            return "DEPLOYMENT_CREATING", f"{worker.problem}; starting it again."
        return "DEPLOYMENT_CREATING", "Starting the model server."
    return None
