"""The data directory is private to its owner: 0700, and what the workspace keeps in it 0600.

It holds token hashes, the admin token, request payloads in server logs and the models, so no
other user of the machine may read it, whatever the umask of the process that wrote a file (a
CLI run under umask 022, a notebook that registers a model, a copy that kept its source's mode).
The processes the workspace runs itself use umask 077; this module fixes the rest: the directory
itself, and only the entries the workspace owns in it (a data directory pointed at a folder that
holds other things leaves those alone).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

#: What the workspace keeps in its data directory; nothing else there is touched.
OWNED = (
    "workspace.db",
    "workspace.db-wal",
    "workspace.db-shm",
    "workspace.json",
    "admin-token",
    "server.log",
    "models",
    "logs",
)
PRIVATE_UMASK = 0o077


def make_private(data_dir: Path, *, entries: tuple[str, ...] = OWNED) -> None:
    """Makes `data_dir` 0700 and each owned entry (recursively) 0700 for directories and 0600
    for files. Symbolic links are neither followed nor changed."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(data_dir, 0o700)
    for name in entries:
        _private_tree(data_dir / name)


def _private_tree(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        return
    if not stat.S_ISDIR(mode):
        _chmod(path, mode, 0o600)
        return
    _chmod(path, mode, 0o700)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            child = Path(root) / name
            with contextlib.suppress(FileNotFoundError):
                child_mode = os.lstat(child).st_mode
                if not stat.S_ISLNK(child_mode):
                    _chmod(child, child_mode, 0o700 if stat.S_ISDIR(child_mode) else 0o600)


def _chmod(path: Path, mode: int, wanted: int) -> None:
    if stat.S_IMODE(mode) != wanted:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, wanted)
