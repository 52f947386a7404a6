"""The model server's stdout: its own log lines, and the model's prints turned into log lines.

Every stdout line is a `format_log_line` line, written under one lock so that lines from
concurrent requests never interleave; what the model prints on stdout becomes INFO lines and
on stderr WARNING lines, one per complete line, kept apart per thread.
"""

from __future__ import annotations

import io
import threading
import traceback
from typing import TextIO

from serving_panel.local.logformat import format_log_line

#: A partial line (no newline yet) longer than this is logged as it stands, so a model that
#: prints progress with carriage returns cannot grow a buffer without bound.
MAX_PENDING_CHARS = 8192


class Log:
    """Writes log lines to the real stdout under one lock, so lines from concurrent requests
    never interleave, flushed at once so the supervisor sees them live. A reader that went away
    (the supervisor died) is not an error: the stdin watcher ends the process."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, level: str, message: str) -> None:
        # Multi-line text (a traceback) becomes one line each, blank lines dropped.
        lines = message.splitlines()
        chosen = [line for line in lines if line.strip()] if len(lines) > 1 else [message]
        text = "".join(format_log_line(level, line) + "\n" for line in chosen)
        with self._lock:
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):
                pass

    def exception(self, headline: str, error: BaseException) -> None:
        self("ERROR", f"{headline}: {type(error).__name__}: {error}")
        self("ERROR", "".join(traceback.format_exception(type(error), error, error.__traceback__)))


class ThreadLineWriter(io.TextIOBase):
    """Stands in for sys.stdout / sys.stderr: each complete line becomes a log line.

    Partial lines are kept per thread, so two requests printing at once never splice their
    text together; `emit_pending` logs the calling thread's partial line (after a predict).
    `flush()` emits nothing: `print(..., flush=True)` must not split a line in two.
    """

    def __init__(self, log: Log, level: str) -> None:
        super().__init__()
        self._log = log
        self._level = level
        self._pending: dict[int, str] = {}
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """Libraries that look at sys.stdout.encoding must see a real one."""
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        ident = threading.get_ident()
        with self._lock:
            *lines, rest = (self._pending.pop(ident, "") + str(text)).split("\n")
            if len(rest) > MAX_PENDING_CHARS:
                lines.append(rest)
                rest = ""
            if rest:
                self._pending[ident] = rest
        for line in lines:
            self._log(self._level, line.rstrip("\r"))
        return len(text)

    def flush(self) -> None:
        pass

    def emit_pending(self) -> None:
        with self._lock:
            rest = self._pending.pop(threading.get_ident(), "")
        if rest:
            self._log(self._level, rest.rstrip("\r"))
