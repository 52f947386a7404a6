"""A bare forwarder on the router's own stack, for `invocations.py`: what any router built on it
costs at least.

uvicorn (httptools, uvloop, as the workspace runs it) answers every POST by sending the body to
one model server with the router's upstream client (`serving/upstream.py`) and relaying the
answer: no token, no permission check, no routing table, no admission, no timeout, no metrics.

    python benchmarks/_forwarder.py MODEL_SERVER_PORT   (the model server's secret on stdin)

Prints the port it listens on, then serves until stdin closes or it is terminated.
"""

from __future__ import annotations

import socket
import sys
import threading

import uvicorn
from starlette.types import Receive, Scope, Send

from serving_panel.local.secret import SECRET_HEADER
from serving_panel.local.serving.upstream import ModelServerClient


def main() -> None:
    upstream = ("127.0.0.1", int(sys.argv[1]))
    headers = {"Content-Type": "application/json", SECRET_HEADER: sys.stdin.readline().strip()}
    client = ModelServerClient()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        reply = await client.post(upstream, "/invocations", headers, body)
        data = await reply.read()
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(data)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)

    def exit_when_stdin_closes() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
