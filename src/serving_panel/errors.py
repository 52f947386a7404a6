"""The exceptions ServingClient raises, keyed by Databricks `error_code`, then HTTP status.

Everything the client raises on purpose is a `ServingError`, so `except ServingError` is enough;
the ones that are also a `ValueError` or `TimeoutError` keep that second base for older code.

    ServingError
    ├── ConfigurationError (ValueError)      no usable host or credentials (config.py)
    ├── ClientValidationError (ValueError)   refused before sending: names the field and rule
    │   ├── AclError                         a permission plan that can't be made (acl.py)
    │   │   ├── StaleAclError                the ACL changed since it was shown; nothing sent
    │   │   ├── NotGrantedError              revoke of a principal with no direct grant
    │   │   └── LockoutError                 would take CAN_MANAGE from you or the last manager
    │   ├── UpdateInProgress                 a config change while another update runs
    │   └── RestoreRefused                   a backup that can't be restored; nothing was done
    ├── AclWriteLostError (acl.py)           a concurrent write undid ours; retrying did not hold
    ├── MetricsParseError (ValueError)       metrics text breaks the format (metrics.py)
    ├── UnexpectedResponse                   a 2xx answer that is not the JSON the API promises
    ├── TransportError                       no response at all (`attempts`: tries made)
    │   ├── ConnectionFailed                 could not connect
    │   └── RequestTimedOut                  connected, no answer in time
    ├── WaitTimedOut (TimeoutError)          wait() gave up; says the last state seen
    ├── UpdateFailed                         wait() saw the update fail; says why (`diagnosis`)
    └── ApiError                             the service answered with an error
        ├── BadRequest                       400
        │   ├── InvalidParameterValue        INVALID_PARAMETER_VALUE
        │   └── InvalidState                 INVALID_STATE
        ├── Unauthenticated                  401, UNAUTHENTICATED
        ├── PermissionDenied                 403, PERMISSION_DENIED (and "Invalid access token.")
        ├── NotFound                         404
        │   └── ResourceDoesNotExist         RESOURCE_DOES_NOT_EXIST
        ├── ResourceConflict                 409, RESOURCE_CONFLICT, ABORTED
        │   └── ResourceAlreadyExists        RESOURCE_ALREADY_EXISTS, ALREADY_EXISTS
        ├── RateLimited                      429, REQUEST_LIMIT_EXCEEDED, RESOURCE_EXHAUSTED
        └── ServerError                      5xx
            └── TemporarilyUnavailable       503, TEMPORARILY_UNAVAILABLE

Messages carry the method and path of the request, never a header, so never a token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving_panel.triage import Diagnosis


class ServingError(Exception):
    """Base of everything serving-panel raises on purpose."""


class ClientValidationError(ServingError, ValueError):
    """Input refused before anything was sent; the message names the field and the rule."""


class UpdateInProgress(ClientValidationError):
    """A config change asked for while the endpoint's update is IN_PROGRESS: refused before
    sending, since the service would answer 409 and the change would be made against a config
    about to be replaced. Wait for the update (`ServingClient.wait`) and ask again."""


class RestoreRefused(ClientValidationError):
    """`ServingClient.restore` refused a backup before doing anything: not a backup the panel
    saves, or an endpoint of that name exists already. The message names the field."""


class UnexpectedResponse(ServingError):
    """The service answered 2xx, but not with what the API documents (say, a proxy's HTML
    login page instead of JSON). The message names the request and quotes the answer's start."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: {message}")
        self.method = method
        self.path = path


class TransportError(ServingError):
    """The request got no response: it may or may not have reached the service. `attempts`
    says how many times it was tried before giving up."""

    def __init__(self, message: str, *, method: str, path: str, attempts: int = 1) -> None:
        super().__init__(f"{method} {path}: {message}")
        self.method = method
        self.path = path
        self.attempts = attempts

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.attempts <= 1 else f"{text} (after {self.attempts} attempts)"


class ConnectionFailed(TransportError):
    pass


class RequestTimedOut(TransportError):
    pass


class WaitTimedOut(ServingError, TimeoutError):
    pass


