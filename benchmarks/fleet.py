"""Details of a fleet of endpoints as a DataFrame: ServingClient against databricks-sdk.

Both run against the same local workspace in the same run, twice:
- bare: the server is the bottleneck, so the aim is to be no slower than the SDK;
- with 50 ms injected per request (the workspace's fault latency), which is what a real
  workspace's round trip looks like: concurrency should make ServingClient ~10x faster.
ServingClient: `endpoints_df(detailed=True)` (one list, then GETs over a bounded pool).
SDK: `list()` then `get()` for each endpoint in a loop, then `pd.DataFrame` of the dicts.

    .venv/bin/python benchmarks/fleet.py [--endpoints 500] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import requests
from databricks.sdk import WorkspaceClient

from _common import table
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace


def create_fleet(host: str, token: str, count: int) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def create(index: int) -> None:
        session.post(
            f"{host}/api/2.0/serving-endpoints",
            json={
                "name": f"fleet-{index:04d}",
                "tags": [{"key": "team", "value": f"t{index % 7}"}],
            },
            timeout=60,
        ).raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(count)))


def with_serving_panel(client: ServingClient) -> pd.DataFrame:
    return client.endpoints_df(detailed=True)


def with_sdk(sdk: WorkspaceClient) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        sdk.serving_endpoints.get(item.name or "").as_dict()
        for item in sdk.serving_endpoints.list()
    ]
    frame: pd.DataFrame = pd.DataFrame(rows)
    return frame


def timed(label: str, fn: Any, *args: Any) -> tuple[str, float, int]:
    started = time.perf_counter()
    frame = fn(*args)
    return label, time.perf_counter() - started, len(frame)


def set_latency(host: str, token: str, latency_ms: int) -> None:
    requests.post(
        f"{host}/__local/faults",
        json={"latency_ms": latency_ms},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    with LocalWorkspace.start(enable_faults=True) as ws:
        create_fleet(ws.host, ws.token, args.endpoints)
        client = ServingClient(ws.host, ws.token)
        sdk = WorkspaceClient(host=ws.host, token=ws.token)
        rows = []
        for latency in (0, args.latency_ms):
            set_latency(ws.host, ws.token, latency)
            ours = timed("serving-panel endpoints_df(detailed=True)", with_serving_panel, client)
            peer = timed("databricks-sdk list + get loop", with_sdk, sdk)
            for label, seconds, count in (ours, peer):
                rows.append([f"{latency} ms", label, count, seconds, count / seconds])
            rows.append([f"{latency} ms", "speed-up (sdk time / ours)", "", peer[1] / ours[1], ""])
        print(f"{args.endpoints} endpoints, pool of {client.max_workers} workers")
        print(table(["latency", "client", "rows", "seconds", "endpoints/s"], rows))


if __name__ == "__main__":
    main()
