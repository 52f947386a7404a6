"""What a model process inherits from the workspace's environment: only what Python needs."""

from __future__ import annotations

from serving_panel.local.serving.environment import model_environment


def test_secrets_stay_behind_and_the_entitys_variables_win() -> None:
    workspace = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/var/scratch",
        "PYTHONPATH": "/src",
        "SERVING_PANEL_DEMO_SLOW_SECONDS": "1",
        "DATABRICKS_TOKEN": "dapi-secret",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "MLFLOW_TRACKING_TOKEN": "secret",
        "PYTHONUNBUFFERED": "0",
    }

    env = model_environment(workspace, {"MY_SETTING": "on", "HOME": "/srv/model"})

    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/srv/model",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/var/scratch",
        "PYTHONPATH": "/src",
        "SERVING_PANEL_DEMO_SLOW_SECONDS": "1",
        "MY_SETTING": "on",
        "PYTHONUNBUFFERED": "1",
    }
