"""The transport: one pooled requests.Session, timeouts on every call, and retries.

Retries, as the service expects of its clients:
- 429 and 503, for every method (the service did not act), waiting for `Retry-After`
  (seconds or an HTTP date, capped) or else exponential backoff with jitter;
- connection failures (nothing was sent), for every method;
- read timeouts, only for idempotent methods (GET, PUT, DELETE, PATCH): a create is never
  sent twice.
Everything stops at a time budget and an attempt cap; when they run out, the last error is
raised as it came, with its `error_code` and message (requests' own status retries would lose
the body, so its adapter never retries). The token is added by `session.auth` per request and
never sits in the session's headers.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from serving_panel._version import __version__
from serving_panel.config import Connection
from serving_panel.errors import (
    ApiError,
    ConnectionFailed,
    RequestTimedOut,
    TransportError,
    error_from_response,
)

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `attempts` counts the first try; `budget_s` bounds the whole call."""

    attempts: int = 6
    budget_s: float = 120.0
    backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    max_retry_after_s: float = 60.0

    @classmethod
    def none(cls) -> RetryPolicy:
        return cls(attempts=1)


@dataclass(frozen=True)
class Timeout:
    connect_s: float = 10.0
    read_s: float = 60.0

    def as_requests(self) -> tuple[float, float]:
        return (self.connect_s, self.read_s)


class _HeaderAuth(requests.auth.AuthBase):
    """Adds the connection's auth headers to each request as it is sent."""

    def __init__(self, header_factory: Callable[[], dict[str, str]]) -> None:
        self._header_factory = header_factory

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._header_factory())
        return request

    def __repr__(self) -> str:
        return "<auth headers: hidden>"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; >= 0."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        if not self.content.strip():
            return {}
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class Transport:
    def __init__(
        self,
        connection: Connection,
        *,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = connection.host
        if isinstance(timeout, (int, float)):
            timeout = Timeout(float(timeout), float(timeout))
        self.timeout = timeout or Timeout()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.auth = _HeaderAuth(connection.header_factory)
        self.session.headers["User-Agent"] = f"serving-panel/{__version__} python-requests"

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        accept: str = "application/json",
        extra_headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Sends one API call (retrying as the policy allows) and returns a 2xx response."""
        method = method.upper()
        headers = {"Accept": accept, **(extra_headers or {})}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        deadline = self._clock() + self.retry.budget_s
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = self.session.request(
                    method,
                    self.host + path,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout.as_requests(),
                )
            except requests.exceptions.ConnectTimeout as error:
                failure: TransportError = ConnectionFailed(
                    f"could not connect to {self.host}: connect timed out", method=method, path=path
                )
                retryable = True
                cause: Exception = error
            except requests.exceptions.ConnectionError as error:
                failure = ConnectionFailed(
                    f"could not connect to {self.host}: {_reason(error)}", method=method, path=path
                )
                retryable = True
                cause = error
            except requests.exceptions.Timeout as error:
                failure = RequestTimedOut(
                    f"no answer within {self.timeout.read_s:g} s", method=method, path=path
                )
                retryable = method in IDEMPOTENT
                cause = error
            else:
                response = Response(raw.status_code, dict(raw.headers), raw.content)
                if response.status < 400:
                    return response
                wait_hint = parse_retry_after(raw.headers.get("Retry-After"))
                api_error = error_from_response(
                    response.status,
                    response.content,
                    method=method,
                    path=path,
                    retry_after=wait_hint,
                )
                if response.status not in RETRY_STATUSES:
                    raise api_error
                delay = self._delay(attempt, wait_hint)
                if not self._may_retry(attempt, delay, deadline):
                    raise api_error
                self._sleep(delay)
                continue
            delay = self._delay(attempt, None)
            if not retryable or not self._may_retry(attempt, delay, deadline):
                raise failure from cause
            self._sleep(delay)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry.max_retry_after_s) + random.uniform(0, 0.1)  # noqa: S311
        backoff = min(self.retry.backoff_s * float(2 ** (attempt - 1)), self.retry.max_backoff_s)
        return backoff * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret

    def _may_retry(self, attempt: int, delay: float, deadline: float) -> bool:
        return attempt < self.retry.attempts and self._clock() + delay <= deadline


def _reason(error: requests.exceptions.ConnectionError) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(error).__name__


__all__ = ["ApiError", "Response", "RetryPolicy", "Timeout", "Transport", "parse_retry_after"]
