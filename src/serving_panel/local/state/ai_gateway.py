"""The AI gateway's shape (the contract's `AiGatewayConfig`), checked field by field before it
is stored: a value of the wrong type stored once would be served on every GET, against the
schema every client reads it with. Fields this workspace doesn't know are kept as sent, as the
contract allows (`additionalProperties`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from serving_panel.local.state.errors import invalid


@dataclass(frozen=True)
class Required:
    """A field the object must hold."""

    shape: Shape


# A shape: a JSON type (bool, int, str), the allowed strings (a tuple), a list of one shape
# (`[str]`), or an object's known fields (a dict).
Shape: TypeAlias = "type | tuple[str, ...] | list[Shape] | dict[str, Shape] | Required"

_GUARDRAIL: dict[str, Shape] = {
    "safety": bool,
    "pii": {"behavior": Required(("BLOCK", "MASK", "NONE"))},
    "invalid_keywords": [str],
    "valid_topics": [str],
}
_RATE_LIMIT: dict[str, Shape] = {
    "renewal_period": Required(("minute",)),
    "calls": int,
    "tokens": int,
    "key": ("endpoint", "user", "user_group", "service_principal"),
    "principal": str,
}
AI_GATEWAY: dict[str, Shape] = {
    "guardrails": {"input": _GUARDRAIL, "output": _GUARDRAIL},
    "inference_table_config": {
        "catalog_name": str,
        "schema_name": str,
        "table_name_prefix": str,
        "enabled": bool,
    },
    "rate_limits": [_RATE_LIMIT],
    "usage_tracking_config": {"enabled": bool},
    "fallback_config": {"enabled": Required(bool)},
}
_TYPE_NAMES = {bool: "true or false", int: "an integer", str: "a string"}


def parse_ai_gateway(raw: Any, field: str) -> dict[str, Any]:
    """The gateway to store: its known fields, checked; unset and empty ones left out, as the
    service leaves them out."""
    body = _object(raw, field)
    gateway: dict[str, Any] = {}
    for key, shape in AI_GATEWAY.items():
        value = body.get(key)
        if value is None or value == [] or value == {}:
            continue
        check(value, shape, _join(field, key))
        gateway[key] = value
    return gateway


def check(value: Any, shape: Shape, field: str) -> None:
    """Raises a 400 naming `field` (or the field inside it) where `value` breaks `shape`."""
    if isinstance(shape, Required):
        shape = shape.shape
    if isinstance(shape, dict):
        body = _object(value, field)
        for key, inner in shape.items():
            if key in body:
                check(body[key], inner, _join(field, key))
            elif isinstance(inner, Required):
                raise invalid(_join(field, key), "is required")
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise invalid(field, f"must be a list, got {_kind(value)}")
        for index, item in enumerate(value):
            check(item, shape[0], f"{field}[{index}]")
    elif isinstance(shape, tuple):
        if value not in shape:
            raise invalid(field, f"must be one of {', '.join(shape)}, got {value!r}")
    elif isinstance(shape, type) and (
        not isinstance(value, shape) or (shape is int and isinstance(value, bool))
    ):
        raise invalid(field, f"must be {_TYPE_NAMES[shape]}, got {_kind(value)}")


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(field, f"must be a JSON object, got {_kind(value)}")
    return dict(value)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _join(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field
