"""The log store keeps the newest lines: an over-long line is cut with a marker, never a wipe."""

from __future__ import annotations

from pathlib import Path

from serving_panel.local.state.logstore import MAX_LINE_BYTES, MAX_LOG_BYTES, LogStore, cut_line

KEY = ("endpoint-id", "ads1-1", 1, "server")


def test_a_ten_megabyte_line_is_cut_and_the_log_before_it_stays(tmp_path: Path) -> None:
    logs = LogStore(tmp_path)
    before = [f"2026-12-01T00:00:00.000Z INFO line {i:05d} " + "x" * 100 for i in range(20_000)]
    for line in before:  # about 2.5 MB: under the cap
        logs.append(*KEY, line)
    logs.append(*KEY, "2026-12-01T00:00:01.000Z INFO " + "y" * (10 * 1024 * 1024))
    logs.append(*KEY, "2026-12-01T00:00:02.000Z INFO after the big one")

    text = logs.read(*KEY)
    assert text is not None
    lines = text.splitlines()
    assert lines[: len(before)] == before
    cut = lines[len(before)]
    assert len(cut.encode()) <= MAX_LINE_BYTES
    assert cut.startswith("2026-12-01T00:00:01.000Z INFO yyyy")
    dropped = (
        10 * 1024 * 1024
        + len("2026-12-01T00:00:01.000Z INFO ")
        - (len(cut.encode()) - len(cut.split(" … ")[-1].encode()) - len(" … ".encode()))
    )
    assert cut.endswith(f" … [line cut: {dropped} more bytes]")
    assert lines[-1] == "2026-12-01T00:00:02.000Z INFO after the big one"


def test_past_the_cap_the_oldest_lines_go_first_even_with_huge_lines(tmp_path: Path) -> None:
    logs = LogStore(tmp_path)
    for numbered in range(MAX_LOG_BYTES // 200):  # past the cap: trimmed at least once
        logs.append(*KEY, f"line {numbered:07d} " + "z" * 200)
    for _ in range(10):  # each would overflow the cap by itself if kept whole
        logs.append(*KEY, "huge " + "h" * (MAX_LOG_BYTES + 1))
    logs.append(*KEY, "last")

    text = logs.read(*KEY)
    assert text is not None
    size = logs.path(*KEY).stat().st_size
    assert MAX_LOG_BYTES // 4 < size <= MAX_LOG_BYTES
    lines = text.splitlines()
    assert lines[-1] == "last"
    assert all(line.startswith(("line ", "huge ")) for line in lines[:-1])
    assert all(len(line.encode()) <= MAX_LINE_BYTES for line in lines)


def test_cut_line_respects_character_boundaries_and_the_limit() -> None:
    assert cut_line("short") == "short"
    line = "é" * 1000  # two bytes each
    cut = cut_line(line, limit=101)
    assert len(cut.encode()) <= 101
    kept = cut.split(" … ")[0]
    assert set(kept) == {"é"}
    assert cut.endswith(f"[line cut: {2000 - 2 * len(kept)} more bytes]")
