"""The wire's shared vocabulary: permission levels, principal kinds, and the naming and traffic
rules of serving endpoints with their messages.

Shared by the local workspace (which enforces them) and the client side (which checks them
before sending and shapes results with them), so both say the same thing. Pure: stdlib only, no
imports from either side.
"""

from __future__ import annotations

import re

PERMISSION_LEVELS = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")
"""Permission levels of a serving endpoint, lowest first."""

PRINCIPAL_KINDS = ("user", "group", "service_principal")
"""Who a grant can name; the ACL's request keys are `PRINCIPAL_KEYS`."""

PRINCIPAL_KEYS = {
    "user": "user_name",
    "group": "group_name",
    "service_principal": "service_principal_name",
}
"""Principal kind to the access_control_list entry key that names it."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
# 1-63 characters, as the docs' inference-endpoint schema gives (wire-fidelity-2026 §5).
MAX_NAME_LENGTH = 63


def name_problem(value: object, what: str) -> str | None:
    """Why `value` is not a valid endpoint or served-entity name, or None."""
    if not isinstance(value, str) or not value:
        return f"{what} is required and must be a non-empty string"
    if len(value) > MAX_NAME_LENGTH:
        return f"{what} must be at most {MAX_NAME_LENGTH} characters"
    if not NAME_PATTERN.fullmatch(value):
        return f"{what} {value!r} may only contain letters, digits, dashes and underscores"
    return None


RESERVED_PREFIX = "databricks-"
"""Endpoint names starting with this belong to the endpoints Databricks provides (Foundation
Model APIs); a new endpoint can't take one. The service's wording is unknown, so this message is
ours; the prefix is matched without regard to case (docs/local-workspace.md)."""


def new_endpoint_name_problem(value: object) -> str | None:
    """Why `value` can't name a new endpoint, or None: the name rules plus the reserved prefix.
    Existing endpoints with such names (the preconfigured ones) can still be read and queried."""
    problem = name_problem(value, "endpoint name")
    if problem is not None:
        return problem
    assert isinstance(value, str)
    if value.lower().startswith(RESERVED_PREFIX):
        return (
            f"endpoint name {value!r} starts with {RESERVED_PREFIX!r}, which is reserved for "
            "the endpoints Databricks provides"
        )
    return None


def percentage_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be an integer, got {value!r}"
    if not 0 <= value <= 100:
        return f"must be between 0 and 100, got {value}"
    return None


def total_problem(total: int) -> str | None:
    return None if total == 100 else f"traffic percentages must add up to 100, got {total}"


def unknown_route_problem(target: str, names: list[str]) -> str:
    return f"{target!r} is not a served entity of this config (served entities: {', '.join(names)})"


TRAFFIC_REQUIRED = "is required when an endpoint serves more than one entity"


def default_entity_name(entity_name: str, version: str) -> str:
    """`{model}-{version}`; UC names carry dots, which served-entity names can't, so the last
    part of the model's name is used."""
    return f"{entity_name.split('.')[-1]}-{version}"
