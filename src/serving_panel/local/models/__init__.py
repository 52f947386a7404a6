"""Models: the local model registry (directories of MLflow models), MLmodel and requirements
checks, and the demo models. Imports nothing else of the workspace."""
