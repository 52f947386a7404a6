"""A model server's output becomes log lines in batches, each line cut to the limit with a
marker counting what was skipped, however the pipe's reads split the output; a log read drains
the pipe first, so it never waits for the pump's pause."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from serving_panel.local.serving.loglines import split_lines
from serving_panel.local.serving.logpump import LogPump
from serving_panel.local.state.logstore import CUT_MARKER, LogStore

KEY = ("endpoint-id", "ads1-1", 1, "server")


def _lines(reads: list[bytes], limit: int) -> list[bytes]:
    return [line for batch in split_lines(reads, limit) for line in batch]


def test_lines_read_together_come_as_one_batch() -> None:
    assert list(split_lines([b"one\ntwo\n", b"three\n"], 100)) == [
        [b"one\n", b"two\n"],
        [b"three\n"],
    ]


def test_a_line_split_across_reads_is_one_line() -> None:
    assert list(split_lines([b"first\nsec", b"ond\n"], 100)) == [[b"first\n"], [b"second\n"]]


def test_a_long_line_is_cut_at_the_limit_and_counts_the_rest() -> None:
    assert _lines([b"x" * 25, b"y" * 25 + b"\nshort\n"], 10) == [
        b"x" * 10 + CUT_MARKER.format(dropped=40).encode(),
        b"short\n",
    ]


def test_a_line_that_fits_only_without_its_newline_is_marked_as_cut() -> None:
    assert _lines([b"abcd\n"], 4) == [b"abcd" + CUT_MARKER.format(dropped=0).encode()]


def test_an_unfinished_last_line_is_kept_and_cut_too() -> None:
    assert _lines([b"done\nunfinished"], 100) == [b"done\n", b"unfinished"]
    assert _lines([b"done\n", b"z" * 12], 5) == [
        b"done\n",
        b"zzzzz" + CUT_MARKER.format(dropped=7).encode(),
    ]


@pytest.fixture
def pipe() -> Iterator[tuple[IO[bytes], int]]:
    """A pipe's reading end (as a model server's stdout) and its writing end's descriptor."""
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as stream:
        yield stream, write_fd
    with contextlib.suppress(OSError):  # the test may have closed it
        os.close(write_fd)


def test_a_drain_takes_all_the_pipe_holds_in_order_and_never_waits(
    pipe: tuple[IO[bytes], int],
) -> None:
    stream, write_fd = pipe
    batches: list[list[bytes]] = []
    pump = LogPump(stream, batches.append, limit=100)
    assert pump.drain() is False  # nothing written yet: returns at once
    os.write(write_fd, b"one\ntw")
    os.write(write_fd, b"o\nthree\n")
    assert pump.drain() is False
    assert batches == [[b"one\n", b"two\n", b"three\n"]]


def test_the_pump_ends_with_the_pipe_and_keeps_the_unfinished_line(
    pipe: tuple[IO[bytes], int],
) -> None:
    stream, write_fd = pipe
    lines: list[bytes] = []
    pump = LogPump(stream, lines.extend, limit=100)
    thread = threading.Thread(target=pump.run, kwargs={"pause_s": 0.0})
    thread.start()
    os.write(write_fd, b"done\nunfinished")
    os.close(write_fd)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert lines == [b"done\n", b"unfinished"]


def test_a_log_read_drains_the_pipes_that_feed_the_file_first(
    tmp_path: Path, pipe: tuple[IO[bytes], int]
) -> None:
    stream, write_fd = pipe
    logs = LogStore(tmp_path)

    def store(batch: list[bytes]) -> None:
        logs.append_lines(*KEY, [line.decode() for line in batch])

    pump = LogPump(stream, store, limit=100)  # never run: only reads drain it
    unwatch = logs.watch(*KEY, pump.drain)
    os.write(write_fd, b"access line\n")
    assert logs.read(*KEY) == "access line\n"

    unwatch()
    os.write(write_fd, b"unseen\n")
    assert logs.read(*KEY) == "access line\n"


def test_a_line_drained_for_comes_after_the_output_pending_before_it(
    tmp_path: Path, pipe: tuple[IO[bytes], int]
) -> None:
    stream, write_fd = pipe
    logs = LogStore(tmp_path)

    def store(batch: list[bytes]) -> None:
        logs.append_lines(*KEY, [line.decode() for line in batch])

    logs.watch(*KEY, LogPump(stream, store, limit=100).drain)
    os.write(write_fd, b"Traceback: the model failed\n")
    logs.drain(*KEY)  # what the supervisor does before noting that the server exited
    logs.append(*KEY, "model server exited with code 1")
    assert logs.read(*KEY) == "Traceback: the model failed\nmodel server exited with code 1\n"
