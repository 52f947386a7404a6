"""Model server processes, supervised: one per served entity of a serving config.

Each worker is `python -m serving_panel.local.worker` on a socket this supervisor binds (so its
port is known before it starts), in its own process group, with its stdin held open (it exits
when that closes, so a crashed supervisor leaves no orphans, `local/lifeline.py`). Its stdout
and stderr become the entity's server log; a line longer than the log store's limit is cut.

Only the workspace may talk to a worker: each start gets a fresh secret, handed to the worker
on its stdin (never on the command line, which anyone on the machine can read), that the router
sends as the `SECRET_HEADER` header (`contact(key)`); the worker refuses requests
without it. The worker starts with a clean environment (`environment.py`) plus the entity's own
`environment_vars`.

Each worker's resident memory (its process tree's RSS) and CPU time are sampled every
`MEMORY_SAMPLE_S` and reported through `on_usage` (for the endpoint's metrics); past its limit
(`WorkerSpec.memory_limit_mb` by workload size, or `memory_limit_mb` for every size) it is killed,
the server log says so, and it restarts like a crashed one, the entity showing the reason in its
RECOVERING message.

States, as in Supervisor (the process manager):

    STARTING --healthy--> RUNNING --idle (scale to zero)--> IDLE --request--> STARTING
        |                    |
        +------exited--------+--> BACKOFF --delay--> STARTING      (delay grows 1, 2, 4 ... 30 s)
        +--boot failures in a row >= FATAL_AFTER--> FATAL
    any --stop()--> STOPPING --exited--> STOPPED

The backoff delay starts again from 1 s when the worker that exited had been healthy for at
least `stable_s` (as Supervisor's `startsecs` decides a start succeeded): a crash hours after the
last one is a new incident, not the sixth in a row.

A tick thread drives every transition; callers never block on a process except in `wait_ready`.
State changes are reported through `on_state(key, deployment, message)` with the deployment
states of the API (DEPLOYMENT_CREATING, _READY, _RECOVERING, _FAILED; `states.py` says which
shows for which state); this module knows nothing of the store or HTTP routes.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO

import psutil

from serving_panel.local.logformat import format_log_line
from serving_panel.local.scenarios import Scenarios
from serving_panel.local.secret import SECRET_HEADER
from serving_panel.local.serving.environment import model_environment
from serving_panel.local.serving.logpump import LogPump
from serving_panel.local.serving.processes import stop_group
from serving_panel.local.serving.states import (
    OnState,
    OnUsage,
    State,
    Worker,
    WorkerKey,
    WorkerSpec,
    deployment_state,
)
from serving_panel.local.state.logstore import MAX_LINE_BYTES, LogStore

log = logging.getLogger(__name__)

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
FATAL_AFTER = 5  # boot failures in a row (exit before becoming healthy) before giving up
START_TIMEOUT_S = 300.0
STOP_GRACE_S = 10.0
#: A worker healthy for this long before it exits starts its backoff over (seconds).
STABLE_S = 60.0
#: How often each worker's resident memory is sampled (seconds): finding a process's children
#: reads every process's status, so not on every tick.
MEMORY_SAMPLE_S = 0.5
_CPUS = psutil.cpu_count() or 1  # CPU use is reported as a share of the whole machine
_FORMATTED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) ")


class Supervisor:
    def __init__(
        self,
        logs: LogStore,
        *,
        on_state: OnState | None = None,
        on_usage: OnUsage | None = None,
        python: str = sys.executable,
        environment: Mapping[str, str] | None = None,
        idle_s: float = 300.0,
        tick_s: float = 0.1,
        stable_s: float = STABLE_S,
        memory_limit_mb: float | None = None,
        scenarios: Scenarios | None = None,
    ) -> None:
        self.logs = logs
        self.scenarios = scenarios if scenarios is not None else Scenarios()
        self.on_state = on_state
        self.on_usage = on_usage
        self.python = python
        self.environment = dict(environment if environment is not None else os.environ)
        self.idle_s = idle_s
        self.tick_s = tick_s
        self.stable_s = stable_s
        self.memory_limit_mb = memory_limit_mb
        self._workers: dict[WorkerKey, Worker] = {}
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-supervisor", daemon=True)
        self._thread.start()

    # Public --------------------------------------------------------------------------------

    def start(self, spec: WorkerSpec, *, recovering: bool = False) -> Worker:
        """Starts (or keeps) the worker for `spec.key`; returns at once. `recovering` marks a
        worker that served before (a workspace restart): it reports RECOVERING, not CREATING."""
        with self._lock:
            worker = self._workers.get(spec.key)
            if worker is not None and worker.state not in (State.STOPPED, State.STOPPING):
                return worker
            worker = Worker(spec, ever_ready=recovering)
            self._workers[spec.key] = worker
            self._spawn(worker)
            return worker

    def get(self, key: WorkerKey) -> Worker | None:
        with self._lock:
            return self._workers.get(key)

    def worker_keys(self) -> list[WorkerKey]:
        with self._lock:
            return list(self._workers)

    def wait_ready(self, key: WorkerKey, timeout_s: float) -> bool:
        """Waits until the worker is healthy; wakes a scaled-to-zero worker first. False when it
        failed for good, was stopped, or the timeout passed."""
        deadline = time.monotonic() + timeout_s
        worker = self.wake(key)
        if worker is None:
            return False
        with worker.changed:
            while not worker.ready.is_set():
                if worker.state in (State.FATAL, State.STOPPED, State.STOPPING):
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                worker.changed.wait(remaining)
        return True

    def wake(self, key: WorkerKey) -> Worker | None:
        """The worker, started again if it was scaled to zero; returns at once (None if there
        is no such worker). Its `ready` event is set once it is healthy."""
        with self._lock:
            worker = self._workers.get(key)
            if worker is not None and worker.state == State.IDLE:
                self._log(worker, "INFO", "request arrived while scaled to zero: starting")
                self._spawn(worker)
                delay = self.scenarios.cold_start_delay(worker.spec.endpoint_name, key.entity)
                if delay > 0:
                    said = f"the start takes {delay:g} s more (cold_start scenario)"
                    self._log(worker, "INFO", said)
                    worker.ready_not_before = worker.started_at + delay
            return worker

    def contact(self, key: WorkerKey) -> tuple[tuple[str, int], dict[str, str]] | None:
        """Where the worker's model server listens and the headers that let a request through
        (its secret), read together: a restart between two reads would pair a new port with an
        old secret. None while it is not running."""
        with self._lock:
            worker = self._workers.get(key)
            if worker is None or worker.state != State.RUNNING or worker.port is None:
                return None
            headers = {SECRET_HEADER: worker.secret} if worker.secret else {}
            return ("127.0.0.1", worker.port), headers

    def begin_request(self, key: WorkerKey) -> None:
        with self._lock:
            worker = self._workers.get(key)
            if worker is not None:
                worker.inflight += 1
                worker.last_used = time.monotonic()

    def end_request(self, key: WorkerKey) -> None:
        with self._lock:
            worker = self._workers.get(key)
            if worker is not None:
                worker.inflight = max(0, worker.inflight - 1)
                worker.last_used = time.monotonic()
                if worker.inflight == 0:  # what a drain (`stop`) waits for
                    with worker.changed:
                        worker.changed.notify_all()

    def stop(self, key: WorkerKey, *, drain_s: float = STOP_GRACE_S) -> None:
        """Stops a worker: waits for in-flight requests (up to `drain_s`), then SIGTERM, then
        SIGKILL to its process group. Blocks until it has exited."""
        with self._lock:
            worker = self._workers.get(key)
        if worker is None:
            return
        deadline = time.monotonic() + drain_s
        with worker.changed:
            while worker.inflight > 0 and time.monotonic() < deadline:
                worker.changed.wait(deadline - time.monotonic())
        with self._lock:
            worker.state = State.STOPPING
            worker.ready.clear()
            process = worker.process
        if process is not None:
            _terminate(process, STOP_GRACE_S)
        with self._lock:
            worker.state = State.STOPPED
            self._workers.pop(key, None)
        with worker.changed:
            worker.changed.notify_all()

    def stop_endpoint(self, endpoint_id: str) -> None:
        for key in [k for k in self.worker_keys() if k.endpoint_id == endpoint_id]:
            self.stop(key, drain_s=0)

    def describe(self) -> list[dict[str, object]]:
        """Every worker's state, for the control API and for debugging."""
        with self._lock:
            return [
                {
                    "endpoint_id": key.endpoint_id,
                    "served_entity_name": key.entity,
                    "config_version": key.version,
                    "state": worker.state.value,
                    "pid": worker.process.pid
                    if worker.process is not None and worker.process.poll() is None
                    else None,
                    "port": worker.port,
                    "restarts": worker.restarts,
                    "concurrency": worker.spec.concurrency,
                    "memory_limit_mb": self._memory_limit_mb(worker),
                    "rss_mb": worker.rss_mb,
                    "inflight": worker.inflight,
                }
                for key, worker in self._workers.items()
            ]

    def pids(self) -> list[int]:
        with self._lock:
            return [
                w.process.pid
                for w in self._workers.values()
                if w.process is not None and w.process.poll() is None
            ]

    def shutdown(self) -> None:
        self._closed.set()
        for key in self.worker_keys():
            self.stop(key, drain_s=0)
        self._thread.join(timeout=10)

    # Transitions ---------------------------------------------------------------------------

    def _spawn(self, worker: Worker) -> None:
        """STARTING: a fresh process on a freshly bound socket."""
        spec = worker.spec
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = int(sock.getsockname()[1])
        fd = sock.fileno()
        env = model_environment(self.environment, spec.environment)
        secret = secrets.token_urlsafe(32)
        try:
            process = subprocess.Popen(
                [
                    self.python,
                    "-m",
                    "serving_panel.local.worker",
                    str(spec.model_dir),
                    "--fd",
                    str(fd),
                    "--concurrency",
                    str(spec.concurrency),
                    "--name",
                    spec.key.entity,
                    "--secret-from-stdin",
                ],
                pass_fds=(fd,),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        finally:
            sock.close()  # the child holds its own copy
        if process.stdin is not None:
            with contextlib.suppress(OSError):  # it died at once: the tick sees the exit
                process.stdin.write(secret.encode() + b"\n")
                process.stdin.flush()
        worker.secret = secret
        worker.kill_reason = None
        worker.kill_cause = None
        worker.ready_not_before = 0.0
        worker.rss_mb = None
        worker.cpu_s = None
        worker.process = process
        worker.port = port
        worker.state = State.STARTING
        worker.started_at = time.monotonic()
        worker.ready.clear()
        for stream, level in ((process.stdout, "INFO"), (process.stderr, "WARNING")):
            threading.Thread(
                target=self._pump, args=(worker, stream, level), daemon=True, name="worker-log"
            ).start()
        self._report(worker)

    def _loop(self) -> None:
        while not self._closed.wait(self.tick_s):
            try:
                self._tick(time.monotonic())
            except Exception:
                log.exception("supervisor tick failed")

    def _tick(self, now: float) -> None:
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            with self._lock:
                state = worker.state
                process = worker.process
            if state in (State.STOPPING, State.STOPPED, State.FATAL):
                continue
            if state == State.BACKOFF:
                if now >= worker.retry_at:
                    with self._lock:
                        self._spawn(worker)
                continue
            if state == State.IDLE:
                continue
            assert process is not None
            code = process.poll()
            if code is not None:
                self._exited(worker, code, now)
                continue
            if self._sample_and_enforce_memory(worker, process):
                continue
            if state == State.STARTING:
                if now < worker.ready_not_before:
                    continue  # a cold_start scenario: not healthy yet, whatever /ping says
                if self._healthy(worker):
                    with self._lock:
                        worker.state = State.RUNNING
                        worker.boot_failures = 0
                        worker.ever_ready = True
                        worker.last_used = now
                        worker.running_since = now
                    self._report(worker)  # the store first, then whoever waits
                    with worker.changed:
                        worker.ready.set()
                        worker.changed.notify_all()
                elif now - worker.started_at > START_TIMEOUT_S:
                    self._log(
                        worker, "ERROR", f"not healthy after {START_TIMEOUT_S:.0f} s: restarting"
                    )
                    _terminate(process, 1.0)
            elif state == State.RUNNING and self._flap_due(worker, now):
                self._flap(worker, process)
            elif state == State.RUNNING and self._idle(worker, now):
                self._log(worker, "INFO", f"idle for {self.idle_s:g} s: scaling to zero")
                with self._lock:
                    worker.state = State.IDLE
                    worker.ready.clear()
                self._report(worker)  # before the process goes, so the API never lags behind
                _terminate(process, STOP_GRACE_S)

    def _idle(self, worker: Worker, now: float) -> bool:
        return (
            worker.spec.scale_to_zero
            and worker.inflight == 0
            and now - worker.last_used >= self.idle_s
        )

    def _flap_due(self, worker: Worker, now: float) -> bool:
        every_s = self.scenarios.flap_after(worker.spec.endpoint_name, worker.spec.key.entity)
        return every_s is not None and now - worker.running_since >= every_s

    def _flap(self, worker: Worker, process: subprocess.Popen[bytes]) -> None:
        """The flapping scenario: stops the model server as a crash would; the next tick sees
        the exit, and it recovers the way a crashed one does (backoff, restart)."""
        reason = self.scenarios.flapped(worker.spec.endpoint_name, worker.spec.key.entity)
        if reason is None:
            return
        worker.kill_reason = reason
        worker.kill_cause = "stopped by the flapping scenario"
        self._log(worker, "WARNING", f"{reason}: stopping it")
        stop_group(process, None, wait=False)

    def _memory_limit_mb(self, worker: Worker) -> float:
        return (
            self.memory_limit_mb
            if self.memory_limit_mb is not None
            else float(worker.spec.memory_limit_mb)
        )

    def _sample_and_enforce_memory(self, worker: Worker, process: subprocess.Popen[bytes]) -> bool:
        """Samples the worker's resident memory and CPU time (its process and whatever it
        started) and reports them; past the memory limit, kills it (the next tick sees the
        exit and restarts it). True when it did."""
        now = time.monotonic()
        if now - worker.sampled_at < MEMORY_SAMPLE_S:
            return False
        previous_at, worker.sampled_at = worker.sampled_at, now
        usage = _tree_usage(process.pid)
        if usage is None:
            return False
        rss, cpu_s = usage
        worker.rss_mb = round(rss / 2**20, 1)
        limit = self._memory_limit_mb(worker)
        cpu_percent = None
        if worker.cpu_s is not None and now > previous_at:
            share = max(0.0, cpu_s - worker.cpu_s) / (now - previous_at) / _CPUS
            cpu_percent = min(100.0, share * 100)
        worker.cpu_s = cpu_s
        self._usage(worker, cpu_percent, rss / 2**20 / limit * 100)
        if worker.rss_mb <= limit or worker.kill_reason is not None:
            return False
        worker.kill_reason = (
            f"The model server exceeded its memory limit of {limit:g} MB "
            f"(workload size {worker.spec.workload_size})"
        )
        worker.kill_cause = "memory limit exceeded"
        self._log(
            worker,
            "ERROR",
            f"memory limit exceeded: resident memory {worker.rss_mb:g} MB is over the limit of "
            f"{limit:g} MB for workload size {worker.spec.workload_size}; killing the model server",
        )
        stop_group(process, None, wait=False)
        return True

    def _exited(self, worker: Worker, code: int, now: float) -> None:
        """A worker we did not stop has exited: back off and restart, or give up."""
        booted = worker.state == State.RUNNING
        reason = f"signal {-code}" if code < 0 else f"exit code {code}"
        if worker.kill_cause is not None:
            reason = f"{worker.kill_cause}, {reason}"
        with self._lock:
            worker.ready.clear()
            worker.problem = worker.kill_reason
            if booted and worker.backoff_step and now - worker.running_since >= self.stable_s:
                self._log(
                    worker,
                    "INFO",
                    f"it had been healthy for {now - worker.running_since:.0f} s "
                    f"(at least {self.stable_s:g} s): the restart delay starts over",
                )
                worker.backoff_step = 0
            if not booted:
                worker.boot_failures += 1
            if worker.boot_failures >= FATAL_AFTER:
                worker.state = State.FATAL
                self._log(
                    worker,
                    "ERROR",
                    f"model server exited ({reason}) {FATAL_AFTER} times before becoming "
                    "healthy: giving up",
                )
            else:
                delay = BACKOFF_S[min(worker.backoff_step, len(BACKOFF_S) - 1)]
                worker.backoff_step += 1
                worker.restarts += 1
                worker.retry_at = now + delay
                worker.state = State.BACKOFF
                self._log(
                    worker,
                    "ERROR",
                    f"model server exited unexpectedly ({reason}); restarting in {delay:g} s",
                )
        self._report(worker)
        with worker.changed:
            worker.changed.notify_all()

    def _healthy(self, worker: Worker) -> bool:
        if worker.port is None:
            return False
        connection = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=0.5)
        try:
            connection.request("GET", "/ping", headers={SECRET_HEADER: worker.secret})
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def _report(self, worker: Worker) -> None:
        with worker.changed:
            worker.changed.notify_all()
        if self.on_state is None:
            return
        shown = deployment_state(worker)
        if shown is None:
            return
        deployment, message = shown
        try:
            self.on_state(worker.spec.key, deployment, message)
        except Exception:
            log.exception("on_state callback failed for %s", worker.spec.key)

    def _usage(self, worker: Worker, cpu_percent: float | None, mem_percent: float) -> None:
        if self.on_usage is None:
            return
        try:
            self.on_usage(worker.spec.key, cpu_percent, mem_percent)
        except Exception:
            log.exception("on_usage callback failed for %s", worker.spec.key)

    # Logs ----------------------------------------------------------------------------------

    def _log(self, worker: Worker, level: str, message: str) -> None:
        """A line of the supervisor's own, after whatever the model server printed first."""
        key = worker.spec.key
        self.logs.drain(key.endpoint_id, key.entity, key.version, "server")
        self.logs.append(
            key.endpoint_id, key.entity, key.version, "server", format_log_line(level, message)
        )

    def _pump(self, worker: Worker, stream: IO[bytes] | None, level: str) -> None:
        """A thread's body: the stream's lines into the server log until the stream ends."""
        if stream is None:
            return
        key = worker.spec.key

        def store(batch: list[bytes]) -> None:
            lines = []
            for raw in batch:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                if line:
                    lines.append(line if _FORMATTED.match(line) else format_log_line(level, line))
            if lines:
                self.logs.append_lines(key.endpoint_id, key.entity, key.version, "server", lines)

        with contextlib.suppress(ValueError, OSError):
            pump = LogPump(stream, store, limit=MAX_LINE_BYTES)
            unwatch = self.logs.watch(
                key.endpoint_id, key.entity, key.version, "server", pump.drain
            )
            try:
                pump.run()
            finally:
                unwatch()


def _tree_usage(pid: int) -> tuple[int, float] | None:
    """Resident memory (bytes) and CPU time so far (seconds, user + system, its reaped children
    included) of a process and its descendants, or None once it is gone."""
    try:
        root = psutil.Process(pid)
        with root.oneshot():
            rss = root.memory_info().rss
            times = root.cpu_times()
        cpu = times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True):
            with contextlib.suppress(psutil.Error), child.oneshot():
                rss += child.memory_info().rss
                child_times = child.cpu_times()
                cpu += child_times.user + child_times.system
        return int(rss), float(cpu)
    except psutil.Error:
        return None


def _terminate(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """Stops the worker's process group, then closes its stdin (closing it first would make the
    worker exit at once, dropping requests in flight)."""
    stop_group(process, grace_s)
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
