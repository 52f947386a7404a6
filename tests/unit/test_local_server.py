"""The server's pre-bound socket: connections accepted on it must have TCP_NODELAY, or every
response waits on a delayed ACK (it once cost 44 ms per request)."""

from __future__ import annotations

import asyncio
import socket
import threading

from serving_panel.local.api.server import bind


def test_connections_accepted_on_the_bound_socket_have_nodelay() -> None:
    async def scenario() -> int:
        flags: list[int] = []
        accepted = asyncio.Event()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            flags.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()
            accepted.set()

        listener = bind("127.0.0.1", 0)
        server = await asyncio.start_server(on_connect, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.wait_for(accepted.wait(), timeout=10)
        writer.close()
        server.close()
        await server.wait_closed()
        return flags[0]

    # In its own thread: Playwright's sync API may already run an event loop on this one.
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(scenario())))
    thread.start()
    thread.join(timeout=30)
    assert result, "the scenario did not finish"
    assert result[0] != 0
