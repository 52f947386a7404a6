"""The router's HTTP/1.1 client to model servers: asyncio streams, connections kept alive.

Why not urllib3 or httpx: the router runs on the event loop, so a blocking client costs a thread
hop per request (and a thread pool that one slow model can fill), and a general async client
costs more per request than the whole exchange with a model server on loopback. The peer is
always our own worker (`worker/http.py`), which answers with `Content-Length`, or chunked for
streams, and says `Connection: close` when it will close; this client reads exactly those
framings (and read-to-EOF for anything else) and nothing more.

A connection goes back to its address's idle list only after its response was read to the end
and neither side asked to close; an answer abandoned half way (caller gone, timeout) closes its
connection, which is how the model server learns that nobody is waiting. Idle connections whose
server has closed them are dropped when next looked at.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

Address = tuple[str, int]

CHUNK_SIZE = 65536
PRUNE_EVERY = 256  # releases between sweeps of idle connections to servers that are gone


class UpstreamError(Exception):
    """The model server could not be reached, or broke the HTTP exchange."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class Reply:
    """A model server's answer: status and headers read; the body is read with `read()` or
    relayed with `chunks()`, after which the connection is reused. `close()` abandons it."""

    def __init__(
        self,
        pool: ModelServerClient,
        address: Address,
        connection: _Connection,
        status: int,
        headers: dict[str, str],
    ) -> None:
        self.status = status
        self.headers = headers
        self._pool = pool
        self._address = address
        self._connection: _Connection | None = connection
        self._keep = headers.get("connection", "").lower() != "close"

    async def read(self) -> bytes:
        parts = [part async for part in self.chunks()]
        return b"".join(parts)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (one item per chunk for a chunked answer)."""
        connection = self._connection
        if connection is None:
            return
        reader = connection.reader
        try:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                async for part in _dechunk(reader):
                    yield part
            elif "content-length" in self.headers:
                length = int(self.headers["content-length"])
                if length:
                    yield await reader.readexactly(length)
            else:
                self._keep = False
                while part := await reader.read(CHUNK_SIZE):
                    yield part
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.close()
            raise UpstreamError(f"the model server broke off its answer: {error}") from error
        # Read to the end: the connection can carry the next request.
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
        """Sends the request and reads the status line and headers. A kept-alive connection the
        server closed meanwhile is retried once on a new one (nothing of the answer was read,
        so the server never saw the request)."""
        head = _request_head(address, path, headers, len(body))
        while True:
            connection, reused = await self._connect(address)
            try:
                connection.writer.write(head + body if len(body) < CHUNK_SIZE else head)
                if len(body) >= CHUNK_SIZE:
                    connection.writer.write(body)
                await connection.writer.drain()
                status, headers_read = await _read_head(connection.reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                connection.close()
                if reused and isinstance(error, ConnectionError):
                    continue
                raise UpstreamError(f"{error or type(error).__name__}") from error
            except BaseException:
                connection.close()  # cancelled (caller gone, timeout): abandon the request
                raise
            return Reply(self, address, connection, status, headers_read)

    async def _connect(self, address: Address) -> tuple[_Connection, bool]:
        idle = self._idle.get(address)
        while idle:
            connection = idle.pop()
            if connection.usable():
                return connection, True
            connection.close()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(*address, limit=CHUNK_SIZE * 4), self.connect_timeout_s
            )
        except (OSError, asyncio.TimeoutError) as error:
            raise UpstreamError(f"can't connect to {address[0]}:{address[1]}: {error}") from error
        return _Connection(reader, writer), False

    def _release(self, address: Address, connection: _Connection) -> None:
        self._releases += 1
        if self._releases % PRUNE_EVERY == 0:
            self._prune()
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


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The status and headers (names lower-cased), read in one go up to the blank line."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            raise ConnectionResetError("closed before answering") from None
        raise
    except asyncio.LimitOverrunError as error:
        raise ValueError("the answer's headers are too long") from error
    status_line, *lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def _dechunk(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise asyncio.IncompleteReadError(size_line, None)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (trailer := await reader.readline()) not in (b"\r\n", b"\n"):
                if not trailer:
                    raise asyncio.IncompleteReadError(trailer, None)
            return
        data = await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk
        yield data
