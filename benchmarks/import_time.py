"""Import cost of serving-panel's entry points, beside databricks-sdk's, measured in one run.

Each case runs in a fresh interpreter that times its own import statement with
`time.perf_counter` and reports whether pandas came along. The figure is the median of several
runs. Prints a table; asserts nothing. Target (client issue): `import serving_panel` under
0.3 s, with pandas imported only when a DataFrame is asked for.

    .venv/bin/python benchmarks/import_time.py [--runs 7]

`python -X importtime -c "import serving_panel"` gives the per-module breakdown behind a figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CASES: list[tuple[str, str]] = [
    ("import serving_panel", "import serving_panel"),
    ("from serving_panel import ServingClient", "from serving_panel import ServingClient"),
    ("from serving_panel import EndpointPanel", "from serving_panel import EndpointPanel"),
    ("peer: import databricks.sdk", "import databricks.sdk"),
    (
        "peer: from databricks.sdk import WorkspaceClient",
        "from databricks.sdk import WorkspaceClient",
    ),
]

PROBE = """
import json, sys, time
start = time.perf_counter()
exec({statement!r})
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "pandas": "pandas" in sys.modules}}))
"""


def measure(statement: str) -> tuple[float, bool]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout)
    return float(result["seconds"]), bool(result["pandas"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for label, statement in CASES:
        samples = [measure(statement) for _ in range(args.runs)]
        median_ms = statistics.median(seconds for seconds, _ in samples) * 1000
        rows.append((label, median_ms, any(pandas for _, pandas in samples)))
    peer_ms = rows[3][1]
    print(f"{'case':50} {'median ms':>10} {'/ sdk':>6}  pandas loaded")
    for label, ms, pandas in rows:
        print(f"{label:50} {ms:10.1f} {ms / peer_ms:6.2f}  {'yes' if pandas else 'no'}")


if __name__ == "__main__":
    main()
