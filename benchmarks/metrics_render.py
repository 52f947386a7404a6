"""The Metrics tab's cost: an hour of samples for five served entities (360 reads at the default
10 s), built by the real Python side (`PanelMetrics` over a stand-in client), answered to the
real bundle in Chromium; then the tab's first paint, a hover's repaint, and the bundle size.

Python: the time to answer a view that opens with the whole hour (`metrics.sample` with
`after: null`), and that answer's JSON size. Browser: the built bundle in a plain page whose
in-page model answers `metrics.sample` with that JSON (no kernel round trip, so the figures are
the widget's own), from the click on the Metrics tab to the frame after its ten charts are
drawn. Targets (issue 13): bundle < 60 KB gzipped. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/metrics_render.py [--runs 5] [--screenshot out.png]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import math
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from _common import table
from serving_panel.metrics import EntityMetrics, Histogram
from serving_panel.panel.metrics import PanelMetrics

STATIC = Path(__file__).resolve().parents[1] / "src" / "serving_panel" / "static"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ENTITIES = [f"model-{i}" for i in range(1, 6)]
READS = 360  # an hour at 10 s
BOUNDS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, math.inf)

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="widget.css"></head>
<body data-jp-theme-light="__LIGHT__" style="background: __BG__">
<div class="serving-panel" id="host" style="width: 1100px"></div>
<script type="module">
import widget from "./widget.js";
const SAMPLES = await (await fetch("samples.json")).json();
class Model {
  constructor(state) { this.state = state; this.handlers = new Map(); }
  get(key) { return this.state[key]; }
  set(key, value) { this.state[key] = value; this.emit(`change:${key}`); }
  save_changes() {}
  on(name, fn) { if (!this.handlers.has(name)) this.handlers.set(name, new Set());
                 this.handlers.get(name).add(fn); }
  off(name, fn) { if (!name) { this.handlers.clear(); return; }
                  fn ? this.handlers.get(name)?.delete(fn) : this.handlers.delete(name); }
  emit(name, ...args) { for (const fn of [...(this.handlers.get(name) ?? [])]) fn(...args); }
  send(message) {
    if (message.type !== "request") return;
    const result = message.kind === "hello" ? { version: "bench" }
      : message.kind === "metrics.sample"
        ? (message.payload.after === null ? SAMPLES : { ...SAMPLES, reset: false, times: [],
                                                       entities: {} })
        : {};
    setTimeout(() => this.emit("msg:custom", { type: "reply", id: message.id, ok: true, result },
                               []), 0);
  }
}
const entity = (name) => ({ name, entity: name, version: "1", workload_size: "Small",
  workload_type: "CPU", scale_to_zero: false, state: "DEPLOYMENT_READY", message: "",
  traffic: 20, external: false });
const names = Object.keys(SAMPLES.entities);
const snapshot = { name: "ads", id: "0123", revision: 1, fetched_at: Date.now(), state: "Ready",
  ready: "READY", config_update: "NOT_UPDATING", creator: "a@example.com", created: null,
  updated: null, description: "", permission_level: "CAN_MANAGE", tags: [],
  config: { version: 1, start_time: null, entities: names.map(entity),
            routes: names.map((n) => ({ entity: n, percentage: 20 })) },
  pending: null, error: null };
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
const until = async (check) => { while (!check()) await new Promise((r) => setTimeout(r, 1)); };
window.bench = async () => {
  const el = document.createElement("div");
  document.getElementById("host").replaceChildren(el);
  const model = new Model({ endpoint_name: "ads", snapshot, auto_refresh: false,
                            _refresh_request: 0 });
  const cleanup = widget.render({ model, el });
  await until(() => el.querySelector("[data-testid=tab-metrics]"));
  await frames();
  const t0 = performance.now();
  el.querySelector("[data-testid=tab-metrics]").click();
  await until(() => el.querySelectorAll("figure.sp-chart").length === 10);
  await frames();
  const firstPaint = performance.now() - t0;
  const svg = el.querySelector("[data-testid=chart-latency_p99_ms] svg");
  const box = svg.getBoundingClientRect();
  const readout = el.querySelector("[data-testid=readout-latency_p99_ms]");
  const before = readout.textContent;
  const t1 = performance.now();
  svg.dispatchEvent(new PointerEvent("pointermove", { clientX: box.left + box.width / 3,
                                                      clientY: box.top + 5, bubbles: true }));
  await until(() => readout.textContent !== before);
  await frames();
  const hover = performance.now() - t1;
  const points = el.querySelector("[data-testid=chart-request_rate]").dataset.points;
  window.cleanup = cleanup;
  return { firstPaint, hover, points: Number(points), nodes: el.querySelectorAll("*").length };
};
window.ready = true;
</script></body></html>
"""


