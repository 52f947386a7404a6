"""The demo models are real MLflow models, and the loader subprocess reports on them.

The demo models are written once per module (about a second); each loader run is a fresh
Python process that imports MLflow (about a second).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from serving_panel.local.builds.loader import main
from serving_panel.local.logformat import LOG_LINE_PATTERN
from serving_panel.local.models.demo import (
    DEMO_MODEL_NAMES,
    SLOW_SECONDS_ENV,
    write_demo_models,
)
from serving_panel.local.models.inspect import check_requirements, validate_mlmodel
from serving_panel.local.models.registry import ModelStore, RegisteredModel

BROKEN_MESSAGE = "demo model 'broken' fails to load on purpose: missing weights file weights.bin"


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_models(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def registered(
    demo_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RegisteredModel]:
    store = ModelStore(tmp_path_factory.mktemp("store"))
    return {name: store.register(name, path) for name, path in demo_dirs.items()}


def run_loader(model: RegisteredModel) -> tuple[int, list[str], str]:
    completed = subprocess.run(
        [sys.executable, "-m", "serving_panel.local.builds.loader", str(model.path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed.returncode, completed.stdout.splitlines(), completed.stderr


def test_demo_models_are_valid_pyfunc_models_this_environment_can_serve(
    demo_dirs: dict[str, Path], registered: dict[str, RegisteredModel]
) -> None:
    assert sorted(demo_dirs) == sorted(DEMO_MODEL_NAMES)
    for name, model in registered.items():
        assert model.version == 1
        info = validate_mlmodel(model.path)
        assert info.loader_module == "mlflow.pyfunc.loaders.code_model"
        assert info.flavors == ("python_function",)
        assert info.has_signature is (name == "classifier")
        checks = check_requirements(model.path)
        assert [check.requirement.split("=")[0].split(">")[0] for check in checks] == [
            "mlflow",
            "numpy",
            "pandas",
        ]
        assert all(check.satisfied for check in checks), checks
        # Nothing pickled: the model is its code file, copied in with the model.
        assert not list(model.path.glob("*.pkl"))
        assert (model.path / f"demo_{name}.py").is_file()


def test_write_demo_models_refuses_to_overwrite(demo_dirs: dict[str, Path]) -> None:
    before = (demo_dirs["regressor"] / "MLmodel").read_text()
    with pytest.raises(FileExistsError, match="already exists"):
        write_demo_models(demo_dirs["regressor"].parent)
    assert (demo_dirs["regressor"] / "MLmodel").read_text() == before


def test_loader_subprocess_loads_the_regressor(registered: dict[str, RegisteredModel]) -> None:
    code, lines, stderr = run_loader(registered["regressor"])

    assert code == 0, stderr
    assert lines, "the loader printed nothing"
    assert [line for line in lines if not LOG_LINE_PATTERN.match(line)] == []
    messages = [line.split(" ", 2)[2] for line in lines]
    assert "loading model with mlflow.pyfunc.load_model" in messages
    assert any(
        message.startswith("model loaded in ")
        and message.endswith(" s (loader_module=mlflow.pyfunc.loaders.code_model, python_function)")
        for message in messages
    ), messages
    assert all(" ERROR " not in line for line in lines)


def test_loader_subprocess_reports_a_model_that_fails_to_load(
    registered: dict[str, RegisteredModel],
) -> None:
    code, lines, stderr = run_loader(registered["broken"])

    assert code == 4, stderr
    assert [line for line in lines if not LOG_LINE_PATTERN.match(line)] == []
    errors = [line.split(" ERROR ", 1)[1] for line in lines if " ERROR " in line]
    assert errors[0] == f"model failed to load: RuntimeError: {BROKEN_MESSAGE}"
    assert "Traceback (most recent call last):" in errors
    assert f"RuntimeError: {BROKEN_MESSAGE}" in errors[1:]
    assert any("load_context" in error for error in errors)
    assert not any("model loaded in" in line for line in lines)


def test_loader_reports_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    out = io.StringIO()

    code = main([str(tmp_path)], stdout=out)

    assert code == 4
    lines = out.getvalue().splitlines()
    assert all(LOG_LINE_PATTERN.match(line) for line in lines)
    assert lines[-1].split(" ", 2)[1:] == [
        "ERROR",
        f"model failed to load: InvalidModel: no MLmodel file in {tmp_path}: "
        "not an MLflow model directory",
    ]


def test_loader_turns_what_model_code_prints_into_log_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    code_file = tmp_path / "chatty.py"
    code_file.write_text(
        "import pandas as pd\n"
        "from mlflow.models import set_model\n"
        "from mlflow.pyfunc import PythonModel\n"
        "\n"
        "class Chatty(PythonModel):\n"
        "    def load_context(self, context):\n"
        "        print('warming up the cache')\n"
        "        print('partial line', end='')\n"
        "\n"
        "    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:\n"
        "        return model_input\n"
        "\n"
        "set_model(Chatty())\n"
    )
    mlflow.pyfunc.save_model(
        path=str(tmp_path / "model"), python_model=str(code_file), pip_requirements=[]
    )
    out = io.StringIO()

    code = main([str(tmp_path / "model")], stdout=out)

    assert code == 0
    lines = out.getvalue().splitlines()
    assert all(LOG_LINE_PATTERN.match(line) for line in lines), lines
    messages = [line.split(" ", 2)[1:] for line in lines]
    assert ["INFO", "warming up the cache"] in messages
    assert ["INFO", "partial line"] in messages


def test_regressor_predicts_in_process(registered: dict[str, RegisteredModel]) -> None:
    model = mlflow.pyfunc.load_model(str(registered["regressor"].path))

    predictions = model.predict(pd.DataFrame({"x": [1, 2.5, -3]}))

    assert list(predictions) == [3.0, 6.0, -5.0]
    with pytest.raises(ValueError, match="needs a column 'x', got columns: \\['y'\\]"):
        model.predict(pd.DataFrame({"y": [1.0]}))


def test_classifier_predicts_in_process(registered: dict[str, RegisteredModel]) -> None:
    model = mlflow.pyfunc.load_model(str(registered["classifier"].path))
    texts = ["What a great, awesome day", "This is terrible and I hate it", "It is a chair", ""]

    predictions = model.predict(pd.DataFrame({"text": texts}))

    assert list(predictions) == ["positive", "negative", "neutral", "neutral"]
    # The signature is enforced: a missing text column is refused before the model runs.
    with pytest.raises(MlflowException, match=r"missing inputs.*text"):
        model.predict(pd.DataFrame({"words": ["good"]}))


def test_broken_fails_in_process_with_its_message(
    registered: dict[str, RegisteredModel],
) -> None:
    with pytest.raises(RuntimeError, match="fails to load on purpose"):
        mlflow.pyfunc.load_model(str(registered["broken"].path))


def test_slow_waits_as_long_as_configured_then_predicts(
    registered: dict[str, RegisteredModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SLOW_SECONDS_ENV, "0.3")
    started = time.monotonic()
    model = mlflow.pyfunc.load_model(str(registered["slow"].path))
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3
    assert list(model.predict(pd.DataFrame({"x": [0, 1]}))) == [1.0, 3.0]

    monkeypatch.setenv(SLOW_SECONDS_ENV, "soon")
    with pytest.raises(ValueError, match=f"{SLOW_SECONDS_ENV} must be a number of seconds"):
        mlflow.pyfunc.load_model(str(registered["slow"].path))
