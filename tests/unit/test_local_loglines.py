"""A model server's output becomes log lines in batches, each line cut to the limit with a
marker counting what was skipped, however the pipe's reads split the output."""

from __future__ import annotations

import os

from serving_panel.local.serving.loglines import line_batches, split_lines
from serving_panel.local.state.logstore import CUT_MARKER


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


def test_a_pipe_is_read_to_its_end() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"a\nb\n")
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        assert list(line_batches(stream, 100)) == [[b"a\n", b"b\n"]]
