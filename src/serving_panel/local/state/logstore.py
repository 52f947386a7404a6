"""Build and server logs on disk: one file per served entity, config version and kind.

A file keeps at most `MAX_LOG_BYTES`; past that the oldest lines go first (the newest half is
kept, cut at a line boundary). A line longer than `MAX_LINE_BYTES` is cut and ends with a marker
saying how much was dropped, so no single line can be larger than what trimming keeps: one huge
print from a model used to leave a trim with no line boundary to cut at, and it wiped the file.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

#: A log file keeps at most this much; older lines are dropped from the front.
MAX_LOG_BYTES = 4 * 1024 * 1024
#: A longer line is cut to this many bytes (UTF-8), marker included.
MAX_LINE_BYTES = 64 * 1024
#: Ends a cut line: `… [line cut: 9437184 more bytes]`.
CUT_MARKER = " … [line cut: {dropped} more bytes]"


def cut_line(line: str, limit: int = MAX_LINE_BYTES) -> str:
    """`line` as it stands when it fits in `limit` bytes of UTF-8, else its start (on a
    character boundary) followed by the cut marker, `limit` bytes at most in all."""
    data = line.encode("utf-8", errors="replace")
    if len(data) <= limit:
        return line
    # The marker's own length depends on the count; the longest count is the whole line.
    room = limit - len(CUT_MARKER.format(dropped=len(data)).encode("utf-8"))
    kept = data[: max(room, 0)].decode("utf-8", errors="ignore")
    dropped = len(data) - len(kept.encode("utf-8"))
    return kept + CUT_MARKER.format(dropped=dropped)


Drain = Callable[[], object]


class LogStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._feeds: dict[Path, list[Drain]] = {}  # what a reader drains first, per file
        self._feeds_lock = threading.Lock()

    def watch(
        self, endpoint_id: str, entity: str, version: int, kind: str, drain: Drain
    ) -> Callable[[], None]:
        """Registers `drain` (which appends what is pending for the file, such as a model
        server's unread output) to run before every read of the file; returns its undo."""
        path = self.path(endpoint_id, entity, version, kind)
        with self._feeds_lock:
            self._feeds.setdefault(path, []).append(drain)

        def unwatch() -> None:
            with self._feeds_lock:
                feeds = self._feeds.get(path, [])
                if drain in feeds:
                    feeds.remove(drain)
                if not feeds:
                    self._feeds.pop(path, None)

        return unwatch

    def path(self, endpoint_id: str, entity: str, version: int, kind: str) -> Path:
        return self.root / endpoint_id / entity / f"v{version}" / f"{kind}.log"

    def drain(self, endpoint_id: str, entity: str, version: int, kind: str) -> None:
        """Appends what the file's watchers have pending: before reading it, and before a line
        that must come after that output (the supervisor's note that the server exited)."""
        with self._feeds_lock:
            drains = list(self._feeds.get(self.path(endpoint_id, entity, version, kind), ()))
        for drain in drains:  # outside our locks: a drain appends through them
            drain()

    def append(self, endpoint_id: str, entity: str, version: int, kind: str, line: str) -> None:
        self.append_lines(endpoint_id, entity, version, kind, [line])

    def append_lines(
        self, endpoint_id: str, entity: str, version: int, kind: str, lines: list[str]
    ) -> None:
        """Appends the lines in one write: a model server's access lines come one per query,
        so the directory is made only when the file can't be opened, and the size comes from
        the open file."""
        path = self.path(endpoint_id, entity, version, kind)
        text = "".join(cut_line(line.rstrip("\n")) + "\n" for line in lines)
        data = text.encode("utf-8", errors="replace")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        with self._lock:
            try:
                fd = os.open(path, flags, 0o600)
            except FileNotFoundError:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(path, flags, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size > MAX_LOG_BYTES:
                self._trim(path)

    def _trim(self, path: Path) -> None:
        """Keeps the newest half, from the first whole line in it. Lines are cut to far less
        than half the cap, so the kept part always holds a line boundary."""
        data = path.read_bytes()[-MAX_LOG_BYTES // 2 :]
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            data = data[newline + 1 :]
        path.write_bytes(data)

    def read(self, endpoint_id: str, entity: str, version: int, kind: str) -> str | None:
        """The file's text, with whatever its watchers had pending appended first."""
        self.drain(endpoint_id, entity, version, kind)
        path = self.path(endpoint_id, entity, version, kind)
        with self._lock:
            if not path.is_file():
                return None
            return path.read_text(encoding="utf-8", errors="replace")

    def exists(self, endpoint_id: str, entity: str, version: int, kind: str) -> bool:
        return self.path(endpoint_id, entity, version, kind).is_file()

    def remove_endpoint(self, endpoint_id: str) -> None:
        with self._lock:
            shutil.rmtree(self.root / endpoint_id, ignore_errors=True)
