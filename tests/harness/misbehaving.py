"""A model that misbehaves on request, for the workspace's process tests: each request picks
what it does with a "mode" column (dataframe_records).

- `ok`: answers ["ok"];
- `crash`: the process exits with code 7 at once, as a segfaulting library would;
- `leak`: allocates `mb` megabytes (touched, so resident) and keeps them;
- `environment`: prints every environment variable as a log line, answers their names;
- `shout`: prints one line of `mb` megabytes, then "shouted";
- `spawn`: starts a subprocess that sleeps for an hour, answers its pid.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc

MISBEHAVING_CODE = """\
import os
import subprocess
import sys

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

KEPT = []


class Misbehaving(PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None):
        row = model_input.iloc[0]
        mode = row["mode"]
        if mode == "ok":
            return ["ok"]
        if mode == "crash":
            os._exit(7)
        if mode == "leak":
            KEPT.append(b"x" * (int(row["mb"]) * 1024 * 1024))
            return [f"holding {sum(len(block) for block in KEPT) // 2**20} MB"]
        if mode == "spawn":
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
            return [child.pid]
        if mode == "shout":
            print("y" * (int(row["mb"]) * 1024 * 1024))
            print("shouted")
            return ["shouted"]
        if mode == "environment":
            for name, value in sorted(os.environ.items()):
                print(f"env {name}={value}")
            return [sorted(os.environ)]
        raise ValueError(f"unknown mode {mode!r}")


set_model(Misbehaving())
"""


def write_misbehaving_model(directory: Path) -> Path:
    """Saves the model under `directory/misbehaving` and returns that path."""
    code = directory / "misbehaving.py"
    code.write_text(MISBEHAVING_CODE)
    target = directory / "misbehaving"
    mlflow.pyfunc.save_model(path=str(target), python_model=str(code), pip_requirements=[])
    return target


def records(**row: object) -> dict[str, object]:
    return {"dataframe_records": [row]}
