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
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from serving_panel.local.models.errors import ModelNotFound, ModelStoreError
from serving_panel.local.models.inspect import validate_mlmodel

_NAME_PART = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME_RULE = (
    "model names are letters, digits, '_' and '-' (such as 'ads1'), or a Unity Catalog name "
    "catalog.schema.model whose three parts follow that rule"
)
_MAX_NAME_LENGTH = 255  # one directory name on common filesystems
_REGISTERED_FILE = "registered.json"
_MODEL_SUBDIR = "model"
_STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    version: int
    path: Path  # the MLflow model directory, <root>/<name>/<version>/model
    registered_at_ms: int


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

    def registered(self, name: str) -> builtins.list[RegisteredModel]:
        """The registered versions of `name` with when each was registered, ascending by
        version; empty when there are none."""
        check_model_name(name)
        return self._read_versions(name)

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
    # A version has at most 18 digits: past 4,300, int() itself refuses the string.
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < 1:
        return None
    return int(text)
