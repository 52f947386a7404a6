"""Build and server logs on disk: one file per served entity, config version and kind."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

#: A log file keeps at most this much; older lines are dropped from the front.
MAX_LOG_BYTES = 4 * 1024 * 1024


class LogStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    def path(self, endpoint_id: str, entity: str, version: int, kind: str) -> Path:
        return self.root / endpoint_id / entity / f"v{version}" / f"{kind}.log"

    def append(self, endpoint_id: str, entity: str, version: int, kind: str, line: str) -> None:
        path = self.path(endpoint_id, entity, version, kind)
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line.rstrip("\n") + "\n")
            if path.stat().st_size > MAX_LOG_BYTES:
                self._trim(path)

    def _trim(self, path: Path) -> None:
        data = path.read_bytes()[-MAX_LOG_BYTES // 2 :]
        newline = data.find(b"\n")
        path.write_bytes(data[newline + 1 :] if newline >= 0 else data)

    def read(self, endpoint_id: str, entity: str, version: int, kind: str) -> str | None:
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
