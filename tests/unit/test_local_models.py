"""The local model store, MLmodel validation, requirement checks and the log line format.

Models here are hand-written MLmodel files, not saved by MLflow, so these tests stay fast and
never import MLflow.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from serving_panel.local.logformat import LOG_LINE_PATTERN, format_log_line
from serving_panel.local.models.errors import InvalidModel, ModelNotFound, ModelStoreError
from serving_panel.local.models.inspect import (
    RequirementCheck,
    check_requirements,
    validate_mlmodel,
)
from serving_panel.local.models.registry import ModelStore

PYFUNC_MLMODEL = """\
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
    env:
      virtualenv: python_env.yaml
mlflow_version: 3.17.2
model_uuid: 0123abcd
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
"""


def make_model(directory: Path, content: str = "weights-v1") -> Path:
    """A directory that passes validate_mlmodel: an MLmodel and the pickle it names."""
    directory.mkdir(parents=True)
    (directory / "MLmodel").write_text(PYFUNC_MLMODEL)
    (directory / "python_model.pkl").write_text(content)
    return directory


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_model(tmp_path / "source")


# Registering -------------------------------------------------------------------------------


def test_register_copies_the_model_and_records_it(store: ModelStore, source: Path) -> None:
    model = store.register("ads1", source)

    assert (model.name, model.version) == ("ads1", 1)
    assert model.path == store.root / "ads1" / "1" / "model"
    assert (model.path / "python_model.pkl").read_text() == "weights-v1"
    record = json.loads((store.root / "ads1" / "1" / "registered.json").read_text())
    assert record == {
        "name": "ads1",
        "version": 1,
        "registered_at_ms": model.registered_at_ms,
        "source": str(source.resolve()),
    }
    now_ms = datetime.now(timezone.utc).timestamp() * 1000
    assert now_ms - 60_000 < model.registered_at_ms <= now_ms + 1


def test_versions_count_up_and_explicit_versions_are_kept(store: ModelStore, source: Path) -> None:
    assert store.register("ads1", source).version == 1
    assert store.register("ads1", source, version=5).version == 5
    assert store.register("ads1", source).version == 6
    assert store.versions("ads1") == [1, 5, 6]
    assert store.versions("unknown") == []


def test_resolve_takes_wire_strings_and_ints(store: ModelStore, source: Path) -> None:
    first = store.register("ads1", source)
    second = store.register("ads1", source)

    assert store.resolve("ads1", "1") == first
    assert store.resolve("ads1", 2) == second
    assert store.resolve("ads1", " 2 ") == second


def test_list_is_sorted_by_name_then_version(store: ModelStore, source: Path) -> None:
    store.register("zeta", source)
    store.register("main.default.churn", source, version=2)
    store.register("main.default.churn", source, version=1)
    store.register("alpha", source)

    assert [(m.name, m.version) for m in store.list()] == [
        ("alpha", 1),
        ("main.default.churn", 1),
        ("main.default.churn", 2),
        ("zeta", 1),
    ]
    assert ModelStore(store.root / "nowhere").list() == []


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a/b",
        "..",
        ".",
        "a b",
        "a.b",
        "a.b.c.d",
        "a..b",
        "main..model",
        "../etc",
        "é",
        "a" * 256,
    ],
)
def test_bad_names_are_refused_naming_the_rule(store: ModelStore, source: Path, name: str) -> None:
    with pytest.raises(ModelStoreError, match="model name") as caught:
        store.register(name, source)
    assert not isinstance(caught.value, ModelNotFound)
    assert not store.root.exists() or not any(store.root.iterdir())


@pytest.mark.parametrize("name", ["ads1", "my_model-2", "main.default.ads1", "A.b_1.c-2"])
def test_plain_and_unity_catalog_names_are_accepted(
    store: ModelStore, source: Path, name: str
) -> None:
    assert store.register(name, source).name == name
    assert store.resolve(name, "1").path.is_dir()


def test_the_name_rule_is_spelled_out(store: ModelStore, source: Path) -> None:
    with pytest.raises(ModelStoreError) as caught:
        store.register("a/b", source)
    assert str(caught.value) == (
        "invalid model name 'a/b': model names are letters, digits, '_' and '-' (such as "
        "'ads1'), or a Unity Catalog name catalog.schema.model whose three parts follow that rule"
    )


@pytest.mark.parametrize("version", [0, -1, True])
def test_versions_must_be_positive_integers(store: ModelStore, source: Path, version: int) -> None:
    with pytest.raises(ModelStoreError, match="model version must be a positive integer"):
        store.register("ads1", source, version=version)
    assert store.versions("ads1") == []


def test_a_registered_version_is_never_replaced(
    store: ModelStore, source: Path, tmp_path: Path
) -> None:
    first = store.register("ads1", source, version=1)
    record = (store.root / "ads1" / "1" / "registered.json").read_text()
    other = make_model(tmp_path / "other", content="weights-v2")

    with pytest.raises(ModelStoreError, match="already has version 1") as caught:
        store.register("ads1", other, version=1)

    assert "add version 2" in str(caught.value)
    assert (first.path / "python_model.pkl").read_text() == "weights-v1"
    assert (store.root / "ads1" / "1" / "registered.json").read_text() == record
    assert store.list() == [first]
    # No staging copy is left behind either.
    assert sorted(p.name for p in store.root.iterdir()) == ["ads1"]


def test_an_invalid_model_is_refused_before_anything_is_copied(
    store: ModelStore, tmp_path: Path
) -> None:
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    (not_a_model / "weights.bin").write_bytes(b"\0")

    with pytest.raises(InvalidModel, match="no MLmodel file"):
        store.register("ads1", not_a_model)

    assert not (store.root / "ads1").exists()
    assert store.list() == []


# Not found ---------------------------------------------------------------------------------


def test_unknown_model_names_what_is_registered(store: ModelStore, source: Path) -> None:
    with pytest.raises(ModelNotFound) as empty:
        store.resolve("x", "1")
    assert str(empty.value) == "no model named 'x' in the local model store (registered: none)"

    store.register("b", source)
    store.register("a", source)
    store.register("a", source)
    with pytest.raises(ModelNotFound) as caught:
        store.resolve("x", "1")
    assert str(caught.value) == "no model named 'x' in the local model store (registered: a, b)"


def test_unknown_version_names_the_registered_versions(store: ModelStore, source: Path) -> None:
    store.register("ads1", source)
    store.register("ads1", source)

    with pytest.raises(ModelNotFound) as caught:
        store.resolve("ads1", "3")
    assert str(caught.value) == (
        "model 'ads1' has no version 3 in the local model store (registered versions: 1, 2)"
    )


@pytest.mark.parametrize("version", ["latest", "", "1.0", "-1", "0", "٣", 0])
def test_non_numeric_versions_are_not_found_with_a_reason(
    store: ModelStore, source: Path, version: str | int
) -> None:
    store.register("ads1", source)

    with pytest.raises(ModelNotFound) as caught:
        store.resolve("ads1", version)
    assert str(caught.value) == (
        f"model version must be a positive integer such as '1', got {version!r} "
        "(model 'ads1' has registered versions: 1)"
    )


def test_resolve_refuses_bad_names_as_a_store_error(store: ModelStore) -> None:
    with pytest.raises(ModelStoreError, match=re.escape("invalid model name '../x'")):
        store.resolve("../x", "1")


# Crashes and concurrency -------------------------------------------------------------------


def test_debris_of_an_interrupted_registration_is_ignored(store: ModelStore, source: Path) -> None:
    store.register("ads1", source)
    # What a crash can leave: a staging copy at the root and a version without registered.json.
    (store.root / ".staging-abc123" / "model").mkdir(parents=True)
    (store.root / "ads1" / "2" / "model").mkdir(parents=True)
    (store.root / "half").mkdir()

    assert [(m.name, m.version) for m in store.list()] == [("ads1", 1)]
    assert store.versions("ads1") == [1]
    with pytest.raises(ModelNotFound, match="no version 2"):
        store.resolve("ads1", "2")
    # The next version skips the debris rather than fighting it...
    assert store.register("ads1", source).version == 3
    # ...and asking for the debris' version explains what is in the way.
    with pytest.raises(ModelStoreError, match=re.escape("holds no registered.json")):
        store.register("ads1", source, version=2)


def test_concurrent_registrations_get_distinct_versions(store: ModelStore, source: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        models = list(pool.map(lambda _: store.register("ads1", source), range(16)))

    assert sorted(m.version for m in models) == list(range(1, 17))
    assert store.versions("ads1") == list(range(1, 17))


def test_concurrent_registrations_of_one_version_let_exactly_one_win(
    store: ModelStore, source: Path
) -> None:
    start = threading.Barrier(8)

    def attempt(_: int) -> bool:
        start.wait()
        try:
            store.register("ads1", source, version=1)
        except ModelStoreError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))

    assert outcomes.count(True) == 1
    assert store.versions("ads1") == [1]
    assert sorted(p.name for p in store.root.iterdir()) == ["ads1"]


# MLmodel -----------------------------------------------------------------------------------


def test_validate_mlmodel_reads_the_pyfunc_flavor(source: Path) -> None:
    info = validate_mlmodel(source)

    assert info.loader_module == "mlflow.pyfunc.model"
    assert info.python_version == "3.11.7"
    assert info.flavors == ("python_function",)
    assert info.has_signature is True
    assert info.model_uuid == "0123abcd"


def test_validate_mlmodel_without_mlmodel(tmp_path: Path) -> None:
    with pytest.raises(InvalidModel) as caught:
        validate_mlmodel(tmp_path)
    assert str(caught.value) == f"no MLmodel file in {tmp_path}: not an MLflow model directory"


def test_validate_mlmodel_on_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidModel, match="is not a directory"):
        validate_mlmodel(tmp_path / "missing")


@pytest.mark.parametrize(
    ("mlmodel", "message"),
    [
        (
            "flavors:\n  sklearn:\n    pickled_model: model.pkl\n",
            "MLmodel: missing the python_function flavor (found flavors: sklearn)",
        ),
        (
            "flavors:\n  sklearn: {}\n  xgboost: {}\n",
            "MLmodel: missing the python_function flavor (found flavors: sklearn, xgboost)",
        ),
        (
            "flavors:\n  python_function:\n    python_version: 3.11.7\n",
            "MLmodel: the python_function flavor has no loader_module",
        ),
        ("mlflow_version: 3.17.2\n", "MLmodel: missing the flavors section"),
        ("- just\n- a list\n", "MLmodel: expected a mapping at the top level, found list"),
        ("flavors: [unclosed\n", "MLmodel: not valid YAML (line 2)"),
        (
            "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.loaders.code_model\n"
            "    model_code_path: /elsewhere/model.py\n",
            "MLmodel: model_code_path names model.py, which is missing from",
        ),
    ],
)
def test_validate_mlmodel_says_what_is_wrong(tmp_path: Path, mlmodel: str, message: str) -> None:
    (tmp_path / "MLmodel").write_text(mlmodel)

    with pytest.raises(InvalidModel) as caught:
        validate_mlmodel(tmp_path)
    assert str(caught.value).startswith(message)


def test_a_models_from_code_model_is_found_by_base_name(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.loaders.code_model\n"
        "    model_code_path: /tmp/gone/demo.py\n"
    )
    (tmp_path / "demo.py").write_text("")

    info = validate_mlmodel(tmp_path)
    assert info.loader_module == "mlflow.pyfunc.loaders.code_model"
    assert (info.python_version, info.has_signature, info.model_uuid) == (None, False, None)


# requirements.txt --------------------------------------------------------------------------


def by_requirement(checks: list[RequirementCheck]) -> dict[str, RequirementCheck]:
    return {check.requirement: check for check in checks}


def test_check_requirements_line_by_line(tmp_path: Path) -> None:
    packaging_version = importlib.metadata.version("packaging")
    (tmp_path / "requirements.txt").write_text(
        "# saved by MLflow\n"
        "\n"
        "packaging>=20  # inline comments go\n"
        "packaging<1\n"
        "not a requirement !!!\n"
        "no-such-package-for-serving-panel==1.0\n"
        'pywin32==306; sys_platform == "win32" and sys_platform == "darwin"\n'
        "-r more-requirements.txt\n"
        "--extra-index-url https://build:s3cr3t-t0ken@pypi.example.com/simple\n"
        "Packaging[extra]>=20\n"
    )

    checks = check_requirements(tmp_path)
    found = by_requirement(checks)

    assert len(checks) == 8
    assert found["packaging>=20"] == RequirementCheck("packaging>=20", packaging_version, True, "")
    assert found["packaging<1"].satisfied is False
    assert found["packaging<1"].installed == packaging_version
    assert found["packaging<1"].note == f"installed {packaging_version} is outside <1"
    assert found["not a requirement !!!"].satisfied is False
    assert found["not a requirement !!!"].note.startswith("not a valid requirement")
    missing = found["no-such-package-for-serving-panel==1.0"]
    assert (missing.installed, missing.satisfied, missing.note) == (None, False, "not installed")
    marker = found['pywin32==306; sys_platform == "win32" and sys_platform == "darwin"']
    assert (marker.satisfied, marker.note) == (True, "marker does not apply")
    assert found["-r more-requirements.txt"].satisfied is True
    assert found["-r more-requirements.txt"].note.startswith("skipped")
    assert found["Packaging[extra]>=20"].satisfied is True
    assert "extras [extra] not checked" in found["Packaging[extra]>=20"].note


def test_check_requirements_never_echoes_credentials(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "--extra-index-url https://build:s3cr3t-t0ken@pypi.example.com/simple\n"
        "demo @ https://user:p4ss@files.example.com/demo-1.0-py3-none-any.whl\n"
    )

    checks = check_requirements(tmp_path)

    assert [check.requirement for check in checks] == [
        "--extra-index-url https://***@pypi.example.com/simple",
        "demo @ https://***@files.example.com/demo-1.0-py3-none-any.whl",
    ]
    assert not any("s3cr3t" in repr(check) or "p4ss" in repr(check) for check in checks)


def test_mlflow_is_satisfied_by_mlflow_skinny(tmp_path: Path) -> None:
    skinny = importlib.metadata.version("mlflow-skinny")
    try:
        importlib.metadata.version("mlflow")
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        pytest.fail("this test expects the environment to have mlflow-skinny, not mlflow")
    (tmp_path / "requirements.txt").write_text(f"mlflow=={skinny}\nmlflow<1\n")

    ok, too_new = check_requirements(tmp_path)

    assert (ok.installed, ok.satisfied) == (skinny, True)
    assert ok.note == f"mlflow-skinny {skinny} stands in for mlflow"
    assert (too_new.installed, too_new.satisfied) == (skinny, False)


def test_no_requirements_file_means_nothing_to_check(tmp_path: Path) -> None:
    assert check_requirements(tmp_path) == []


# Log lines ---------------------------------------------------------------------------------


def test_format_log_line_exact_format() -> None:
    now = datetime(2026, 11, 24, 20, 13, 0, 123456, tzinfo=timezone.utc)
    assert format_log_line("INFO", "hello", now) == "2026-11-24T20:13:00.123Z INFO hello"


def test_format_log_line_converts_to_utc_and_reads_naive_times_as_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    aware = datetime(2026, 11, 24, 22, 13, 0, 5000, tzinfo=plus_two)
    naive = datetime(2026, 11, 24, 20, 13, 0, 5000)
    assert format_log_line("ERROR", "x", aware) == "2026-11-24T20:13:00.005Z ERROR x"
    assert format_log_line("ERROR", "x", naive) == "2026-11-24T20:13:00.005Z ERROR x"


def test_format_log_line_defaults_to_now_and_stays_one_line() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    line = format_log_line("WARNING", "two\nlines\r\nhere")
    match = LOG_LINE_PATTERN.match(line)

    assert match is not None
    assert match["level"] == "WARNING"
    assert match["message"] == "two\\nlines\\nhere"
    stamp = datetime.strptime(match["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert stamp.replace(tzinfo=timezone.utc) >= before


def test_format_log_line_refuses_unknown_levels() -> None:
    with pytest.raises(ValueError, match="log level must be one of DEBUG, INFO, WARNING, ERROR"):
        format_log_line("warn", "x")
