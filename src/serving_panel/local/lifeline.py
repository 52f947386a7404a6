"""Processes that die with the process that started them, `kill -9` included.

Every process of the workspace is started with a lifeline: a pipe on its stdin whose write end
only its starter holds. The kernel closes that end when the starter exits, however it exits, so
the child reads end of file and leaves. This works on Linux and macOS alike, and covers every
link of the chain: the notebook or script that called `LocalWorkspace.start()` → the server →
its model servers and build loaders. A model server or loader that loses its lifeline also sends
SIGTERM to its own process group on the way out (`exit_with_group`), so the subprocesses a model
started go with it.

On Linux the server also asks for a parent-death signal (`PR_SET_PDEATHSIG`) as a second line,
but only when its starter started it from its main thread: the kernel sends that signal when the
*thread* that forked the child ends, so a starter thread that finishes early would take the
workspace with it. The workspace's own children are started from worker threads, so they rely
on the pipe alone.

The pipe's write end is not inherited by other processes the starter runs (Python opens pipes
non-inheritable), but a process that `fork()`s without exec (multiprocessing's fork start
method) keeps a copy, and the child then lives as long as that copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable

#: prctl(2) option: deliver a signal to this process when its parent (thread) exits.
_PR_SET_PDEATHSIG = 1


def stdin_is_pipe() -> bool:
    """True when stdin is a pipe or socket: a lifeline. A terminal or /dev/null is not."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def watch_stdin(on_eof: Callable[[], None]) -> bool:
    """Calls `on_eof` (in a daemon thread) once stdin reaches end of file, anything written to
    it being discarded. Returns False, watching nothing, when stdin is not a pipe."""
    if not stdin_is_pipe():
        return False

    def run() -> None:
        with contextlib.suppress(OSError):
            while os.read(0, 65536):
                pass
        on_eof()

    threading.Thread(target=run, name="lifeline", daemon=True).start()
    return True


def exit_with_group(code: int) -> None:
    """Exits now with `code`, after sending SIGTERM to whatever this process started (a model's
    own subprocesses) when it leads its process group, as the workspace's children do. The
    signal reaches this process too: a Python handler only sets a flag before the exit here, and
    a process without one ends by the signal itself, which is no worse when nobody is left to
    read its exit code. A subprocess that ignores SIGTERM is not stopped."""
    with contextlib.suppress(OSError):
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpid(), signal.SIGTERM)
    os._exit(code)


def read_line(limit: int = 4096) -> str:
    """One line from stdin, read unbuffered (byte by byte) so that nothing after it is taken
    from the pipe; "" at end of file. Used for a secret handed over on the lifeline."""
    data = b""
    while len(data) < limit:
        byte = os.read(0, 1)
        if not byte or byte == b"\n":
            break
        data += byte
    return data.decode("utf-8", errors="replace").strip()


def die_with_parent(expected_parent: int, sig: int = signal.SIGTERM) -> bool:
    """Linux only: asks the kernel to send `sig` when the parent goes, then exits at once if
    the parent already went (the race between the fork and this call). False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != expected_parent:
        os._exit(0)
    return True


def started_from_main_thread() -> bool:
    """Whether a child started now may ask for a parent-death signal (see the module doc)."""
    return threading.current_thread() is threading.main_thread()
