"""The router's client to model servers (`upstream.py`) against a scripted HTTP server on
loopback: each framing the model server uses (Content-Length, chunked, to the end of the
connection), answers split anywhere, keep-alive reuse, a kept-alive connection the server
closed, and answers broken off. On asyncio's own loop and, where installed, uvloop's (the
workspace's)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from harness.loops import LOOPS, run_on_own_loop
from serving_panel.local.serving.upstream import ModelServerClient, UpstreamError

T = TypeVar("T")
Script = Callable[[int], list[bytes]]  # the answer to the n-th request of a connection, in pieces


async def serve(
    script: Script, *, close_after: int | None = None
) -> tuple[asyncio.Server, tuple[str, int], list[int]]:
    """A server that reads each request (head and Content-Length body) and writes the
    script's pieces for it, letting the loop turn between pieces so they arrive apart; it
    closes a connection after `close_after` answers. Returns the connections' count."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        served = 0
        try:
            while close_after is None or served < close_after:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                for piece in script(served):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.001)
                served += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    return server, (host, port), connections


def answer(body: bytes, *, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def exchange(
    script: Script,
    talk: Callable[[ModelServerClient, tuple[str, int]], Awaitable[T]],
    **options: Any,
) -> tuple[T, int]:
    server, address, connections = await serve(script, **options)
    client = ModelServerClient()
    try:
        return await talk(client, address), len(connections)
    finally:
        client.close()
        server.close()
        await server.wait_closed()


async def post_and_read(client: ModelServerClient, address: tuple[str, int]) -> bytes:
    reply = await client.post(address, "/invocations", {"X-Test": "1"}, b'{"inputs": [1]}')
    assert reply.status == 200
    return await reply.read()


@pytest.mark.parametrize("loop_kind", LOOPS)
@pytest.mark.parametrize(
    "pieces",
    [
        [answer(b'{"predictions": [1]}')],
        [b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 20\r\n\r\n", b'{"predictions"', b": [1]}"],
        [b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n", b'{"predictions": [1]}'],
    ],
    ids=["one piece", "split anywhere", "head then body"],
)
def test_a_content_length_answer_is_read_whole_and_its_connection_kept(
    loop_kind: str, pieces: list[bytes]
) -> None:
    async def talk(client: ModelServerClient, address: tuple[str, int]) -> list[bytes]:
        return [await post_and_read(client, address) for _ in range(3)]

    bodies, connections = run_on_own_loop(
        loop_kind=loop_kind, scenario=lambda: exchange(lambda _: pieces, talk)
    )
    assert bodies == [b'{"predictions": [1]}'] * 3
    assert connections == 1


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_a_chunked_answer_is_relayed_chunk_by_chunk_then_the_connection_reused(
    loop_kind: str,
) -> None:
    stream = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"7\r\ndata: 1\r\n",
        b"7\r\ndata: 2\r\n0\r",
        b"\n\r\n",
    ]

    async def talk(client: ModelServerClient, address: tuple[str, int]) -> list[list[bytes]]:
        relayed = []
        for _ in range(2):
            reply = await client.post(address, "/invocations", {}, b"{}")
            assert reply.headers["content-type"] == "text/event-stream"
            relayed.append([chunk async for chunk in reply.chunks()])
        return relayed

    relayed, connections = run_on_own_loop(
        loop_kind=loop_kind, scenario=lambda: exchange(lambda _: stream, talk)
    )
    assert relayed == [[b"data: 1", b"data: 2"]] * 2
    assert connections == 1


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_an_answer_without_framing_ends_with_its_connection(loop_kind: str) -> None:
    async def talk(client: ModelServerClient, address: tuple[str, int]) -> list[bytes]:
        return [await post_and_read(client, address) for _ in range(2)]

    bodies, connections = run_on_own_loop(
        loop_kind=loop_kind,
        scenario=lambda: exchange(
            lambda _: [b"HTTP/1.1 200 OK\r\n\r\n", b"all ", b"of it"], talk, close_after=1
        ),
    )
    assert bodies == [b"all of it"] * 2
    assert connections == 2  # never reused


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_connection_close_is_honoured(loop_kind: str) -> None:
    async def talk(client: ModelServerClient, address: tuple[str, int]) -> list[bytes]:
        return [await post_and_read(client, address) for _ in range(2)]

    bodies, connections = run_on_own_loop(
        loop_kind=loop_kind,
        scenario=lambda: exchange(lambda _: [answer(b"{}", extra=b"Connection: close\r\n")], talk),
    )
    assert bodies == [b"{}"] * 2
    assert connections == 2


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_a_kept_alive_connection_the_server_closed_is_replaced(loop_kind: str) -> None:
    """The server closes each connection after one answer, without saying so: the next
    request notices (at once, or when its write finds the connection gone) and goes out on a
    new connection."""

    async def talk(client: ModelServerClient, address: tuple[str, int]) -> list[bytes]:
        bodies = []
        for _ in range(3):
            bodies.append(await post_and_read(client, address))
            await asyncio.sleep(0.01)  # the server's close arrives meanwhile
        return bodies

    bodies, connections = run_on_own_loop(
        loop_kind=loop_kind,
        scenario=lambda: exchange(lambda _: [answer(b"{}")], talk, close_after=1),
    )
    assert bodies == [b"{}"] * 3
    assert connections == 3


@pytest.mark.parametrize("loop_kind", LOOPS)
@pytest.mark.parametrize(
    "pieces",
    [
        [b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", b"too short"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"zz\r\n"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"5\r\nhel"],
    ],
    ids=["body cut short", "bad chunk size", "chunk cut short"],
)
def test_an_answer_broken_off_is_an_upstream_error(loop_kind: str, pieces: list[bytes]) -> None:
    async def talk(client: ModelServerClient, address: tuple[str, int]) -> str:
        with pytest.raises(UpstreamError) as raised:
            await post_and_read(client, address)
        return str(raised.value)

    message, _ = run_on_own_loop(
        loop_kind=loop_kind, scenario=lambda: exchange(lambda _: pieces, talk, close_after=1)
    )
    assert message


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_a_server_that_closes_before_answering_a_new_connection_is_an_upstream_error(
    loop_kind: str,
) -> None:
    async def talk(client: ModelServerClient, address: tuple[str, int]) -> str:
        with pytest.raises(UpstreamError) as raised:
            await post_and_read(client, address)
        return str(raised.value)

    message, _ = run_on_own_loop(
        loop_kind=loop_kind, scenario=lambda: exchange(lambda _: [], talk, close_after=1)
    )
    assert "closed before answering" in message


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_an_abandoned_answer_closes_its_connection(loop_kind: str) -> None:
    """A caller who stops reading half way (gone, timed out) closes the connection: the model
    server learns nobody waits, and the next request gets a new one."""
    stream = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"1\r\na\r\n",
        b"1\r\nb\r\n0\r\n\r\n",
    ]

    async def talk(client: ModelServerClient, address: tuple[str, int]) -> bytes:
        reply = await client.post(address, "/invocations", {}, b"{}")
        chunks = reply.chunks()
        assert isinstance(chunks, AsyncGenerator)
        assert await anext(chunks) == b"a"
        reply.close()
        await chunks.aclose()
        await asyncio.sleep(0.01)
        reply = await client.post(address, "/invocations", {}, b"{}")
        return await reply.read()

    body, connections = run_on_own_loop(
        loop_kind=loop_kind, scenario=lambda: exchange(lambda _: stream, talk)
    )
    assert body == b"ab"
    assert connections == 2
