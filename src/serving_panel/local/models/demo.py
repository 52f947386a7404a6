"""Small real MLflow pyfunc models for demos and tests of the local workspace.

They are saved as models-from-code: each model is a short Python file that MLflow copies into
the model directory and runs at load time, so nothing is pickled and the models load in any
process with mlflow-skinny and pandas, without serving_panel installed. Saving them needs no
network: the pip requirements are given, not inferred.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

DEMO_MODEL_NAMES = ("regressor", "classifier", "broken", "slow", "streamer")

# Read by the "slow" model when it loads, so one saved model can take as long as a test needs.
SLOW_SECONDS_ENV = "SERVING_PANEL_DEMO_SLOW_SECONDS"
DEFAULT_SLOW_SECONDS = 5.0

_REGRESSOR_CODE = '''\
"""Demo regressor: y = 2.0 * x + 1.0 for each row of a DataFrame with a column "x"."""

from __future__ import annotations

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class LinearRegressor(PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[float]:
        frame = pd.DataFrame(model_input)
        if "x" not in frame.columns:
            raise ValueError(
                f"the regressor needs a column 'x', got columns: {list(frame.columns)}"
            )
        return (2.0 * frame["x"].astype("float64") + 1.0).tolist()


set_model(LinearRegressor())
'''

_CLASSIFIER_CODE = '''\
"""Demo sentiment classifier: "positive", "negative" or "neutral" by keyword counts."""

from __future__ import annotations

import re

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

POSITIVE = {
    "good", "great", "excellent", "love", "loved", "happy", "awesome", "fantastic", "nice",
    "wonderful", "best", "like",
}
NEGATIVE = {
    "bad", "terrible", "awful", "hate", "hated", "sad", "poor", "horrible", "worst",
    "boring", "broken", "dislike",
}


def label(text: object) -> str:
    if not isinstance(text, str):
        return "neutral"
    words = re.findall(r"[a-z']+", text.lower())
    score = sum(w in POSITIVE for w in words) - sum(w in NEGATIVE for w in words)
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


class KeywordClassifier(PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[str]:
        frame = pd.DataFrame(model_input)
        if "text" not in frame.columns:
            raise ValueError(
                f"the classifier needs a column 'text', got columns: {list(frame.columns)}"
            )
        return [label(text) for text in frame["text"]]


set_model(KeywordClassifier())
'''

_BROKEN_CODE = '''\
"""Demo model that never loads, to show what a failed build looks like."""

from __future__ import annotations

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class BrokenModel(PythonModel):
    def load_context(self, context) -> None:
        raise RuntimeError(
            "demo model 'broken' fails to load on purpose: missing weights file weights.bin"
        )

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[float]:
        raise RuntimeError("demo model 'broken' never loads, so it never predicts")


set_model(BrokenModel())
'''

_SLOW_CODE = f'''\
"""Demo model that takes a while to load (${SLOW_SECONDS_ENV} seconds, default
{DEFAULT_SLOW_SECONDS:g}), then predicts like the regressor: y = 2.0 * x + 1.0."""

from __future__ import annotations

import os
import time

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class SlowRegressor(PythonModel):
    def load_context(self, context) -> None:
        raw = os.environ.get("{SLOW_SECONDS_ENV}", "{DEFAULT_SLOW_SECONDS:g}")
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError(
                f"{SLOW_SECONDS_ENV} must be a number of seconds, got {{raw!r}}"
            ) from None
        time.sleep(max(seconds, 0.0))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[float]:
        frame = pd.DataFrame(model_input)
        if "x" not in frame.columns:
            raise ValueError(
                f"the slow model needs a column 'x', got columns: {{list(frame.columns)}}"
            )
        return (2.0 * frame["x"].astype("float64") + 1.0).tolist()


set_model(SlowRegressor())
'''

_STREAMER_CODE = '''\
"""Demo streaming model: reverses the order of the words of each prompt.

