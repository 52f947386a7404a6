"""Invocation latency and throughput: through the local workspace's router, straight to its
model server, and against MLflow's own scoring server (`mlflow models serve`) for the same
model, side by side in one run.

Each level runs N concurrent clients (requests.Session each) sending the same small
`dataframe_records` body a fixed number of times (bounded), in rounds that alternate the paths
so that the machine's changing load falls on each alike (ten by default: on a shared machine,
three left ratios moving by 0.15 between identical runs). Prints p50/p99 latency, throughput,
and the router's p50 and throughput as ratios to the direct call and to MLflow's server, then
whether the router meets its goal against the direct call (p50 at most 1.3x, throughput at
least 0.8x, at every level).

Beside them runs a bare forwarder on the router's own stack (`_forwarder.py`: uvicorn and the
router's upstream client, nothing else), with its own ratios to the direct call: what any
router on this stack costs at least, so the router's distance from its goal can be told apart
from the stack's.

Also the CPU time per query of the process that answers the client (the workspace's, for the
router; the model server's, for the direct call) and of the model server behind the router,
from the processes' own counters: unlike wall-clock ratios, these hardly move with the load
of a shared machine, so they show what the router itself costs.

    .venv/bin/python benchmarks/invocations.py [--requests 600] [--concurrency 1 4 16]
        [--rounds 3] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

from _common import percentile, table
from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.models.demo import write_demo_models
from serving_panel.local.secret import SECRET_HEADER

BODY = {"dataframe_records": [{"x": 1.0}, {"x": 2.0}]}
ROUTER = "local workspace (router)"
DIRECT = "model server directly"
FLOOR = "bare forwarder (same stack)"
P50_GOAL = 1.3  # router p50 at most this many times the direct call's (issue 11)
THROUGHPUT_GOAL = 0.8  # router throughput at least this share of the direct call's


def load(url: str, headers: dict[str, str], clients: int, total: int) -> tuple[list[float], float]:
    per_client = max(1, total // clients)
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    errors: list[str] = []

    def client() -> None:
        session = requests.Session()
        session.headers.update(headers)
        session.post(url, json=BODY, timeout=60)  # warm the connection
        mine = []
        barrier.wait()
        for _ in range(per_client):
            started = time.perf_counter()
            answer = session.post(url, json=BODY, timeout=60)
            mine.append(time.perf_counter() - started)
            if answer.status_code != 200:
                errors.append(answer.text[:200])
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return latencies, time.perf_counter() - started


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU time the processes have used so far (children not included)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_model_server(
    model_dir: Path, concurrency: int
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """A model server as the workspace's supervisor starts one (same command, an inherited
    socket, a secret on stdin), for the direct path: the workspace's own model servers answer
    only its router, so the benchmark runs a twin it holds the secret of."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = int(sock.getsockname()[1])
    secret = secrets.token_urlsafe(32)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serving_panel.local.worker",
            str(model_dir),
            "--fd",
            str(sock.fileno()),
            "--concurrency",
            str(concurrency),
            "--secret-from-stdin",
        ],
        pass_fds=(sock.fileno(),),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sock.close()
    assert process.stdin is not None
    process.stdin.write(secret.encode() + b"\n")
    process.stdin.flush()  # stdin stays open: the model server exits when it closes
    url = f"http://127.0.0.1:{port}"
    headers = {SECRET_HEADER: secret}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the model server exited with {process.returncode}")
        try:
            if requests.get(f"{url}/ping", headers=headers, timeout=1).status_code == 200:
                return process, url, headers
        except (requests.ConnectionError, requests.Timeout):
            pass  # still loading its model
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("the model server did not answer /ping within 120 s")


