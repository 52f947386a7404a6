"""Checks an MLflow model directory without loading it: the MLmodel file (a loadable
python_function flavor, the files it names) and requirements.txt against this environment;
and the signature it was logged with, for the endpoint's OpenAPI document.

Both child processes (the build's loader and the model server) run `validate_mlmodel` first, so
this module imports nothing of the workspace but the model errors, and MLflow not at all.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from serving_panel.local.models.errors import InvalidModel

_CODE_MODEL_LOADER = "mlflow.pyfunc.loaders.code_model"
# Credentials in index URLs or direct references (scheme://user:token@host) are never echoed.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


@dataclass(frozen=True)
class MLmodelInfo:
    loader_module: str
    python_version: str | None
    flavors: tuple[str, ...]
    has_signature: bool
    model_uuid: str | None


@dataclass(frozen=True)
class RequirementCheck:
    requirement: str
    installed: str | None
    satisfied: bool
    note: str


# MLmodel -----------------------------------------------------------------------------------


def validate_mlmodel(model_dir: Path) -> MLmodelInfo:
    """Checks that `model_dir` holds an MLflow model with a loadable python_function flavor.

    Reads only the MLmodel file (and checks that the files it names exist), so it is cheap
    enough to run before copying or loading anything.
    """
    import yaml  # type: ignore[import-untyped]  # PyYAML ships with MLflow, without stubs

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InvalidModel(f"{model_dir} is not a directory: not an MLflow model directory")
    mlmodel = model_dir / "MLmodel"
    if not mlmodel.is_file():
        raise InvalidModel(f"no MLmodel file in {model_dir}: not an MLflow model directory")
    try:
        document: Any = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidModel(f"MLmodel: cannot be read: {error}") from error
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise InvalidModel(f"MLmodel: not valid YAML{line}") from error
    if not isinstance(document, dict):
        raise InvalidModel(
            f"MLmodel: expected a mapping at the top level, found {type(document).__name__}"
        )
    flavors = document.get("flavors")
    if not isinstance(flavors, dict) or not flavors:
        raise InvalidModel("MLmodel: missing the flavors section, so no flavor can load it")
    names = tuple(str(flavor) for flavor in flavors)
    pyfunc = flavors.get("python_function")
    if pyfunc is None:
        raise InvalidModel(
            f"MLmodel: missing the python_function flavor (found flavors: {', '.join(names)})"
        )
    if not isinstance(pyfunc, dict):
        raise InvalidModel("MLmodel: the python_function flavor must be a mapping")
    loader_module = pyfunc.get("loader_module")
    if not isinstance(loader_module, str) or not loader_module:
        raise InvalidModel("MLmodel: the python_function flavor has no loader_module")
    _check_named_files(model_dir, loader_module, pyfunc)
    python_version = pyfunc.get("python_version")
    model_uuid = document.get("model_uuid")
    return MLmodelInfo(
        loader_module=loader_module,
        python_version=None if python_version is None else str(python_version),
        flavors=names,
        has_signature=bool(document.get("signature")),
        model_uuid=None if model_uuid is None else str(model_uuid),
    )


def read_signature(model_dir: Path) -> dict[str, Any] | None:
    """The model's logged signature as `{"inputs": [...], "outputs": [...]}` (MLflow's column
    or tensor specs, decoded), or None when it has none or it can't be read."""
    import yaml

    try:
        document: Any = yaml.safe_load((Path(model_dir) / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    signature = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(signature, dict) or not signature.get("inputs"):
        return None
    decoded: dict[str, Any] = {}
    for key in ("inputs", "outputs"):
        raw = signature.get(key)
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            return None
        decoded[key] = value if isinstance(value, list) else []
    return decoded


def _check_named_files(model_dir: Path, loader_module: str, pyfunc: dict[Any, Any]) -> None:
    """The files the python_function flavor loads from must be there (a truncated copy isn't)."""
    if loader_module == _CODE_MODEL_LOADER:
        code_path = pyfunc.get("model_code_path")
        if not isinstance(code_path, str) or not code_path:
            raise InvalidModel("MLmodel: a models-from-code model needs model_code_path")
        # MLflow loads the copy next to MLmodel, by base name, wherever the model was saved.
        code_file = os.path.basename(code_path.replace("\\", "/"))
        if not (model_dir / code_file).is_file():
            raise InvalidModel(
                f"MLmodel: model_code_path names {code_file}, which is missing from {model_dir}"
            )
    pickled = pyfunc.get("python_model")
    if isinstance(pickled, str) and not (model_dir / pickled).is_file():
        raise InvalidModel(
            f"MLmodel: python_model names {pickled}, which is missing from {model_dir}"
        )


# requirements.txt --------------------------------------------------------------------------


def check_requirements(model_dir: Path) -> list[RequirementCheck]:
    """Checks the model's requirements.txt against what this environment has installed.

    Nothing is installed: the local workspace serves from its own environment, so a model
    whose requirements that environment does not meet is reported rather than fixed. Option
    lines (-r, --extra-index-url, ...) are reported as skipped and count as satisfied.
    """
    path = Path(model_dir) / "requirements.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [_check_line(line) for line in _requirement_lines(text)]


def _requirement_lines(text: str) -> list[str]:
    """Logical lines: comments dropped, backslash continuations joined, blanks skipped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = pending + raw
        pending = ""
        if line.lstrip().startswith("#"):
            continue
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line:
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines


def _redact(text: str) -> str:
    return _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)


def _check_line(line: str) -> RequirementCheck:
    shown = _redact(line)
    if line.startswith("-"):
        return RequirementCheck(shown, None, True, "skipped: pip option lines are not checked")
    try:
        requirement = Requirement(line)
    except InvalidRequirement as error:
        return RequirementCheck(
            shown, None, False, f"not a valid requirement: {_redact(str(error))}"
        )
    name = canonicalize_name(requirement.name)
    installed = _installed_version(name)
    stand_in = ""
    if installed is None and name == "mlflow":
        installed = _installed_version("mlflow-skinny")
        if installed is not None:
            stand_in = f"mlflow-skinny {installed} stands in for mlflow"
    if requirement.marker is not None:
        try:
            applies = requirement.marker.evaluate({"extra": ""})
        except Exception as error:  # packaging raises several kinds for odd markers
            return RequirementCheck(shown, installed, False, f"cannot evaluate marker: {error}")
        if not applies:
            return RequirementCheck(shown, installed, True, "marker does not apply")
    notes = [stand_in] if stand_in else []
    if requirement.extras:
        notes.append(f"extras [{', '.join(sorted(requirement.extras))}] not checked")
    if requirement.url:
        notes.append("direct reference: the installed version is not compared with the URL")
    if installed is None:
        return RequirementCheck(shown, None, False, "; ".join(["not installed", *notes]))
    try:
        version = Version(installed)
    except InvalidVersion:
        notes.insert(0, f"installed version {installed!r} cannot be compared")
        return RequirementCheck(shown, installed, False, "; ".join(notes))
    if not requirement.specifier.contains(version, prereleases=True):
        notes.insert(0, f"installed {installed} is outside {requirement.specifier}")
        return RequirementCheck(shown, installed, False, "; ".join(notes))
    return RequirementCheck(shown, installed, True, "; ".join(notes))


def _installed_version(canonical_name: str) -> str | None:
    # Distributions record their names in several spellings; try the common ones.
    spellings = dict.fromkeys(
        [canonical_name, canonical_name.replace("-", "_"), canonical_name.replace("-", ".")]
    )
    for spelling in spellings:
        try:
            return importlib.metadata.version(spelling)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None
