"""The transport: one pooled requests.Session, timeouts on every call, and retries.

Retries, as the service expects of its clients:
- 429 and 503, for every method (the service did not act), waiting for `Retry-After`
  (seconds or an HTTP date, capped) or else exponential backoff with jitter. A 429 also slows
  the whole client down, not just the call that got it: every call to the same API family
  (`/api/2.0/permissions`, `/api/2.0/serving-endpoints`, one endpoint's invocations...) waits
  out that pause before it is sent, so a pool of workers reading 500 ACLs backs off together
  instead of each spending its own retries against a limit the others keep hitting;
- connection failures (nothing was sent), for every method; but a connection refused, or a
  host name that does not resolve, is retried only for `refused_budget_s` (1.5 s): nothing
  listens there, which is far more often a wrong host or port than a blip, and the user should
  hear so at once rather than after the whole budget;
- read timeouts, only for idempotent methods (GET, PUT, DELETE, PATCH): a create is never
  sent twice.
Everything stops at a time budget and an attempt cap; when they run out, the last error is
raised as it came, with its `error_code` and message (requests' own status retries would lose
the body, so its adapter never retries). The token is added by `session.auth` per request and
never sits in the session's headers, and any text quoted from an answer (an error body, the
start of a body that is not JSON) has the auth header's values blanked out, in case a proxy
echoes them.
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
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
    UnexpectedResponse,
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
    refused_budget_s: float = 1.5
    """How long a refused connection or an unknown host is retried (a restarting server gets
    a moment; a wrong host fails fast). Resets, timeouts, 429 and 503 keep the full budget."""

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


def _no_redaction(text: str) -> str:
    return text


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes
    method: str = "GET"
    path: str = ""
    redact: Callable[[str], str] = _no_redaction
    raw: requests.Response | None = None
    """The open answer of a `stream=True` request (its `content` is then empty)."""

    def lines(self) -> Iterator[bytes]:
        """A streamed answer's lines as they arrive (a whole answer's lines otherwise)."""
        if self.raw is None:
            yield from self.content.splitlines()
            return
        yield from self.raw.iter_lines()

    def close(self) -> None:
        """Gives a streamed answer's connection back (a no-op for a whole answer)."""
        if self.raw is not None:
            self.raw.close()

    def json(self) -> Any:
        """The answer's JSON (an empty body reads as {}), or `UnexpectedResponse` saying what
        came instead (say, a proxy's sign-in page)."""
        if not self.content.strip():
            return {}
        try:
            return json.loads(self.content)
        except ValueError:
            start = self.redact(self.content[:120].decode("utf-8", errors="replace"))
            raise UnexpectedResponse(
                f"HTTP {self.status} answer is not JSON; it starts {start!r}",
                method=self.method,
                path=self.path,
            ) from None

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
        self._header_factory = connection.header_factory
        self.session.auth = _HeaderAuth(connection.header_factory)
        self.session.headers["User-Agent"] = f"serving-panel/{__version__} python-requests"
        # API family -> the clock time before which no call to it is sent (after a 429).
        self._paused_until: dict[str, float] = {}
        self._pause_guard = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def redact(self, text: str) -> str:
        """`text` with every value of the auth headers (and a bearer's token alone) blanked."""
        try:
            headers = self._header_factory()
        except Exception:  # no headers, nothing of them to find
            return text
        for value in headers.values():
            for secret in (value, value.partition(" ")[2]):
                if len(secret) >= 8:
                    text = text.replace(secret, "***")
        return text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        accept: str = "application/json",
        extra_headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> Response:
        """Sends one API call (retrying as the policy allows) and returns a 2xx response.

        With `stream`, a 2xx answer's body is left unread: `Response.lines()` reads it as it
        arrives and `Response.close()` gives the connection back. Errors are read whole, as
        always (retries happen before any of the body is handed out)."""
        method = method.upper()
        headers = {"Accept": accept, **(extra_headers or {})}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        started = self._clock()
        deadline = started + self.retry.budget_s
        family = api_family(path)
        attempt = 0
        while True:
            attempt += 1
            self._wait_out_pause(family)
            try:
                raw = self.session.request(
                    method,
                    self.host + path,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout.as_requests(),
                    stream=stream,
                )
            except requests.exceptions.ConnectTimeout as error:
                failure: TransportError = ConnectionFailed(
                    f"could not connect to {self.host}: connect timed out", method=method, path=path
                )
                retryable = True
                cause: Exception | None = error
            except requests.exceptions.ConnectionError as error:
                unreachable = _unreachable(error)
                reason = unreachable or _reason(error)
                failure = ConnectionFailed(
                    f"could not connect to {self.host}: {reason}", method=method, path=path
                )
                retryable = True
                cause = error
                if unreachable is not None:
                    deadline = min(deadline, started + self.retry.refused_budget_s)
            except requests.exceptions.Timeout as error:
                failure = RequestTimedOut(
                    f"no answer within {self.timeout.read_s:g} s", method=method, path=path
                )
                retryable = method in IDEMPOTENT
                cause = error
            except requests.exceptions.RequestException as error:
                # Anything else requests refuses (a bad header value, a bad URL): said in our
                # words, since its own may quote a header.
                failure = TransportError(
                    f"{type(error).__name__}: {self.redact(str(error))}", method=method, path=path
                )
                retryable = False
                cause = None  # its text is the one not to show, in a traceback too
            else:
                if stream and raw.status_code < 400:
                    return Response(
                        raw.status_code, dict(raw.headers), b"", method, path, self.redact, raw
                    )
                response = Response(
                    raw.status_code, dict(raw.headers), raw.content, method, path, self.redact
                )
                if response.status < 400:
                    return response
                wait_hint = parse_retry_after(raw.headers.get("Retry-After"))
                body = self.redact(response.content.decode("utf-8", errors="replace"))
                api_error = error_from_response(
                    response.status,
                    body.encode(),
                    method=method,
                    path=path,
                    retry_after=wait_hint,
                )
                if response.status not in RETRY_STATUSES:
                    raise api_error
                delay = self._delay(attempt, wait_hint)
                if response.status == 429:
                    self._pause(family, delay)
                if not self._may_retry(attempt, delay, deadline):
                    raise api_error
                self._sleep(delay)
                continue
            delay = self._delay(attempt, None)
            if not retryable or not self._may_retry(attempt, delay, deadline):
                failure.attempts = attempt
                raise failure from cause
            self._sleep(delay)

    def _pause(self, family: str, seconds: float) -> None:
        """Holds every call to `family` for `seconds` from now (a longer pause already set
        stands)."""
        until = self._clock() + seconds
        with self._pause_guard:
            if until > self._paused_until.get(family, 0.0):
                self._paused_until[family] = until

    def _wait_out_pause(self, family: str) -> None:
        """Sleeps until a pause another call set on `family` (after a 429) is over."""
        while True:
            with self._pause_guard:
                left = self._paused_until.get(family, 0.0) - self._clock()
            if left <= 0:
                return
            self._sleep(left)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry.max_retry_after_s) + random.uniform(0, 0.1)  # noqa: S311
        backoff = min(self.retry.backoff_s * float(2 ** (attempt - 1)), self.retry.max_backoff_s)
        return backoff * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret

    def _may_retry(self, attempt: int, delay: float, deadline: float) -> bool:
        return attempt < self.retry.attempts and self._clock() + delay <= deadline


def api_family(path: str) -> str:
    """What a rate limit covers, as far as the client can tell: the API a path belongs to
    (`/api/2.0/permissions`), or, outside `/api/`, the path itself (one endpoint's
    invocations), so a query rate-limited by one endpoint's AI gateway never slows the rest."""
    bare = path.split("?", 1)[0]
    if bare.startswith("/api/"):
        return "/".join(bare.split("/")[:4])
    return bare


def _unreachable(error: BaseException) -> str | None:
    """Why nothing could answer at all (refused, or no such host), found anywhere in the chain
    of causes requests and urllib3 wrap it in; None for other connection failures."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused (nothing listens there: check the host and port)"
        if isinstance(current, socket.gaierror):
            return "host not found (the name does not resolve: check the host)"
        reason = getattr(current, "reason", None)
        pending.extend([current.__cause__, current.__context__])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        if isinstance(reason, BaseException):
            pending.append(reason)
    return None


def _reason(error: requests.exceptions.ConnectionError) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(error).__name__


__all__ = [
    "ApiError",
    "Response",
    "RetryPolicy",
    "Timeout",
    "Transport",
    "api_family",
    "parse_retry_after",
]
