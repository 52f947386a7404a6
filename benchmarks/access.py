"""The access view's data for a fleet of endpoints: ServingClient against databricks-sdk.

All three run against the same local workspace in the same run, with no latency and with 50 ms
injected per request (the workspace's fault latency, a real workspace's round trip):
- serving-panel `access_df()`: one list, then every endpoint's permissions GET over the
  client's bounded pool, flattened to one row per endpoint and principal;
- databricks-sdk: `list()`, then `get_permissions(id)` for each endpoint in a loop;
- databricks-sdk the same, with the GETs over a 16-thread pool.
Each SDK variant ends with a DataFrame of one row per endpoint, principal and permission.

    .venv/bin/python benchmarks/access.py [--endpoints 500] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
from databricks.sdk import WorkspaceClient

from _common import table
from fleet import create_fleet, set_latency
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

SDK_THREADS = 16


def with_serving_panel(client: ServingClient) -> pd.DataFrame:
    return client.access_df()


def _sdk_rows(sdk: WorkspaceClient, endpoint_id: str) -> list[dict[str, Any]]:
    permissions = sdk.serving_endpoints.get_permissions(endpoint_id)
    rows = []
    for entry in permissions.access_control_list or []:
        principal = entry.user_name or entry.group_name or entry.service_principal_name
        for held in entry.all_permissions or []:
            rows.append(
                {
                    "endpoint_id": endpoint_id,
                    "principal": principal,
                    "level": held.permission_level.value if held.permission_level else None,
                    "inherited": held.inherited,
                    "source": ", ".join(held.inherited_from_object or []) or "direct",
                }
            )
    return rows


def with_sdk_loop(sdk: WorkspaceClient) -> pd.DataFrame:
    ids = [item.id or "" for item in sdk.serving_endpoints.list()]
    rows = [row for endpoint_id in ids for row in _sdk_rows(sdk, endpoint_id)]
    frame: pd.DataFrame = pd.DataFrame(rows)
    return frame


def with_sdk_pool(sdk: WorkspaceClient) -> pd.DataFrame:
    ids = [item.id or "" for item in sdk.serving_endpoints.list()]
    with ThreadPoolExecutor(max_workers=SDK_THREADS) as pool:
        per_endpoint = list(pool.map(lambda endpoint_id: _sdk_rows(sdk, endpoint_id), ids))
    frame: pd.DataFrame = pd.DataFrame([row for rows in per_endpoint for row in rows])
    return frame


def timed(label: str, fn: Callable[[Any], pd.DataFrame], arg: Any) -> tuple[str, float, int]:
    started = time.perf_counter()
    frame = fn(arg)
    seconds = time.perf_counter() - started
    return label, seconds, frame["endpoint_id"].nunique()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    with LocalWorkspace.start(enable_faults=True) as ws:
        create_fleet(ws.host, ws.token, args.endpoints)
        client = ServingClient(ws.host, ws.token)
        sdk = WorkspaceClient(host=ws.host, token=ws.token)
        rows: list[list[object]] = []
        for latency in (0, args.latency_ms):
            set_latency(ws.host, ws.token, latency)
            ours = timed("serving-panel access_df()", with_serving_panel, client)
            loop = timed("databricks-sdk list + get_permissions loop", with_sdk_loop, sdk)
            pool = timed(
                f"databricks-sdk list + get_permissions, {SDK_THREADS} threads", with_sdk_pool, sdk
            )
            for label, seconds, count in (ours, loop, pool):
                rows.append([f"{latency} ms", label, count, seconds, count / seconds])
            for peer in (loop, pool):
                rows.append(
                    [f"{latency} ms", f"ratio: {peer[0]} / ours", "", peer[1] / ours[1], ""]
                )
        print(f"{args.endpoints} endpoints, pool of {client.max_workers} workers")
        print(table(["latency", "client", "endpoints", "seconds", "endpoints/s"], rows))


if __name__ == "__main__":
    main()
