"""The test suite's harness (tests/harness), for benchmarks that drive a widget the way the
widget tests do: pytest puts tests/ on the path for them, this does it for a script."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness.comms import CommLog, front_end_message, recording_comms

__all__ = ["CommLog", "front_end_message", "recording_comms"]
