"""One log line format shared by the model loader and the build pipeline.

`2026-11-24T20:13:00.123Z INFO message`: a UTC ISO-8601 timestamp with milliseconds, the level
and the message, one space apart. Build and load logs are shown to users line by line, so a
line never holds a line break.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# What `format_log_line` writes; readers use it to tell formatted lines from raw output.
LOG_LINE_PATTERN = re.compile(
    r"^(?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR) (?P<message>.*)$"
)


def format_log_line(level: str, message: str, now: datetime | None = None) -> str:
    """One log line for `message`, stamped with `now` (default: the current time).

    A naive `now` is taken to be UTC. Line breaks in `message` are written as the two characters
    `\\n` so that the result stays one line.
    """
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    else:
        now = now.astimezone(timezone.utc)
    stamp = f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"
    one_line = message.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return f"{stamp} {level} {one_line}"
