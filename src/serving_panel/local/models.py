"""The local model store: registered MLflow pyfunc models as plain directories.

Layout: `<root>/<name>/<version>/model/` is a copy of the MLflow model directory and
`<root>/<name>/<version>/registered.json` records when and from where it was registered. A
version directory appears in one `os.rename` with both inside, so a version without
`registered.json` (or a `.staging-*` directory at the root) is debris of an interrupted
registration and is ignored.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

_NAME_PART = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME_RULE = (
    "model names are letters, digits, '_' and '-' (such as 'ads1'), or a Unity Catalog name "
    "catalog.schema.model whose three parts follow that rule"
)
_MAX_NAME_LENGTH = 255  # one directory name on common filesystems
_REGISTERED_FILE = "registered.json"
_MODEL_SUBDIR = "model"
_STAGING_PREFIX = ".staging-"
_CODE_MODEL_LOADER = "mlflow.pyfunc.loaders.code_model"
# Credentials in index URLs or direct references (scheme://user:token@host) are never echoed.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


class ModelStoreError(Exception):
    """A model store operation that cannot be done; the message says why, for the user."""


class InvalidModel(ModelStoreError):  # noqa: N818 - the name the rest of the workspace uses
    """The directory is not an MLflow model that the python_function flavor can load."""


class ModelNotFound(ModelStoreError):  # noqa: N818 - the name the rest of the workspace uses
    """No such registered model or version; the message lists what is registered."""


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    version: int
    path: Path  # the MLflow model directory, <root>/<name>/<version>/model
    registered_at_ms: int


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


def check_model_name(name: str) -> None:
    """Raises ModelStoreError unless `name` is a plain or a Unity Catalog three-part name.

    The rule also keeps names safe as directory names: no separators, no '..'.
    """
    if not isinstance(name, str) or not name:
        raise ModelStoreError(f"model name must be a non-empty string: {_NAME_RULE}")
    if len(name) > _MAX_NAME_LENGTH:
        raise ModelStoreError(
            f"model name is {len(name)} characters long; at most {_MAX_NAME_LENGTH} are allowed"
        )
    parts = name.split(".")
    if len(parts) not in (1, 3) or not all(_NAME_PART.match(part) for part in parts):
        raise ModelStoreError(f"invalid model name {name!r}: {_NAME_RULE}")


def _check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelStoreError(f"model version must be a positive integer, got {version!r}")
    return version


def _join(items: builtins.list[str]) -> str:
    return ", ".join(items) if items else "none"


class ModelStore:
    """Registered models under `root`; safe to share between threads of one process.

    Registration from several processes is safe too: the final rename refuses to replace a
    version another process registered first.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    # Registering --------------------------------------------------------------------------

    def register(self, name: str, source: Path, version: int | None = None) -> RegisteredModel:
        """Copies the MLflow model at `source` in as `name` version `version` (default: next).

        The model is validated before anything is copied, and a version that is already
        registered is refused without touching what is stored.
        """
        check_model_name(name)
        if version is not None:
            _check_version(version)
        source = Path(source)
        validate_mlmodel(source)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.root))
        try:
            # The slow part, the copy, happens outside the lock.
            shutil.copytree(source, staging / _MODEL_SUBDIR)
            with self._lock:
                return self._publish(name, version, staging, source)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _publish(
        self, name: str, version: int | None, staging: Path, source: Path
    ) -> RegisteredModel:
        """Moves a staged copy into place as one version; called with the lock held."""
        model_root = self.root / name
        model_root.mkdir(exist_ok=True)
        while True:
            chosen = version if version is not None else self._next_version(model_root)
            target = model_root / str(chosen)
            if (target / _REGISTERED_FILE).exists():
                raise self._duplicate(name, chosen, model_root)
            registered_at_ms = time.time_ns() // 1_000_000
            record = {
                "name": name,
                "version": chosen,
                "registered_at_ms": registered_at_ms,
                "source": str(source.resolve()),
            }
            (staging / _REGISTERED_FILE).write_text(json.dumps(record, indent=2) + "\n")
            try:
                os.rename(staging, target)
            except OSError as error:
                if (target / _REGISTERED_FILE).exists():
                    # Another process registered this version first.
                    if version is None:
                        continue  # take the next one
                    raise self._duplicate(name, chosen, model_root) from error
                if target.exists():
                    raise ModelStoreError(
                        f"cannot register model {name!r} version {chosen}: {target} exists but "
                        f"holds no {_REGISTERED_FILE} (left by an interrupted registration?); "
                        "remove that directory to use this version"
                    ) from error
                raise ModelStoreError(
                    f"cannot register model {name!r} version {chosen}: {error.strerror}"
                ) from error
            return RegisteredModel(name, chosen, target / _MODEL_SUBDIR, registered_at_ms)

    def _duplicate(self, name: str, version: int, model_root: Path) -> ModelStoreError:
        return ModelStoreError(
            f"model {name!r} already has version {version} in the local model store; "
            "registered versions are never replaced (register without a version to "
            f"add version {self._next_version(model_root)})"
        )

    @staticmethod
    def _next_version(model_root: Path) -> int:
        """1 + the highest version directory, registered or not, so debris is never reused."""
        numbers = [int(p.name) for p in _children(model_root) if p.name.isdigit()]
        return max(numbers, default=0) + 1

    # Reading ------------------------------------------------------------------------------

    def versions(self, name: str) -> builtins.list[int]:
        """The registered versions of `name`, ascending; empty when there are none."""
        check_model_name(name)
        return [model.version for model in self._read_versions(name)]

    def resolve(self, name: str, version: str | int) -> RegisteredModel:
        """The registered model `name` at `version` ("1" as the REST API sends it, or 1).

        Raises ModelNotFound naming what is registered, and ModelStoreError for a bad name.
        """
        check_model_name(name)
        registered = self._read_versions(name)
        if not registered:
            names = sorted({model.name for model in self.list()})
            raise ModelNotFound(
                f"no model named {name!r} in the local model store (registered: {_join(names)})"
            )
        available = _join([str(model.version) for model in registered])
        number = _parse_version(version)
        if number is None:
            raise ModelNotFound(
                f"model version must be a positive integer such as '1', got {version!r} "
                f"(model {name!r} has registered versions: {available})"
            )
        for model in registered:
            if model.version == number:
                return model
        raise ModelNotFound(
            f"model {name!r} has no version {number} in the local model store "
            f"(registered versions: {available})"
        )

    def _read_versions(self, name: str) -> builtins.list[RegisteredModel]:
        found = []
        for directory in _children(self.root / name):
            if not directory.name.isdigit() or directory.name.startswith("0"):
                continue
            model = _read_registered(name, int(directory.name), directory)
            if model is not None:
                found.append(model)
        return sorted(found, key=lambda model: model.version)

    def list(self) -> builtins.list[RegisteredModel]:
        """Every registered version of every model, sorted by name, then version."""
        models: builtins.list[RegisteredModel] = []
        for directory in sorted(_children(self.root), key=lambda p: p.name):
            with contextlib.suppress(ModelStoreError):
                check_model_name(directory.name)
                models.extend(self._read_versions(directory.name))
        return models


def _children(directory: Path) -> builtins.list[Path]:
    try:
        return [child for child in directory.iterdir() if child.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _read_registered(name: str, version: int, directory: Path) -> RegisteredModel | None:
    """The version in `directory`, or None when it is not a complete registration."""
    try:
        record = json.loads((directory / _REGISTERED_FILE).read_text())
        registered_at_ms = int(record["registered_at_ms"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return RegisteredModel(name, version, directory / _MODEL_SUBDIR, registered_at_ms)


def _parse_version(version: str | int) -> int | None:
    if isinstance(version, bool):
        return None
    if isinstance(version, int):
        return version if version >= 1 else None
    text = str(version).strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        return None
    return int(text)


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


def check_requirements(model_dir: Path) -> builtins.list[RequirementCheck]:
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


def _requirement_lines(text: str) -> builtins.list[str]:
    """Logical lines: comments dropped, backslash continuations joined, blanks skipped."""
    lines: builtins.list[str] = []
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