Input: a "prompt" string column, as `{"dataframe_records": [{"prompt": "a b c"}]}`,
`{"dataframe_split": ...}`, `{"inputs": {"prompt": ["a b c"]}}` or, as a completions request,
`{"prompt": "a b c"}`. `predict` returns one string per prompt ("c b a"). `predict_stream`
(MLflow allows exactly one prompt) yields one chunk per word of that string, shaped like a
chat completion chunk: {"choices": [{"index": 0, "delta": {"content": "c"}}]}, then " b" and
" a", so the contents joined are what `predict` returns.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


def prompts(model_input: object) -> list[str]:
    if isinstance(model_input, pd.DataFrame):
        if "prompt" not in model_input.columns:
            raise ValueError(
                f"the streamer needs a column 'prompt', got columns: {list(model_input.columns)}"
            )
        values = list(model_input["prompt"])
    elif isinstance(model_input, dict):
        if "prompt" not in model_input:
            raise ValueError(
                f"the streamer needs a field 'prompt', got fields: {list(model_input)}"
            )
        values = np.atleast_1d(np.asarray(model_input["prompt"], dtype=object)).tolist()
    elif isinstance(model_input, str):
        values = [model_input]
    else:
        raise ValueError(
            f"the streamer needs prompts, got {type(model_input).__name__}"
        )
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"each prompt must be a string, got {value!r}")
    return values


def reverse_words(prompt: str) -> list[str]:
    return list(reversed(prompt.split()))


class WordReverser(PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[str]:
        return [" ".join(reverse_words(prompt)) for prompt in prompts(model_input)]

    def predict_stream(self, context, model_input: pd.DataFrame, params=None) -> Iterator[dict]:
        values = prompts(model_input)
        if len(values) != 1:
            raise ValueError(f"the streamer streams one prompt at a time, got {len(values)}")
        prompt = values[0]
        for index, word in enumerate(reverse_words(prompt)):
            content = word if index == 0 else " " + word
            yield {"choices": [{"index": 0, "delta": {"content": content}}]}


set_model(WordReverser())
'''

_CODE = {
    "regressor": _REGRESSOR_CODE,
    "classifier": _CLASSIFIER_CODE,
    "broken": _BROKEN_CODE,
    "slow": _SLOW_CODE,
    "streamer": _STREAMER_CODE,
}


class _DropSignatureWarning(logging.Filter):
    """MLflow warns that a DataFrame type hint gives no signature; for these models that's
    deliberate (see `write_demo_models`), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to infer model signature")


def write_demo_models(target: Path) -> dict[str, Path]:
    """Saves the demo models as `target/<name>/` and returns their directories by name.

    Only the classifier has a signature. The numeric models take "x" as ints or floats:
    with a double column in the signature MLflow would refuse JSON integers such as
    {"x": 3} (int64 does not convert safely to float64), which is a poor first demo.
    """
    import mlflow
    import mlflow.pyfunc
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    target = Path(target)
    paths = {name: target / name for name in DEMO_MODEL_NAMES}
    for path in paths.values():
        if path.exists():
            raise FileExistsError(f"{path} already exists; demo models are written to new paths")
    target.mkdir(parents=True, exist_ok=True)
    requirements = [f"mlflow=={mlflow.__version__}", "numpy>=1.24", "pandas>=2.0"]
    signatures = {
        "classifier": ModelSignature(
            inputs=Schema([ColSpec("string", "text")]), outputs=Schema([ColSpec("string")])
        )
    }
    pyfunc_logger = logging.getLogger("mlflow.pyfunc")
    quiet = _DropSignatureWarning()
    pyfunc_logger.addFilter(quiet)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="serving-panel-demo-") as code_dir,
            warnings.catch_warnings(),
        ):
            # Input examples would make MLflow load (and so run) each model while saving.
            warnings.filterwarnings(
                "ignore", message=".*input example was not provided", category=UserWarning
            )
            for name, path in paths.items():
                code_file = Path(code_dir) / f"demo_{name}.py"
                code_file.write_text(_CODE[name], encoding="utf-8")
                mlflow.pyfunc.save_model(
                    path=str(path),
                    python_model=str(code_file),
                    pip_requirements=requirements,
                    signature=signatures.get(name),
                )
    finally:
        pyfunc_logger.removeFilter(quiet)
    return paths
