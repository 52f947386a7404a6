"""Update pacing: an update stays `IN_PROGRESS` for at least a minimum time, its steps spread
over it.

On the service an update is observable for minutes; here one that needs no new build used to
end before the next GET, so clients' wait and conflict paths could not be exercised and a demo
could not show an update in progress. Each update gets a `Pace`; its steps (the build's, then
the switch to the new config) wait until their share of the minimum has passed since the
update began. A step that takes longer takes longer: the minimum only ever adds waiting. With
a minimum of 0 nothing waits (tests that want speed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: The minimum when nothing sets one (seconds).
DEFAULT_MIN_UPDATE_S = 2.0

#: Waits until a fraction (0 to 1) of the update's minimum time has passed since it began.
Step = Callable[[float], None]


class Pace:
    def __init__(self, minimum_s: float, stopping: threading.Event) -> None:
        self.minimum_s = minimum_s
        self._stopping = stopping
        self._began = time.monotonic()

    def reach(self, fraction: float) -> None:
        """Returns once `fraction` of the minimum has passed since the update began, or at once
        when the workspace is stopping (its updates resume on the next start)."""
        remaining = self._began + self.minimum_s * fraction - time.monotonic()
        if remaining > 0:
            self._stopping.wait(remaining)


def no_pace(fraction: float) -> None:
    """A step that never waits."""
