"""Connection failures over real sockets: a refused connection (a wrong host or port) fails
fast, naming the host; a connection that is accepted and then dropped keeps the whole retry
budget. Attempts are counted (by the error, and by the listening socket), and the backoff runs
on a stand-in clock, so nothing here depends on how busy the machine is."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from serving_panel import ServingClient
from serving_panel._http import RetryPolicy, Transport
from serving_panel.config import resolve
from serving_panel.errors import ConnectionFailed

TOKEN = "dapi-never-shown-0123456789"


@dataclass
class SteppedClock:
    """Time that moves only when the transport sleeps: the backoff it chose, without waiting."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but never listening: the kernel refuses every connection to it, and no
    other process can take it while the test runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@dataclass
class DroppingServer:
    """Accepts each connection and resets it at once, counting them."""

    port: int
    accepted: int = 0


@pytest.fixture
def dropping_server() -> Iterator[DroppingServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server = DroppingServer(int(listener.getsockname()[1]))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.accepted += 1
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def transport(port: int, clock: SteppedClock) -> Transport:
    """The client's transport with the default policy, on a stepped clock."""
    connection = resolve(f"http://127.0.0.1:{port}", TOKEN)
    return Transport(connection, sleep=clock.sleep, clock=clock.clock)


def test_a_refused_connection_gives_up_within_its_short_budget(refusing_port: int) -> None:
    clock = SteppedClock()
    with pytest.raises(ConnectionFailed) as failed:
        transport(refusing_port, clock).request("GET", "/api/2.0/serving-endpoints")
    # Backoff 0.25-0.5 s, then 0.5-1 s, then 1-2 s, which the 1.5 s budget no longer allows.
    assert failed.value.attempts == 3
    assert sum(clock.slept) <= RetryPolicy().refused_budget_s
    assert f"127.0.0.1:{refusing_port}" in str(failed.value)
    assert "connection refused" in str(failed.value)
    assert "after 3 attempts" in str(failed.value)


def test_a_dropped_connection_keeps_the_whole_retry_budget(
    dropping_server: DroppingServer,
) -> None:
    clock = SteppedClock()
    with pytest.raises(ConnectionFailed) as failed:
        transport(dropping_server.port, clock).request("GET", "/api/2.0/serving-endpoints")
    assert failed.value.attempts == RetryPolicy().attempts
    assert dropping_server.accepted == RetryPolicy().attempts
    assert "connection refused" not in str(failed.value)


def test_a_client_pointed_at_a_wrong_port_says_so_at_once(refusing_port: int) -> None:
    """The user's view, on the real clock: the error names host and port, never the token.
    The time bound is a loose sanity check; the attempt count above is the real assertion."""
    client = ServingClient(f"http://127.0.0.1:{refusing_port}", TOKEN)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as failed:
        client.list()
    assert time.monotonic() - started < 10
    assert failed.value.attempts <= 3
    assert f"http://127.0.0.1:{refusing_port}" in str(failed.value)
    assert "connection refused" in str(failed.value)
    assert TOKEN not in str(failed.value)
