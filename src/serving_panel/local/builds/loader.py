"""Loads one MLflow model in a fresh process, as a build's last check:

    python -m serving_panel.local.builds.loader MODEL_DIR [--exit-with-stdin]

The build pipeline runs this to find out whether a model loads, and shows what it prints as
the build log: every stdout line is a `format_log_line` line. Output the model's own code
prints is re-emitted as INFO lines. Exit codes: 0 loaded, 2 bad arguments, 3 MLflow itself
cannot be imported, 4 the model failed to load (gunicorn's APP_LOAD_ERROR, which Databricks'
model server reports in the same situation); `worker/exits.py` names them for both processes.

With `--exit-with-stdin` (the build pipeline passes it) the loader exits as soon as its stdin
reaches end of file: the workspace that started it is gone (`local/lifeline.py`), so a load that
never returns does not outlive it.

Module-level imports stay light: MLflow is imported inside `main`, after the first line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
import traceback
from collections.abc import Sequence
from contextlib import redirect_stdout
from pathlib import Path
from typing import TextIO

from serving_panel.local import lifeline
from serving_panel.local.logformat import format_log_line
from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.models.inspect import validate_mlmodel
from serving_panel.local.worker.exits import EXIT_APP_LOAD_ERROR, EXIT_MLFLOW_IMPORT_ERROR, EXIT_OK


class _Log:
    """Writes log lines to the real stdout, flushed at once so the parent sees them live."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, level: str, message: str) -> None:
        # Multi-line text (a traceback) becomes one line each, blank lines dropped.
        lines = message.splitlines()
        for line in [line for line in lines if line.strip()] if len(lines) > 1 else [message]:
            self.stream.write(format_log_line(level, line) + "\n")
        self.stream.flush()

    def exception(self, headline: str, error: BaseException) -> None:
        self("ERROR", f"{headline}: {type(error).__name__}: {error}")
        self("ERROR", "".join(traceback.format_exception(type(error), error, error.__traceback__)))


class LineWriter(io.TextIOBase):
    """A text stream that turns each complete line written to it into a log line."""

    def __init__(self, log: _Log, level: str = "INFO") -> None:
        super().__init__()
        self._log = log
        self._level = level
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._log(self._level, line.rstrip("\r"))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._log(self._level, self._pending)
            self._pending = ""


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Loads the model in MODEL_DIR with mlflow.pyfunc.load_model; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m serving_panel.local.builds.loader",
        description="Load an MLflow pyfunc model once and report how it went, as log lines.",
    )
    parser.add_argument("model_dir", type=Path, metavar="MODEL_DIR")
    parser.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin reaches end of file"
    )
    args = parser.parse_args(argv)
    model_dir: Path = args.model_dir
    log = _Log(stdout if stdout is not None else sys.stdout)

    log("INFO", f"loader started: Python {platform.python_version()}, model directory {model_dir}")
    if args.exit_with_stdin:
        lifeline.watch_stdin(lambda: _workspace_gone(log))
    try:
        info = validate_mlmodel(model_dir)
    except ModelStoreError as error:
        log("ERROR", f"model failed to load: {type(error).__name__}: {error}")
        return EXIT_APP_LOAD_ERROR
    _warn_on_python_mismatch(log, info.python_version)

    # The workspace runs offline; MLflow's usage telemetry has nothing to report from here.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    capture = LineWriter(log)
    try:
        with redirect_stdout(capture):
            import mlflow
            import mlflow.pyfunc
    except Exception as error:
        capture.flush()
        log.exception("mlflow cannot be imported", error)
        return EXIT_MLFLOW_IMPORT_ERROR
    capture.flush()
    log("INFO", f"mlflow {mlflow.__version__} imported")

    log("INFO", "loading model with mlflow.pyfunc.load_model")
    started = time.perf_counter()
    try:
        with redirect_stdout(capture):
            mlflow.pyfunc.load_model(str(model_dir))
    except Exception as error:
        capture.flush()
        log.exception("model failed to load", error)
        return EXIT_APP_LOAD_ERROR
    capture.flush()
    elapsed = time.perf_counter() - started
    log(
        "INFO",
        f"model loaded in {elapsed:.2f} s (loader_module={info.loader_module}, python_function)",
    )
    return EXIT_OK


def _workspace_gone(log: _Log) -> None:
    # Whoever read stdout has most likely gone too: a failed write must not stop the exit.
    with contextlib.suppress(OSError, ValueError):
        log("WARNING", "the workspace that started this load is gone; exiting")
    lifeline.exit_with_group(EXIT_APP_LOAD_ERROR)


def _warn_on_python_mismatch(log: _Log, saved_with: str | None) -> None:
    running = platform.python_version()
    if saved_with is not None and saved_with.split(".")[:2] != running.split(".")[:2]:
        log(
            "WARNING",
            f"the model was saved with Python {saved_with} and loads in Python {running}; "
            "pickled objects may not load across minor versions",
        )


if __name__ == "__main__":
    sys.exit(main())