def start_forwarder(model_server_url: str, secret: str) -> tuple[subprocess.Popen[bytes], str]:
    """`_forwarder.py` in front of the direct path's model server (its secret on stdin)."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("_forwarder.py")),
            model_server_url.rsplit(":", 1)[1],
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(secret.encode() + b"\n")
    process.stdin.flush()  # stdin stays open: the forwarder exits when it closes
    port = int(process.stdout.readline() or b"0")
    if not port:
        raise SystemExit(f"the bare forwarder exited with {process.wait()}")
    return process, f"http://127.0.0.1:{port}"


def start_mlflow_server(
    model_dir: Path, workers: int
) -> tuple[subprocess.Popen[bytes] | None, str]:
    """`mlflow models serve` for the same model, or None and why it can't run here."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "serve",
            "-m",
            str(model_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--env-manager",
            "local",
            "-w",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # it runs `uvicorn` by name, so this interpreter's scripts must be on PATH
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    selector = selectors.DefaultSelector()
    assert process.stdout is not None
    selector.register(process.stdout, selectors.EVENT_READ)
    output = b""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None, f"mlflow models serve exited: {output.decode()[-300:]}"
        try:
            if requests.get(f"{url}/ping", timeout=1).status_code == 200:
                threading.Thread(target=process.stdout.read, daemon=True).start()  # drain
                return process, url
        except requests.ConnectionError:
            pass
        for key, _ in selector.select(timeout=0.2):
            output += os.read(key.fd, 65536)
    os.killpg(process.pid, signal.SIGKILL)
    return None, "mlflow models serve did not answer /ping within 60 s"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--rounds", type=int, default=10, help="alternations of the paths")
    parser.add_argument("--no-mlflow", dest="mlflow", action="store_false")
    args = parser.parse_args()
    models = write_demo_models(Path(tempfile.mkdtemp()) / "models")
    rows: list[list[object]] = []
    ratios: dict[int, tuple[float, float]] = {}
    floor_ratios: dict[int, tuple[float, float]] = {}
    with LocalWorkspace.start() as ws:
        ws.register_model("bench", models["regressor"])
        auth = {"Authorization": f"Bearer {ws.token}"}
        client = ws.client()
        entity = {
            "entity_name": "bench",
            "entity_version": "1",
            "workload_size": "Large",
            "scale_to_zero_enabled": False,
        }
        client.create("bench", [entity])
        client.wait("bench", until="ready")
        direct, direct_url, direct_headers = start_model_server(
            models["regressor"],
            concurrency=16,  # Large, as the endpoint's own
        )
        forwarder, forwarder_url = start_forwarder(direct_url, direct_headers[SECRET_HEADER])
        mlflow_server, mlflow_url = (
            start_mlflow_server(models["regressor"], workers=4)
            if args.mlflow
            else (None, "skipped (--no-mlflow)")
        )
        paths: dict[str, tuple[str, dict[str, str]]] = {
            ROUTER: (f"{ws.host}/serving-endpoints/bench/invocations", auth),
            DIRECT: (f"{direct_url}/invocations", direct_headers),
            FLOOR: (f"{forwarder_url}/invocations", {}),
        }
        # Per path: the process that answers the client, and the model server behind it.
        workspace_process = psutil.Process(ws.pid)
        direct_process = psutil.Process(direct.pid)
        fronts = {
            ROUTER: [workspace_process],
            DIRECT: [direct_process],
            FLOOR: [psutil.Process(forwarder.pid)],
        }
        # Rounds never overlap, so the direct path's model server counts for the forwarder's.
        behind = {
            ROUTER: workspace_process.children(recursive=True),
            DIRECT: [],
            FLOOR: [direct_process],
        }
        if mlflow_server is not None:
            paths["mlflow models serve (4 workers)"] = (f"{mlflow_url}/invocations", {})
            mlflow_process = psutil.Process(mlflow_server.pid)
            fronts["mlflow models serve (4 workers)"] = [
                mlflow_process,
                *mlflow_process.children(recursive=True),
            ]
            behind["mlflow models serve (4 workers)"] = []
        try:
            for url, headers in paths.values():  # every server warm (MLflow's 4 workers too)
                load(url, headers, 4, 200)
            for clients in args.concurrency:
                p50: dict[str, float] = {}
                rate: dict[str, float] = {}
                samples: dict[str, list[float]] = {label: [] for label in paths}
                walls = dict.fromkeys(paths, 0.0)
                cpu = dict.fromkeys(paths, 0.0)
                cpu_behind = dict.fromkeys(paths, 0.0)
                # Rounds alternate the paths, so drift in the machine's load (a shared machine,
                # a server still warming up) falls on all of them alike.
                for _ in range(args.rounds):
                    for label, (url, headers) in paths.items():
                        before = cpu_seconds(fronts[label]), cpu_seconds(behind[label])
                        latencies, wall = load(url, headers, clients, args.requests // args.rounds)
                        cpu[label] += cpu_seconds(fronts[label]) - before[0]
                        cpu_behind[label] += cpu_seconds(behind[label]) - before[1]
                        samples[label].extend(latencies)
                        walls[label] += wall
                for label in paths:
                    latencies, wall = samples[label], walls[label]
                    per_query = 1e6 / len(latencies)  # seconds in all → µs per query
                    p50[label] = percentile(latencies, 50)
                    rate[label] = len(latencies) / wall
                    rows.append(
                        [
                            clients,
                            label,
                            len(latencies),
                            p50[label] * 1000,
                            percentile(latencies, 99) * 1000,
                            rate[label],
                            round(cpu[label] * per_query),
                            round(cpu_behind[label] * per_query) if behind[label] else "",
                        ]
                    )
                pairs = [(ROUTER, other, f"router / {other.split(' (')[0]}") for other in paths]
                pairs = [*pairs[1:], (FLOOR, DIRECT, "bare forwarder / model server")]
                for top, bottom, label in pairs:
                    latency, throughput = p50[top] / p50[bottom], rate[top] / rate[bottom]
                    rows.append([clients, label, "ratio", latency, "", throughput, "", ""])
                ratios[clients] = (p50[ROUTER] / p50[DIRECT], rate[ROUTER] / rate[DIRECT])
                floor_ratios[clients] = (p50[FLOOR] / p50[DIRECT], rate[FLOOR] / rate[DIRECT])
        finally:
            os.killpg(forwarder.pid, signal.SIGTERM)
            forwarder.wait(timeout=20)
            os.killpg(direct.pid, signal.SIGTERM)
            direct.wait(timeout=20)
            if mlflow_server is not None:
                os.killpg(mlflow_server.pid, signal.SIGTERM)
                mlflow_server.wait(timeout=20)
    print(
        f"regressor, 2-row dataframe_records, {args.requests} requests per level; "
        "local model servers at concurrency 16 (Large)"
    )
    if mlflow_server is None:
        print(f"MLflow scoring server: not run ({mlflow_url})")
    print(
        table(
            ["clients", "path", "n", "p50 ms", "p99 ms", "req/s", "cpu µs/q", "model cpu µs/q"],
            rows,
        )
    )
    print(
        "cpu µs/q: CPU time per query of the process answering the client (the workspace's "
        "for the router; for MLflow, its whole process tree); model cpu µs/q: of the model "
        "server behind the router"
    )
    print()
    print("router vs the model server directly (goal: p50 at most 1.3x, throughput at least 0.8x)")
    for clients, (latency, throughput) in ratios.items():
        verdict = "meets" if latency <= P50_GOAL and throughput >= THROUGHPUT_GOAL else "misses"
        floor_latency, floor_throughput = floor_ratios[clients]
        print(
            f"  {clients:>3} clients: p50 {latency:.2f}x, throughput {throughput:.2f}x: "
            f"{verdict} the goal (a bare forwarder on the same stack: p50 {floor_latency:.2f}x, "
            f"throughput {floor_throughput:.2f}x)"
        )


if __name__ == "__main__":
    main()
