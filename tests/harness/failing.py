"""Small real MLflow models that fail to deploy, each for one cause of failure triage
(`serving_panel/triage.py`), beside the demo models (whose "broken" raises in load_context and
"slow" loads for as long as it is told):

- `missing_module`: its load_context imports a module no environment has;
- `unmet_requirement`: its requirements.txt asks for a package no index has;
- `hungry`: allocates `HUNGRY_MB` megabytes (touched, so resident) while it loads and holds
  them for a moment, so a model server with a smaller memory limit is killed before it is
  healthy (the build's own load has no limit, so the build passes).

Saved as models-from-code, like the demo models: no pickles, no network.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc

#: What the hungry model allocates while loading, and how long it then holds it (seconds).
HUNGRY_MB = 512
HUNGRY_HOLD_S = 2  # several memory samples (every 0.5 s) while it still loads

_MISSING_MODULE_CODE = """\
import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class NeverImports(PythonModel):
    def load_context(self, context):
        # Imported when the model loads (saving runs this file, loading calls this method).
        import serving_panel_triage_no_such_module  # noqa: F401 - installed nowhere, on purpose

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[str]:
        return ["unreachable"]


set_model(NeverImports())
"""

_PLAIN_CODE = """\
import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class Plain(PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[str]:
        return ["plain"]


set_model(Plain())
"""

_HUNGRY_CODE = f"""\
import time

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

KEPT = []


class Hungry(PythonModel):
    def load_context(self, context):
        KEPT.append(b"x" * ({HUNGRY_MB} * 1024 * 1024))
        time.sleep({HUNGRY_HOLD_S})

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[str]:
        return ["fed"]


set_model(Hungry())
"""

#: The requirement the unmet_requirement model asks for.
UNMET_REQUIREMENT = "serving-panel-triage-no-such-package==1.0"


def _save(directory: Path, name: str, code: str, requirements: list[str]) -> Path:
    source = directory / f"{name}.py"
    source.write_text(code)
    target = directory / name
    mlflow.pyfunc.save_model(
        path=str(target), python_model=str(source), pip_requirements=requirements
    )
    return target


def write_failing_models(directory: Path) -> dict[str, Path]:
    """Saves the failing models under `directory`; returns their directories by name."""
    return {
        "missing_module": _save(directory, "missing_module", _MISSING_MODULE_CODE, []),
        "unmet_requirement": _save(
            directory, "unmet_requirement", _PLAIN_CODE, [UNMET_REQUIREMENT]
        ),
        "hungry": _save(directory, "hungry", _HUNGRY_CODE, []),
    }
