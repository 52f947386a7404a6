"""How the two model processes exit, so the workspace can tell why one stopped: the build's
loader (`builds/loader.py`) and the model server (this package) use the same codes.

4 is gunicorn's APP_LOAD_ERROR, which Databricks' model server reports when a model fails to load.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2  # bad arguments, or (the model server) an unusable --fd
EXIT_MLFLOW_IMPORT_ERROR = 3  # MLflow itself cannot be imported
EXIT_APP_LOAD_ERROR = 4  # the model failed to load
