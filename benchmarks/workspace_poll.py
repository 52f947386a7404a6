"""GET latency of the local workspace under 1, 8 and 32 concurrent pollers.

Each poller GETs one endpoint in a loop (a fixed number of requests, so the run is bounded).
Two clients run against the same server in the same run, side by side:
- a plain `requests.Session` (the lower bound of any Python client), and
- databricks-sdk's `WorkspaceClient.serving_endpoints.get` (the peer).
Prints p50/p99 latency and throughput per client and concurrency, and the SDK/plain ratio.

    .venv/bin/python benchmarks/workspace_poll.py [--requests 400] [--concurrency 1 8 32]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import requests
from databricks.sdk import WorkspaceClient

from _common import percentile, table
from serving_panel.local.handle import LocalWorkspace

Poll = Callable[[], None]


def run(make_poll: Callable[[], Poll], pollers: int, total: int) -> tuple[list[float], float]:
    """Latencies (s) of `total` GETs spread over `pollers` threads, and the wall time."""
    per_thread = max(1, total // pollers)
    latencies: list[float] = []
    lock = threading.Lock()
    polls = [make_poll() for _ in range(pollers)]
    barrier = threading.Barrier(pollers + 1)

    def worker(poll: Poll) -> None:
        mine = []
        barrier.wait()
        for _ in range(per_thread):
            start = time.perf_counter()
            poll()
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(poll,)) for poll in polls]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="GETs per client and level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()

    with LocalWorkspace.start() as ws:
        headers = {"Authorization": f"Bearer {ws.token}"}
        requests.post(
            f"{ws.host}/api/2.0/serving-endpoints",
            json={"name": "polled", "description": "benchmark"},
            headers=headers,
            timeout=30,
        ).raise_for_status()
        url = f"{ws.host}/api/2.0/serving-endpoints/polled"

        def plain() -> Poll:
            session = requests.Session()
            session.headers.update(headers)

            def poll() -> None:
                session.get(url, timeout=30).raise_for_status()

            return poll

        def sdk() -> Poll:
            client = WorkspaceClient(host=ws.host, token=ws.token)

            def poll() -> None:
                client.serving_endpoints.get("polled")

            return poll

        clients: dict[str, Callable[[], Poll]] = {"requests.Session": plain, "databricks-sdk": sdk}
        rows = []
        for pollers in args.concurrency:
            results = {}
            for label, make in clients.items():
                run(make, pollers, max(pollers * 5, 50))  # warm up connections and caches
                latencies, wall = run(make, pollers, args.requests)
                results[label] = latencies
                rows.append(
                    [
                        pollers,
                        label,
                        len(latencies),
                        percentile(latencies, 50) * 1000,
                        percentile(latencies, 99) * 1000,
                        len(latencies) / wall,
                    ]
                )
            ratio = percentile(results["databricks-sdk"], 50) / percentile(
                results["requests.Session"], 50
            )
            rows.append([pollers, "sdk / plain (p50)", "", ratio, "", ""])
        print(f"local workspace GET latency ({ws.host}, one endpoint, {args.requests} GETs)")
        print(table(["pollers", "client", "n", "p50 ms", "p99 ms", "req/s"], rows))


if __name__ == "__main__":
    main()
