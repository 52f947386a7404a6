"""Local workspaces for tests: started over real HTTP, with the demo models registered."""

from __future__ import annotations

from pathlib import Path

from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.models.demo import write_demo_models

#: The slow demo model's load time in tests: long enough to catch an update in progress.
SLOW_SECONDS = "4"

# name -> (demo model, number of versions)
REGISTERED = {
    "ads1": ("regressor", 2),
    "main.default.sentiment": ("classifier", 1),
    "broken": ("broken", 1),
    "slow": ("slow", 1),
    "streamer": ("streamer", 1),
}


def start_workspace(
    data_dir: Path,
    models: dict[str, Path],
    *,
    env: dict[str, str] | None = None,
    enable_faults: bool = False,
    min_update_seconds: float = 0.0,
) -> LocalWorkspace:
    """A workspace with the demo models registered. Updates are not paced (0 s) unless
    `min_update_seconds` says otherwise: tests wait on conditions, and pacing would only add
    to the suite's time; the pacing tests ask for it."""
    environment = {"SERVING_PANEL_DEMO_SLOW_SECONDS": SLOW_SECONDS, **(env or {})}
    workspace = LocalWorkspace.start(
        data_dir=data_dir,
        env=environment,
        enable_faults=enable_faults,
        min_update_seconds=min_update_seconds,
    )
    try:
        for name, (model, versions) in REGISTERED.items():
            for _ in range(versions):
                workspace.register_model(name, models[model])
    except BaseException:
        workspace.stop()
        raise
    return workspace


def demo_model_dirs(target: Path) -> dict[str, Path]:
    return write_demo_models(target)
