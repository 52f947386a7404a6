"""Serving: the model server processes (supervisor), configs to running servers (deployment),
traffic routing, request metrics, and the one helper that stops process groups."""
