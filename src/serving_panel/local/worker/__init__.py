"""The model server: the child process that serves one MLflow model over HTTP,
`python -m serving_panel.local.worker MODEL_DIR --fd N`. Imports only what that process needs."""
