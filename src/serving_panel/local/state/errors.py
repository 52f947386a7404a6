"""Errors the local workspace answers with, as Databricks writes them.

Domain code raises `ApiError`; one handler in the app turns it into
`{"error_code": "...", "message": "..."}` with the status. Nothing here knows HTTP libraries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error_code: str | int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}


def invalid(field: str, rule: str) -> ApiError:
    """400 INVALID_PARAMETER_VALUE naming the field and the rule it broke."""
    return ApiError(400, "INVALID_PARAMETER_VALUE", f"{field}: {rule}" if field else rule)


def endpoint_not_found(name: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Endpoint with name '{name}' does not exist.")


def endpoint_id_not_found(endpoint_id: str) -> ApiError:
    return ApiError(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        f"Serving endpoint with id '{endpoint_id}' does not exist.",
    )


def served_model_not_found(endpoint: str, served_model: str, known: list[str]) -> ApiError:
    names = ", ".join(known) or "none"
    return ApiError(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        f"Served model '{served_model}' does not exist on endpoint '{endpoint}' "
        f"(served entities: {names}).",
    )


def model_not_found(full_name: str) -> ApiError:
    """Unity Catalog's answer for a registered model it does not have (or the caller may not
    see: the service does not tell the two apart)."""
    return ApiError(
        404, "RESOURCE_DOES_NOT_EXIST", f"Routine or Model '{full_name}' does not exist."
    )


def already_exists(name: str) -> ApiError:
    return ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists.")


def update_in_progress(name: str) -> ApiError:
    return ApiError(
        409,
        "RESOURCE_CONFLICT",
        f"Endpoint '{name}' is already being updated (config_update is IN_PROGRESS); "
        "wait until the current update finishes.",
    )


def endpoint_stopped(name: str) -> ApiError:
    """A query to a stopped endpoint: 400, as the service documents (wire-fidelity §8); its
    error code and wording are unknown, these are ours."""
    return ApiError(
        400,
        "INVALID_STATE",
        f"Endpoint {name} is stopped and serves no queries; start it "
        f"(POST /api/2.0/serving-endpoints/{name}/config:start) to query it.",
    )


def permission_denied(principal: str, needed: str, endpoint: str, action: str) -> ApiError:
    return ApiError(
        403,
        "PERMISSION_DENIED",
        f"User {principal} does not have {needed} permission on endpoint {endpoint}; "
        f"{action} needs {needed} or higher.",
    )


def invalid_token() -> ApiError:
    # What the real service answers for an unknown or revoked token: 403 with an integer code.
    return ApiError(
        403,
        403,
        "Invalid access token.",
        headers={"X-Databricks-Reason-Phrase": "Invalid access token."},
    )


MISSING_CREDENTIAL = "Credential was not sent or was of an unsupported type for this API."


def missing_token() -> ApiError:
    # What the real service answers with no credential, or one it can't read (no Bearer
    # scheme, an empty token): 401 with an integer code and the same text in a header.
    return ApiError(
        401,
        401,
        MISSING_CREDENTIAL,
        headers={"X-Databricks-Reason-Phrase": MISSING_CREDENTIAL},
    )