class UpdateFailed(ServingError):
    """An endpoint update ended UPDATE_FAILED or UPDATE_CANCELED. `diagnosis` is the likely
    cause read from the failed entity's logs (`serving_panel.triage`), None when none is known."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: Any = None,
        build_log_tail: str = "",
        diagnosis: Diagnosis | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.build_log_tail = build_log_tail
        self.diagnosis = diagnosis


class ApiError(ServingError):
    """The service answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_code: str,
        method: str,
        path: str,
        retry_after: float | None = None,
        details: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.method = method
        self.path = path
        self.retry_after = retry_after
        self.details = details or []

    def __str__(self) -> str:
        return f"{self.error_code} ({self.status}) on {self.method} {self.path}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, error_code={self.error_code!r}, "
            f"method={self.method!r}, path={self.path!r}, message={self.message!r})"
        )


class BadRequest(ApiError):
    pass


class InvalidParameterValue(BadRequest):
    pass


class InvalidState(BadRequest):
    pass


class Unauthenticated(ApiError):
    pass


class PermissionDenied(ApiError):
    pass


class NotFound(ApiError):
    pass


class ResourceDoesNotExist(NotFound):
    pass


class ResourceConflict(ApiError):
    pass


class ResourceAlreadyExists(ResourceConflict):
    pass


class RateLimited(ApiError):
    pass


class ServerError(ApiError):
    pass


class TemporarilyUnavailable(ServerError):
    pass


ERROR_CODES: Mapping[str, type[ApiError]] = {
    "INVALID_PARAMETER_VALUE": InvalidParameterValue,
    "INVALID_STATE": InvalidState,
    "BAD_REQUEST": BadRequest,
    "UNAUTHENTICATED": Unauthenticated,
    "PERMISSION_DENIED": PermissionDenied,
    "RESOURCE_DOES_NOT_EXIST": ResourceDoesNotExist,
    "NOT_FOUND": NotFound,
    "ENDPOINT_NOT_FOUND": NotFound,
    "RESOURCE_ALREADY_EXISTS": ResourceAlreadyExists,
    "ALREADY_EXISTS": ResourceAlreadyExists,
    "RESOURCE_CONFLICT": ResourceConflict,
    "ABORTED": ResourceConflict,
    "REQUEST_LIMIT_EXCEEDED": RateLimited,
    "RESOURCE_EXHAUSTED": RateLimited,
    "TEMPORARILY_UNAVAILABLE": TemporarilyUnavailable,
    "INTERNAL_ERROR": ServerError,
    "UNKNOWN": ServerError,
    "DATA_LOSS": ServerError,
}

STATUSES: Mapping[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: ResourceConflict,
    429: RateLimited,
    503: TemporarilyUnavailable,
}

_REASONS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "RESOURCE_CONFLICT",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_class(status: int, error_code: str) -> type[ApiError]:
    """The most specific class: by error code, then by status, then by status family."""
    found = ERROR_CODES.get(error_code) or STATUSES.get(status)
    if found is not None:
        return found
    return ServerError if status >= 500 else ApiError


def _parse_body(status: int, body: bytes) -> tuple[str, str, list[Any]]:
    """(error_code, message, details) from any error body the service is known to send."""
    text = body.decode("utf-8", errors="replace").strip()
    default_code = _REASONS.get(status, f"HTTP_{status}")
    if not text:
        return default_code, f"HTTP {status} with an empty body", []
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        code = parsed.get("error_code")
        message = parsed.get("message") or parsed.get("error") or parsed.get("detail") or text
        details = parsed.get("details") if isinstance(parsed.get("details"), list) else []
        # An invalid token comes back as {"error_code": 403, ...}: an integer, not a name.
        error_code = code if isinstance(code, str) and code else default_code
        return error_code, str(message), list(details or [])
    html = re.search(r"<pre>(.*?)</pre>|<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if html is not None:
        return default_code, (html.group(1) or html.group(2) or "").strip(), []
    plain = re.match(r"^([A-Z][A-Z_]+): (.*)$", text, re.DOTALL)
    if plain is not None:
        return plain.group(1), plain.group(2), []
    return default_code, text[:2000], []


def error_from_response(
    status: int,
    body: bytes,
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> ApiError:
    error_code, message, details = _parse_body(status, body)
    cls = error_class(status, error_code)
    return cls(
        message,
        status=status,
        error_code=error_code,
        method=method,
        path=path,
        retry_after=retry_after,
        details=details,
    )
