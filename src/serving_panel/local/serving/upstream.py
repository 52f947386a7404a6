"""The router's HTTP/1.1 client to model servers: an asyncio protocol, connections kept alive.

Why not urllib3 or httpx: the router runs on the event loop, so a blocking client costs a thread
hop per request (and a thread pool that one slow model can fill), and a general async client
costs more per request than the whole exchange with a model server on loopback. The peer is
always our own worker (`worker/http.py`), which answers with `Content-Length`, or chunked for
streams, and says `Connection: close` when it will close; this client reads exactly those
framings (and read-to-EOF for anything else) and nothing more.

Why a protocol rather than asyncio streams: the answer is parsed as its bytes arrive, in the
loop's own callback, and the waiting query is woken once, when the head and (for a
`Content-Length` answer) the whole body are in; with streams it was woken for the head, again
for the body, and each read went through the stream's own coroutines. On loopback that was a
fifth of the router's cost per query.

A connection goes back to its address's idle list only after its response was read to the end
and neither side asked to close; an answer abandoned half way (caller gone, timeout) closes its
connection, which is how the model server learns that nobody is waiting. A connection the
server closes while idle notices at once (the loop tells its protocol) and is not used again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import cast

Address = tuple[str, int]

CHUNK_SIZE = 65536
HEAD_LIMIT = CHUNK_SIZE * 4  # an answer's status line and headers, at most
PAUSE_ABOVE = CHUNK_SIZE * 4  # body bytes held for a slow reader before reading pauses
PRUNE_EVERY = 256  # releases between sweeps of idle connections to servers that are gone

# What the connection is reading.
_IDLE, _HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _TO_EOF, _DONE = range(9)


class UpstreamError(Exception):
    """The model server could not be reached, or broke the HTTP exchange."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection, reading one answer at a time.

    `data_received` parses the bytes as they come into `status`, `headers` and body `parts`,
    and wakes the one waiting coroutine (`wait()`) when there is something for it: the head
    (with the whole body, for a `Content-Length` answer), more of a streamed body, its end, or
    an error.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False  # the connection is gone, or going: never reused
        self.status = 0
        self.headers: dict[str, str] = {}
        self.parts: deque[bytes] = deque()
        self.error: BaseException | None = None
        self.framed = True  # the answer says where it ends (else it ends with the connection)
        self._state = _IDLE
        self._buffer = bytearray()
        self._remaining = 0  # body bytes of a Content-Length answer or of the current chunk
        self._held = 0  # bytes in `parts`
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._ready = False  # what the waiter waits for has happened

    # The exchange, from the router's side ------------------------------------------------

    def usable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def begin(self, request: bytes) -> None:
        """Sends a request; the answer's head is awaited with `wait()`."""
        assert self.transport is not None
        self.status = 0
        self.headers = {}
        self.parts.clear()
        self.error = None
        self._buffer.clear()
        self._held = 0
        self._state = _HEAD
        self._ready = False
        self.transport.write(request)

    @property
    def done(self) -> bool:
        """The whole answer has been read (its body is in `parts`)."""
        return self._state == _DONE

    async def wait(self) -> None:
        """Until there is news: the head, more of the body, its end, or an error (raised)."""
        if not self._ready and self.error is None:
            loop = asyncio.get_running_loop()
            self._waiter = waiter = loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        self._ready = False
        if self.error is not None:
            raise self.error

    def take(self) -> bytes | None:
        """The oldest part of the body not yet taken, or None."""
        if not self.parts:
            return None
        part = self.parts.popleft()
        self._held -= len(part)
        if self._paused and self._held <= PAUSE_ABOVE // 2:
            self._resume()
        return part

    def take_all(self) -> bytes:
        """Every part of the body not yet taken, joined."""
        body = b"".join(self.parts)
        self.parts.clear()
        self._held = 0
        if self._paused:
            self._resume()
        return body

    def _resume(self) -> None:
        self._paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports don't derive from asyncio.Transport, but are one
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._state in (_IDLE, _DONE):
            self._fail(ValueError("the model server sent bytes nobody asked for"))
            return
        self._buffer += data
        try:
            self._parse()
        except ValueError as error:
            self._fail(error)
            return
        # A stream relayed to a slow caller: stop reading until it catches up. (A
        # `Content-Length` body is read whole, as it is awaited whole.)
        if self._held > PAUSE_ABOVE and self._state != _LENGTH and not self._paused:
            self._paused = True
            assert self.transport is not None
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        self.closed = True
        if self._state == _TO_EOF:
            self._finish()
        elif self._state == _HEAD and not self._buffer:
            self._fail(ConnectionResetError("closed before answering"))
        elif self._state not in (_IDLE, _DONE):
            self._fail(asyncio.IncompleteReadError(bytes(self._buffer), None))
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._state == _TO_EOF and exc is None:
            self._finish()
        elif self._state == _HEAD and not self._buffer:
            self._fail(ConnectionResetError("closed before answering"))
        elif self._state not in (_IDLE, _DONE):
            self._fail(exc or asyncio.IncompleteReadError(bytes(self._buffer), None))

    # Parsing --------------------------------------------------------------------------------

    def _parse(self) -> None:
        buffer = self._buffer
        while buffer:
            state = self._state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > HEAD_LIMIT:
                        raise ValueError("the answer's headers are too long")
                    return
                head = bytes(buffer[: end + 4])
                del buffer[: end + 4]
                self._read_head(head)
                if self._state != _LENGTH:
                    self._wake()  # a stream (or an empty body): the head is news already
            elif state == _LENGTH:
                taken = min(len(buffer), self._remaining)
                self._add(bytes(buffer[:taken]))
                del buffer[:taken]
                self._remaining -= taken
                if not self._remaining:
                    self._finish()
            elif state == _CHUNK_SIZE:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > HEAD_LIMIT:
                        raise ValueError("a chunk size line is too long")
                    return
                size = int(bytes(buffer[:end]).split(b";", 1)[0].strip(), 16)
                del buffer[: end + 2]
                self._remaining = size
                self._state = _CHUNK_DATA if size else _TRAILERS
            elif state == _CHUNK_DATA:
                taken = min(len(buffer), self._remaining)
                self._add(bytes(buffer[:taken]))
                del buffer[:taken]
                self._remaining -= taken
                if not self._remaining:
                    self._state = _CHUNK_END
                self._wake()
            elif state == _CHUNK_END:
                if len(buffer) < 2:
                    return
                del buffer[:2]  # the CRLF after each chunk
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                end = buffer.find(b"\n")
                if end < 0:
                    if len(buffer) > HEAD_LIMIT:
                        raise ValueError("the answer's trailers are too long")
                    return
                line = bytes(buffer[: end + 1])
                del buffer[: end + 1]
                if line in (b"\r\n", b"\n"):
                    self._finish()
            elif state == _TO_EOF:
                self._add(bytes(buffer))
                buffer.clear()
                self._wake()
            else:  # _DONE or _IDLE: more than the answer
                raise ValueError("the model server sent bytes past its answer")

    def _read_head(self, head: bytes) -> None:
        status_line, *lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        headers: dict[str, str] = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        self.status = int(parts[1])
        self.headers = headers
        self.framed = True
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._state = _CHUNK_SIZE
        elif "content-length" in headers:
            self._remaining = int(headers["content-length"])
            self._state = _LENGTH
            if not self._remaining:
                self._finish()
        else:
            self._state = _TO_EOF
            self.framed = False

    def _add(self, part: bytes) -> None:
        if part:
            self.parts.append(part)
            self._held += len(part)

    def _finish(self) -> None:
        self._state = _DONE
        self._wake()

    def _wake(self) -> None:
        self._ready = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        self.error = error
        self._state = _DONE
        self._wake()
        self.close()


