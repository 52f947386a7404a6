"""The one JSON response class: strict JSON (no NaN or Infinity), UTF-8, compact.

Starlette's JSONResponse writes NaN as `NaN` (which no strict parser reads) and fails only at
encoding time on an unpaired surrogate. Input is refused before it holds either
(`state/jsontext.py`); rendering strictly here turns any slip into a visible error instead of
a body the client can't parse.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse


class StrictJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
