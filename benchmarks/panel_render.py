"""The panel's render cost in Chromium: first paint, the logs tab with 200,000 lines (first
paint, all pages loaded, a search keystroke to repaint), and the bundle size gzipped.

The built bundle is loaded into a plain page with an in-page model that answers the panel's
requests (as Python would, minus the kernel round trip), so the figures are the widget's own.
The peer is what users do today: `print(client.build_logs(...))`, the same 200,000 lines as
one text block in the page. Targets (panel issue): first paint < 300 ms, filter repaint
< 50 ms, bundle < 60 KB gzipped. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/panel_render.py [--lines 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import shutil
import statistics
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from _common import table

STATIC = Path(__file__).resolve().parents[1] / "src" / "serving_panel" / "static"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

PAGE = Path(__file__).with_name("panel_render.html")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    site = Path(tempfile.mkdtemp())
    for name in ("widget.js", "widget.css"):
        shutil.copy(STATIC / name, site / name)
    (site / "index.html").write_text(PAGE.read_text().replace("__LINES__", str(args.lines)))
    server, url = serve(site)
    results: list[dict[str, float]] = []
    peers: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(args.runs):
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(url)
                page.wait_for_function("() => window.ready === true")
                results.append(page.evaluate("() => window.bench()"))
                peers.append(page.evaluate("() => window.peer()")["firstPaint"])
                page.close()
            browser.close()
    finally:
        server.shutdown()

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in results)

    js = (STATIC / "widget.js").read_bytes()
    css = (STATIC / "widget.css").read_bytes()
    bundle_kb = (len(gzip.compress(js)) + len(gzip.compress(css))) / 1024
    print(f"{args.lines:,} log lines, median of {args.runs} runs, Chromium headless")
    print(
        table(
            ["measure", "ms / KB", "target", "peer"],
            [
                ["panel first paint (ms)", median("firstPaint"), "< 300", ""],
                [
                    "logs tab first paint (ms)",
                    median("logsFirstPaint"),
                    "",
                    f"print(): {statistics.median(peers):.1f}",
                ],
                ["logs tab all lines loaded (ms)", median("logsLoaded"), "", ""],
                ["search keystroke to repaint (ms)", median("filterRepaint"), "< 50", "(none)"],
                ["bundle, js + css gzipped (KB)", bundle_kb, "< 60", ""],
            ],
        )
    )
    print(
        f"rows in the DOM with {args.lines:,} lines: {int(results[-1]['rows'])}; "
        f"matches for the search: {results[-1]['matches']}; "
        f"logs first paint vs print(): {median('logsFirstPaint') / statistics.median(peers):.2f}x"
    )


if __name__ == "__main__":
    main()
