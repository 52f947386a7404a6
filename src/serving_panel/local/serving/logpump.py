"""Moves a model server's stdout or stderr into its server log, a batch at a time.

A busy model server prints an access line per query. Read and stored one by one, each line
woke a thread in the workspace's process that then competed with the event loop for the GIL:
a cost on every query routed. The pump takes everything the pipe holds at once, then pauses
(`PAUSE_S`) so that what arrives meanwhile is taken in one go too: a busy server's lines cost
one wake-up and one log write per pause, not per line.

Nobody reading the log waits for the pause: `LogStore.read` first drains every pipe that feeds
the file it reads (the pump registers `drain` with it), so a log read just after a query holds
that query's line as soon as the model server has written it.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from typing import IO

from serving_panel.local.serving.loglines import LineSplitter

#: After taking what the pipe held, the pump waits this long before looking again.
PAUSE_S = 0.05
READ_BYTES = 65536


class LogPump:
    """One pipe's lines, handed to `on_lines` in the order the model server wrote them."""

    def __init__(
        self, stream: IO[bytes], on_lines: Callable[[list[bytes]], None], *, limit: int
    ) -> None:
        self._stream = stream  # held, so its file descriptor stays open while we read it
        self._fd = stream.fileno()
        os.set_blocking(self._fd, False)
        self._on_lines = on_lines
        self._splitter = LineSplitter(limit)
        self._lock = threading.Lock()  # one reader at a time: lines stay in order
        self._ended = False

    def run(self, pause_s: float = PAUSE_S) -> None:
        """A thread's body: waits for output, drains it, pauses; returns once the pipe has
        ended (the model server exited) and its last line is stored."""
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while True:
            poller.poll()  # readable, hung up or closed: drain tells which
            if self.drain():
                return
            time.sleep(pause_s)  # what comes meanwhile is taken in one go

    def drain(self) -> bool:
        """Stores every line the pipe holds now, without waiting for more; True once the
        pipe has ended."""
        with self._lock:
            if self._ended:
                return True
            lines: list[bytes] = []
            while True:
                try:
                    data = os.read(self._fd, READ_BYTES)
                except BlockingIOError:
                    break
                except (OSError, ValueError):
                    data = b""  # closed under us: as good as ended
                if not data:
                    self._ended = True
                    lines += self._splitter.end()
                    break
                lines += self._splitter.feed(data)
            if lines:
                self._on_lines(lines)
            return self._ended
