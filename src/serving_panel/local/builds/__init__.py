"""Builds: turn a pending config into a live one (build each new served entity, load its
model in a fresh process, then hand over to serving or fail the update)."""
