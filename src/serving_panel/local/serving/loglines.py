"""A model server's output as log lines, cut to a limit, in batches of what arrived together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from serving_panel.local.state.logstore import CUT_MARKER


class LineSplitter:
    """Splits output read in pieces into lines (each with its newline). A line is held in
    memory `limit` bytes at most: the rest of a longer one is skipped and counted in a cut
    marker, so a model printing one huge line costs neither memory here nor the log before it.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._start = b""  # the unfinished line's first `limit` bytes at most
        self._dropped = 0  # and how many bytes of it were skipped past them

    def feed(self, data: bytes) -> list[bytes]:
        """The lines that `data` ends."""
        *ended, rest = data.split(b"\n")
        lines = []
        for piece in ended:
            lines.append(_line(self._start + piece, self._dropped, self.limit))
            self._start, self._dropped = b"", 0
        self._start += rest
        if len(self._start) > self.limit:
            self._dropped += len(self._start) - self.limit
            self._start = self._start[: self.limit]
        return lines

    def end(self) -> list[bytes]:
        """The unfinished last line (no newline), if any: the output has ended."""
        if not self._start and not self._dropped:
            return []
        last = _line(self._start, self._dropped, self.limit, ended=False)
        self._start, self._dropped = b"", 0
        return [last]


def split_lines(reads: Iterable[bytes], limit: int) -> Iterator[list[bytes]]:
    """The lines in the reads, a batch per read that ends one or more, then the unfinished
    last line (see `LineSplitter`)."""
    splitter = LineSplitter(limit)
    for data in reads:
        if lines := splitter.feed(data):
            yield lines
    if last := splitter.end():
        yield last


def _line(text: bytes, dropped: int, limit: int, *, ended: bool = True) -> bytes:
    """The line as stored: whole with its newline when that fits in `limit` bytes, else its
    first `limit` bytes and the marker counting the rest (newline not counted)."""
    if not dropped and len(text) + ended <= limit:
        return text + b"\n" if ended else text
    kept = text[:limit]
    return kept + CUT_MARKER.format(dropped=dropped + len(text) - len(kept)).encode()
