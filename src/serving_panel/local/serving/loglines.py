"""A model server's output as log lines, in batches of what arrived together.

The supervisor's pump thread reads each model server's stdout and stderr. A busy server prints
an access line per request: read and stored one by one, each line cost the router process a
read, a file open, write and close, and a wake-up of the pump thread competing with the event
loop for the GIL. One `os.read` takes everything the pipe holds, and the log store writes it at
once, so under load the lines cost one wake-up and one write per batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO

from serving_panel.local.state.logstore import CUT_MARKER

READ_BYTES = 65536


def line_batches(stream: IO[bytes], limit: int) -> Iterator[list[bytes]]:
    """The stream's lines, a batch per read that ends one or more (see `split_lines`)."""
    fd = stream.fileno()
    return split_lines(iter(lambda: os.read(fd, READ_BYTES), b""), limit)


def split_lines(reads: Iterable[bytes], limit: int) -> Iterator[list[bytes]]:
    """The lines in the reads (each with its newline, the last maybe without), a batch per
    read that ends one or more. A line is held in memory `limit` bytes at most: the rest of a
    longer one is skipped and counted in a cut marker, so a model printing one huge line costs
    neither memory here nor the log before it."""
    start = b""  # the unfinished line's first `limit` bytes at most
    dropped = 0  # and how many bytes of it were skipped past them
    for data in reads:
        *ended, rest = data.split(b"\n")
        batch = []
        for piece in ended:
            batch.append(_line(start + piece, dropped, limit))
            start, dropped = b"", 0
        start += rest
        if len(start) > limit:
            dropped += len(start) - limit
            start = start[:limit]
        if batch:
            yield batch
    if start or dropped:
        yield [_line(start, dropped, limit, ended=False)]


def _line(text: bytes, dropped: int, limit: int, *, ended: bool = True) -> bytes:
    """The line as stored: whole with its newline when that fits in `limit` bytes, else its
    first `limit` bytes and the marker counting the rest (newline not counted)."""
    if not dropped and len(text) + ended <= limit:
        return text + b"\n" if ended else text
    kept = text[:limit]
    return kept + CUT_MARKER.format(dropped=dropped + len(text) - len(kept)).encode()
