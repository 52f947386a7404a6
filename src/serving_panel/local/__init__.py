"""The local workspace: a Databricks-compatible serving-endpoints server on one machine."""
