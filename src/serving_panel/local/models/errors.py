"""The model errors, in a module of their own so the registry and the checks (which the child
processes import) share them without importing each other."""

from __future__ import annotations


class ModelStoreError(Exception):
    """A model store operation that cannot be done; the message says why, for the user."""


class InvalidModel(ModelStoreError):  # noqa: N818 - the name the rest of the workspace uses
    """The directory is not an MLflow model that the python_function flavor can load."""


class ModelNotFound(ModelStoreError):  # noqa: N818 - the name the rest of the workspace uses
    """No such registered model or version; the message lists what is registered."""