class _Client:
    """Stands in for ServingClient.metrics_summary: five entities, traffic that varies."""

    def __init__(self) -> None:
        self.read = 0

    def metrics_summary(self, name: str) -> list[EntityMetrics]:
        self.read += 1
        return [self._entity(i, name) for i, name in enumerate(ENTITIES)]

    def _entity(self, i: int, name: str) -> EntityMetrics:
        wave = 1 + math.sin(self.read / 20 + i)
        requests = round(60 * (i + 1) * wave)
        cumulative = tuple(
            (bound, float(min(requests, round(requests * (k + 1) / 9))))
            for k, bound in enumerate(BOUNDS)
        )
        histogram = Histogram(cumulative, requests * 40.0, float(requests))
        return EntityMetrics(
            served_entity=name,
            window="last_minute",
            cpu_usage_percentage=10 * wave + i,
            mem_usage_percentage=30 + i,
            provisioned_concurrency=4.0,
            requests=float(requests),
            requests_4xx=float(self.read % 7 == 0),
            requests_5xx=0.0,
            latency_ms=histogram,
            queue_time_ms=histogram,
        )


class _Host:
    endpoint_name = "ads"

    def __init__(self) -> None:
        self.client = _Client()
        self.snapshot: dict[str, Any] = {}

    def register_request(self, kind: str, handler: Any) -> None:
        pass


def an_hour_of_samples() -> tuple[dict[str, Any], float]:
    """The answer to a view opening on an hour of reads, and the time Python took for it
    (the handler and the JSON encoding of its reply)."""
    now = [time.time() - READS * 10]
    # The monotonic clock stands still: the request below finds the last read fresh and
    # answers what is kept, without reading again.
    metrics = PanelMetrics(_Host(), 10, clock=lambda: now[0], monotonic=lambda: 0.0)  # type: ignore[arg-type]
    for _ in range(READS):
        metrics.sample()
        now[0] += 10
    t0 = time.perf_counter()
    reply = metrics.handle_sample({"after": None})
    json.dumps({"type": "reply", "id": "x", "ok": True, "result": reply})  # as the router does
    return reply, (time.perf_counter() - t0) * 1000


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, help="also save the tab, light and dark")
    args = parser.parse_args()

    answers = [an_hour_of_samples() for _ in range(args.runs)]
    reply = answers[0][0]
    reply_bytes = len(json.dumps(reply, separators=(",", ":")).encode())
    python_ms = statistics.median(ms for _, ms in answers)

    site = Path(tempfile.mkdtemp())
    for name in ("widget.js", "widget.css"):
        shutil.copy(STATIC / name, site / name)
    (site / "samples.json").write_text(json.dumps(reply))
    for light in ("true", "false"):
        background = "#ffffff" if light == "true" else "#1e1e1e"
        (site / f"{light}.html").write_text(
            PAGE.replace("__LIGHT__", light).replace("__BG__", background)
        )
    server, base = serve(site)
    results: list[dict[str, float]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(args.runs):
                page = browser.new_page(viewport={"width": 1200, "height": 1000})
                page.goto(f"{base}/true.html")
                page.wait_for_function("() => window.ready === true")
                results.append(page.evaluate("() => window.bench()"))
                page.close()
            if args.screenshot is not None:
                for light, suffix in (("true", "light"), ("false", "dark")):
                    page = browser.new_page(viewport={"width": 1200, "height": 1000})
                    page.emulate_media(color_scheme="light" if light == "true" else "dark")
                    page.goto(f"{base}/{light}.html")
                    page.wait_for_function("() => window.ready === true")
                    page.evaluate("() => window.bench()")
                    out = args.screenshot.with_name(f"{args.screenshot.stem}-{suffix}.png")
                    page.locator("#host").screenshot(path=str(out))
                    print(f"saved {out}")
                    page.close()
            browser.close()
    finally:
        server.shutdown()

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in results)

    js = len(gzip.compress((STATIC / "widget.js").read_bytes()))
    css = len(gzip.compress((STATIC / "widget.css").read_bytes()))
    print(
        f"Metrics tab, {len(ENTITIES)} entities x {READS} reads (an hour at 10 s), "
        f"median of {args.runs} runs, Chromium headless"
    )
    print(
        table(
            ["measure", "ms / KB", "target"],
            [
                ["python: answer the whole hour (ms)", python_ms, ""],
                ["that answer, JSON (KB)", reply_bytes / 1024, "< 5120 (reply cap)"],
                ["metrics tab first paint (ms)", median("firstPaint"), ""],
                ["hover to repaint (ms)", median("hover"), ""],
                ["bundle js gzipped (KB)", js / 1024, ""],
                ["bundle css gzipped (KB)", css / 1024, ""],
                ["bundle, js + css gzipped (KB)", (js + css) / 1024, "< 60"],
            ],
        )
    )
    print(
        f"points in the request-rate chart: {int(results[-1]['points'])}; "
        f"elements in the panel: {int(results[-1]['nodes'])}"
    )


if __name__ == "__main__":
    main()
