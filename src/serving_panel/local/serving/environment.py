"""The environment a model process (a model server or a build's loader) starts with.

Model code is the user's, and whatever it can read may end up in a log or a response, so it
does not inherit the workspace's environment (which often holds DATABRICKS_TOKEN, cloud keys,
MLFLOW_TRACKING_TOKEN...). It gets only what Python and its libraries need to run, plus the
served entity's own `environment_vars`, which win:

- `PATH`, `HOME`, `TMPDIR`, `TZ`, `LANG`, `LANGUAGE` and every `LC_*`: finding programs, a home
  for caches, temporary files, time zone and text encoding;
- `PYTHONPATH`, `VIRTUAL_ENV`, `PYTHONHOME` when set: the same packages as the workspace;
- `SERVING_PANEL_*`: this package's own knobs (the demo models' and tests' settings).

`PYTHONUNBUFFERED=1` is always set, so output reaches the logs line by line.
"""

from __future__ import annotations

from collections.abc import Mapping

KEPT = frozenset(
    {"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
)
KEPT_PREFIXES = ("LC_", "SERVING_PANEL_")


def model_environment(
    workspace: Mapping[str, str], entity: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The kept part of `workspace`'s environment, then `entity`'s variables over it."""
    kept = {
        name: value
        for name, value in workspace.items()
        if name in KEPT or name.startswith(KEPT_PREFIXES)
    }
    return {**kept, **(entity or {}), "PYTHONUNBUFFERED": "1"}
