"""The per-start secret that keeps a model server's port to the workspace's router.

A model server listens on 127.0.0.1, where every local user and program can reach it; without
this, anyone could query a model past the endpoint's CAN_QUERY check. The supervisor makes a
fresh secret for every start and hands it over on the worker's stdin (a command line is readable
by everyone on the machine through `ps`); the router and the supervisor's health check send it
in `SECRET_HEADER`; the worker answers 403 to any request without it.
"""

from __future__ import annotations

import hmac

SECRET_HEADER = "X-Serving-Panel-Worker-Secret"  # noqa: S105 - a header name, not a secret


def accepted(sent: str | None, secret: str) -> bool:
    """Whether `sent` is the secret, compared in constant time."""
    return sent is not None and hmac.compare_digest(sent.encode(), secret.encode())