class Reply:
    """A model server's answer: status and headers read; the body is read with `read()` or
    relayed with `chunks()`, after which the connection is reused. `close()` abandons it."""

    def __init__(self, pool: ModelServerClient, address: Address, connection: _Connection) -> None:
        self.status = connection.status
        self.headers = connection.headers
        self._pool = pool
        self._address = address
        self._connection: _Connection | None = connection
        self._keep = self.headers.get("connection", "").lower() != "close" and connection.framed

    async def read(self) -> bytes:
        """The whole body: for a `Content-Length` answer it is already here."""
        connection = self._connection
        if connection is not None and connection.done and connection.error is None:
            body = connection.take_all()
            self._finished(connection)
            return body
        parts = [part async for part in self.chunks()]
        return b"".join(parts)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (one item per chunk for a chunked answer)."""
        connection = self._connection
        if connection is None:
            return
        try:
            while True:
                while (part := connection.take()) is not None:
                    yield part
                if connection.done and connection.error is None:
                    break
                await connection.wait()
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.close()
            raise UpstreamError(f"the model server broke off its answer: {error}") from error
        self._finished(connection)

    def _finished(self, connection: _Connection) -> None:
        """Read to the end: the connection can carry the next request."""
        self._connection = None
        if self._keep:
            self._pool._release(self._address, connection)
        else:
            connection.close()

    def close(self) -> None:
        """Abandons whatever is left of the answer; closing tells the server nobody waits."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class ModelServerClient:
    """Keep-alive connections per model-server address; no cap of its own (the router admits
    at most an entity's concurrency per model server, so that bounds each address)."""

    def __init__(self, *, connect_timeout_s: float = 5.0, idle_per_address: int = 64) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.idle_per_address = idle_per_address
        self._idle: dict[Address, list[_Connection]] = {}
        self._releases = 0

    async def post(
        self, address: Address, path: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Sends the request and reads the status line and headers (and the whole body of a
        `Content-Length` answer). A kept-alive connection the server closed meanwhile is
        retried once on a new one (nothing of the answer was read, so the server never saw the
        request)."""
        request = _request_head(address, path, headers, len(body)) + body
        while True:
            connection, reused = await self._connect(address)
            try:
                connection.begin(request)
                await connection.wait()
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                connection.close()
                if reused and isinstance(error, ConnectionError):
                    continue
                raise UpstreamError(f"{error or type(error).__name__}") from error
            except BaseException:
                connection.close()  # cancelled (caller gone, timeout): abandon the request
                raise
            return Reply(self, address, connection)

    async def _connect(self, address: Address) -> tuple[_Connection, bool]:
        idle = self._idle.get(address)
        while idle:
            connection = idle.pop()
            if connection.usable():
                return connection, True
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(_Connection, *address), self.connect_timeout_s
            )
        except (OSError, asyncio.TimeoutError) as error:
            raise UpstreamError(f"can't connect to {address[0]}:{address[1]}: {error}") from error
        return connection, False

    def _release(self, address: Address, connection: _Connection) -> None:
        self._releases += 1
        if self._releases % PRUNE_EVERY == 0:
            self._prune()
        connection._state = _IDLE
        idle = self._idle.setdefault(address, [])
        if len(idle) < self.idle_per_address and connection.usable():
            idle.append(connection)
        else:
            connection.close()

    def _prune(self) -> None:
        """Closes idle connections whose server went away (a restarted or retired worker)."""
        for address, idle in list(self._idle.items()):
            alive = [c for c in idle if c.usable()]
            for connection in idle:
                if connection not in alive:
                    connection.close()
            if alive:
                self._idle[address] = alive
            else:
                del self._idle[address]

    def forget(self, address: Address) -> None:
        """Closes the idle connections to a model server that has gone."""
        for connection in self._idle.pop(address, []):
            connection.close()

    def close(self) -> None:
        """At shutdown, possibly from another thread after the event loop has stopped."""
        for address in list(self._idle):
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self.forget(address)


def _request_head(address: Address, path: str, headers: Mapping[str, str], length: int) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {address[0]}:{address[1]}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
