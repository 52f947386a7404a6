"""A "gated" MLflow model for tests that need requests held inside a model server.

The model blocks inside `predict` on a socket the test listens on (`Gate`) until the test opens
the gate; each arrival at the gate is a request that has reached the model. So tests wait on
events (arrivals, the workspace's in-flight count), never on the clock, and the model holds its
requests exactly as long as a test needs. Used by test_local_router.py and test_local_metrics.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from typing import Any

import requests

GATED_CODE = '''\
import socket

from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


def wait_at_gate(model_input):
    """Blocks until the test opens the gate (sends a byte or closes)."""
    port = model_input["port"]  # a column, or (for predict_stream) the one row's value
    port = int(port.iloc[0] if hasattr(port, "iloc") else port)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as gate:
        gate.settimeout(600)
        gate.recv(1)


class Gated(PythonModel):
    def predict(self, context, model_input, params=None):
        if "port" in model_input.columns:
            wait_at_gate(model_input)
            return ["through the gate"]
        return ["no gate"]

    def predict_stream(self, context, model_input, params=None):
        yield {"part": 1}
        wait_at_gate(model_input)
        yield {"part": 2}


set_model(Gated())
'''

SMALL = 4  # concurrency of workload_size Small; the queue holds as many again


class Gate:
    """Where the gated model waits: counts arrivals and holds them until `open()`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.arrived = 0
        self._held: list[socket.socket] = []
        self._open = False
        self._changed = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self._changed:
                self.arrived += 1
                if self._open:
                    _let_through(connection)
                else:
                    self._held.append(connection)
                self._changed.notify_all()

    def wait_arrivals(self, count: int, timeout_s: float = 60.0) -> None:
        with self._changed:
            reached = self._changed.wait_for(lambda: self.arrived >= count, timeout_s)
        assert reached, f"{self.arrived} of {count} requests reached the model"

    def open(self) -> None:
        with self._changed:
            self._open = True
            for connection in self._held:
                _let_through(connection)
            self._held.clear()

    def close(self) -> None:
        self.open()
        self.listener.close()

    def body(self, **extra: Any) -> dict[str, Any]:
        return {"dataframe_records": [{"port": self.port}], **extra}


def _let_through(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the model server may have given up already
        connection.sendall(b"x")
    connection.close()


class Caller(threading.Thread):
    """One query in a thread of its own; `answer` once it returns."""

    def __init__(self, url: str, token: str, body: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.body = url, token, body
        self.answer: requests.Response | None = None
        self.start()

    def run(self) -> None:
        self.answer = requests.post(
            self.url, json=self.body, headers={"Authorization": f"Bearer {self.token}"}, timeout=120
        )


def save_gated_model(directory: Path) -> Path:
    """Saves the gated model under `directory` and returns the model's path."""
    import mlflow.pyfunc

    code = directory / "gated.py"
    code.write_text(GATED_CODE)
    path = directory / "model"
    mlflow.pyfunc.save_model(
        path=str(path), python_model=str(code), pip_requirements=["mlflow", "pandas"]
    )
    return path
