"""What the workspace knows: the SQLite store, callers and levels, request validation, the
config documents, API errors and the log files. Imports nothing else of the workspace."""
