"""The model-serving worker, run as real subprocesses the way the supervisor runs them.

Each worker gets a listening socket bound here and passed with `pass_fds`, stdin as a pipe, and
its stdout read line by line with a selector until the "serving" line. Starting one takes about
a second (a fresh Python that imports MLflow), so workers that tests can share are
module-scoped. Tests that must wait for the model to reach a point use a "gate": the probe
model connects to a socket the test listens on and blocks until the test accepts and sends a
byte, so nothing here sleeps to wait for an event.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pytest
import requests
from mlflow.pyfunc.scoring_server import REQUIRED_INPUT_FORMAT
from requests.adapters import HTTPAdapter

from serving_panel.local.logformat import LOG_LINE_PATTERN
from serving_panel.local.worker.http import Handler

START_TIMEOUT = 60.0
# MLflow's message for a body without exactly one input field; it goes on to list the fields
# as a Python set, in no fixed order.
FORMAT_ERROR = REQUIRED_INPUT_FORMAT.split(" {")[0]
BROKEN_MESSAGE = "demo model 'broken' fails to load on purpose: missing weights file weights.bin"

# A model whose behaviour each request picks with a "mode" column (dataframe_records).
PROBE_CODE = '''\
import socket
import sys
import time

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


def wait_at_gate(port):
    """Blocks until the test accepts the connection and sends a byte."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=30) as gate:
        gate.recv(1)


class Probe(PythonModel):
    def load_context(self, context):
        print("probe is loading")

    def predict(self, context, model_input: pd.DataFrame, params=None):
        row = model_input.iloc[0]
        mode = row["mode"]
        if mode == "print":
            print(f"stdout says {row['marker']}")
            print(f"stderr says {row['marker']}", file=sys.stderr)
            print(f"partial {row['marker']}", end="", flush=True)
            return ["printed"]
        if mode == "sleep":
            started = time.monotonic()
            time.sleep(float(row["seconds"]))
            return [[started, time.monotonic()]]
        if mode == "gate":
            print(f"waiting at gate {row['port']}")
            wait_at_gate(row["port"])
            return ["through the gate"]
        raise ValueError(f"unknown mode {mode!r}")

    def predict_stream(self, context, model_input: pd.DataFrame, params=None):
        yield {"part": 1}
        if model_input["mode"] == "fail":
            raise RuntimeError("probe stream fails on purpose")
        wait_at_gate(model_input["port"])
        yield {"part": 2}


set_model(Probe())
'''


class WorkerProcess:
    """A running worker and the log lines it has printed so far."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc = proc
        self.port = port
        self.lines: list[str] = []
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        assert proc.stdout is not None
        self._stdout = proc.stdout
        self._selector.register(self._stdout, selectors.EVENT_READ)

    def url(self, path: str = "/invocations") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _read_line(self, deadline: float) -> str | None:
        """The next stdout line, or None at end of file."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching line in time; lines so far: {self.lines}")
            if not self._selector.select(remaining):
                continue
            data = os.read(self._stdout.fileno(), 65536)
            if not data:
                if not self._buffer:
                    return None
                self._buffer += b"\n"
            self._buffer += data
        raw, self._buffer = self._buffer.split(b"\n", 1)
        line = raw.decode("utf-8")
        self.lines.append(line)
        return line

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self._read_line(deadline)
            if line is None:
                raise AssertionError(
                    f"the worker exited ({self.proc.poll()}) first; lines: {self.lines}"
                )
            if predicate(line):
                return line

    def wait_for_message(self, level: str, message: str, timeout: float = 15.0) -> str:
        return self.wait_for(lambda line: parse(line) == (level, message), timeout)

    def read_to_end(self, timeout: float = START_TIMEOUT) -> list[str]:
        deadline = time.monotonic() + timeout
        while self._read_line(deadline) is not None:
            pass
        return self.lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._selector.close()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


def parse(line: str) -> tuple[str, str] | None:
    """(level, message) of a log line, None for anything else."""
    match = LOG_LINE_PATTERN.match(line)
    return (match["level"], match["message"]) if match else None


def spawn(
    model_dir: Path,
    concurrency: int = 1,
    name: str = "entity-1",
    env: dict[str, str] | None = None,
    listener: socket.socket | None = None,
) -> WorkerProcess:
    """Starts a worker exactly as the supervisor does; the test's copy of the socket is closed
    so that once the worker closes its own, connecting is refused."""
    if listener is None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
    fd = listener.fileno()
    port = listener.getsockname()[1]
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "serving_panel.local.worker",
                str(model_dir),
                "--fd",
                str(fd),
                "--concurrency",
                str(concurrency),
                "--name",
                name,
            ],
            pass_fds=(fd,),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
    finally:
        listener.close()
    return WorkerProcess(proc, port)


@contextmanager
def serving(
    model_dir: Path, concurrency: int = 1, name: str = "entity-1"
) -> Iterator[WorkerProcess]:
    worker = spawn(model_dir, concurrency, name)
    try:
        worker.wait_for(lambda line: " INFO serving " in line, START_TIMEOUT)
        yield worker
    finally:
        worker.kill()


@contextmanager
def gate() -> Iterator[tuple[int, Callable[[], None]]]:
    """A port for the probe's "gate" mode and the function that lets the model through."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(15)

        def release() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"g")

        yield listener.getsockname()[1], release


def records(**row: Any) -> dict[str, Any]:
    return {"dataframe_records": [row]}


# Fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("probe")
    code = directory / "probe.py"
    code.write_text(PROBE_CODE)
    mlflow.pyfunc.save_model(
        path=str(directory / "model"), python_model=str(code), pip_requirements=[]
    )
    return directory / "model"


@pytest.fixture(scope="module")
def regressor(demo_models: dict[str, Path]) -> Iterator[WorkerProcess]:
    with serving(demo_models["regressor"], name="ads1-1") as worker:
        yield worker


@pytest.fixture(scope="module")
def streamer(demo_models: dict[str, Path]) -> Iterator[WorkerProcess]:
    with serving(demo_models["streamer"]) as worker:
        yield worker


@pytest.fixture(scope="module")
def probe(probe_model: Path) -> Iterator[WorkerProcess]:
    with serving(probe_model, concurrency=2) as worker:
        yield worker


# Start-up -----------------------------------------------------------------------------------


def test_start_up_lines_say_what_is_served_where(regressor: WorkerProcess) -> None:
    messages = [parse(line) for line in regressor.lines]
    assert None not in messages, regressor.lines
    levels = {level for level, _ in filter(None, messages)}
    assert levels == {"INFO"}, regressor.lines
    texts = [message for _, message in filter(None, messages)]
    assert any(text.startswith("loading model from ") for text in texts), texts
    assert any(text.startswith("model loaded in ") and text.endswith(" s") for text in texts)
    assert texts[-1] == f"serving ads1-1 on 127.0.0.1:{regressor.port} with concurrency 1"


def test_a_model_that_fails_to_load_exits_4_with_error_lines(
    demo_models: dict[str, Path],
) -> None:
    worker = spawn(demo_models["broken"])
    try:
        lines = worker.read_to_end()
        assert worker.proc.wait(timeout=10) == 4
    finally:
        worker.kill()
    assert all(parse(line) for line in lines), lines
    errors = [message for level, message in filter(None, map(parse, lines)) if level == "ERROR"]
    assert errors[0] == f"model failed to load: RuntimeError: {BROKEN_MESSAGE}"
    assert "Traceback (most recent call last):" in errors
    assert f"RuntimeError: {BROKEN_MESSAGE}" in errors
    assert not any(" serving " in line for line in lines)


def test_without_mlflow_the_worker_exits_3(tmp_path: Path, demo_models: dict[str, Path]) -> None:
    fake = tmp_path / "fake" / "mlflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('this mlflow is broken on purpose')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}
    worker = spawn(demo_models["regressor"], env=env)
    try:
        lines = worker.read_to_end()
        assert worker.proc.wait(timeout=10) == 3
    finally:
        worker.kill()
    assert "ERROR mlflow cannot be imported: ImportError: this mlflow is broken on purpose" in (
        "\n".join(lines)
    )


def test_a_socket_that_is_not_listening_is_refused_with_exit_2(
    demo_models: dict[str, Path],
) -> None:
    unlistened = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    unlistened.bind(("127.0.0.1", 0))
    worker = spawn(demo_models["regressor"], listener=unlistened)
    try:
        lines = worker.read_to_end()
        assert worker.proc.wait(timeout=10) == 2
    finally:
        worker.kill()
    assert any("ERROR --fd" in line and "is not listening" in line for line in lines), lines


# Predictions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"dataframe_split": {"columns": ["x"], "data": [[1], [2.5]]}}, [3.0, 6.0], id="split"
        ),
        pytest.param({"dataframe_records": [{"x": 1}, {"x": -3}]}, [3.0, -5.0], id="records"),
        pytest.param({"instances": [{"x": 0}, {"x": 4}]}, [1.0, 9.0], id="instances"),
        pytest.param({"inputs": {"x": [10, 20]}}, [21.0, 41.0], id="inputs"),
        pytest.param(
            {
                "inputs": {"x": [1]},
                "client_request_id": "req-7",
                "usage_context": {"team": "ads"},
                "extra_params": {"a": "b"},
            },
            [3.0],
            id="databricks-fields-ignored",
        ),
    ],
)
def test_regressor_predicts_every_input_format(
    regressor: WorkerProcess, body: dict[str, Any], expected: list[float]
) -> None:
    response = requests.post(regressor.url(), json=body, timeout=10)

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"predictions": expected}


@pytest.mark.parametrize(
    ("body", "message_start"),
    [
        pytest.param(b'{"client_request_id": "x"}', FORMAT_ERROR, id="no-input-field"),
        pytest.param(b'{"inputs": [1], "instances": [2]}', FORMAT_ERROR, id="two-input-fields"),
        pytest.param(
            b'{"dataframe_split": {"columns": ["x"], "data": [[1',
            "Invalid input. Ensure",
            id="json",
        ),
        pytest.param(b"[1, 2]", f"Invalid input. {FORMAT_ERROR}", id="list"),
        pytest.param(
            b'{"inputs": {"x": [1]}, "stream": "yes"}',
            "'stream' must be true or false",
            id="stream",
        ),
        pytest.param(
            b'{"inputs": {"x": [1]}, "stream": true}',
            "This model does not support predict_stream method.",
            id="not-streamable",
        ),
    ],
)
def test_bad_requests_get_400_with_mlflows_own_message(
    regressor: WorkerProcess, body: bytes, message_start: str
) -> None:
    response = requests.post(
        regressor.url(), data=body, headers={"Content-Type": "application/json"}, timeout=10
    )

    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    payload = response.json()
    assert payload["error_code"] == "BAD_REQUEST"
    assert payload["message"].startswith(message_start), payload["message"]


def test_an_exception_in_predict_is_a_400_and_its_traceback_is_logged(
    regressor: WorkerProcess,
) -> None:
    response = requests.post(regressor.url(), json={"inputs": {"y": [1]}}, timeout=10)

    assert response.status_code == 400
    assert response.json() == {
        "error_code": "BAD_REQUEST",
        "message": "ValueError: the regressor needs a column 'x', got columns: ['y']",
    }
    regressor.wait_for_message(
        "ERROR",
        "prediction failed: ValueError: the regressor needs a column 'x', got columns: ['y']",
    )
    regressor.wait_for_message("ERROR", "Traceback (most recent call last):")
    regressor.wait_for(lambda line: " ERROR " in line and "demo_regressor.py" in line)
    regressor.wait_for(
        lambda line: (
            (parse(line) or ("", ""))[0] == "WARNING" and '"POST /invocations" 400 ' in line
        )
    )


def test_wrong_paths_and_methods_get_json_errors(regressor: WorkerProcess) -> None:
    missing = requests.post(regressor.url("/predict"), json={}, timeout=10)
    wrong_method = requests.get(regressor.url(), timeout=10)
    ping = requests.get(regressor.url("/ping"), timeout=10)

    assert missing.status_code == 404
    assert missing.json()["error_code"] == "NOT_FOUND"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"
    assert wrong_method.json()["error_code"] == "METHOD_NOT_ALLOWED"
    assert ping.status_code == 200
    assert ping.json() == {"status": "ok"}


def test_each_invocation_gets_one_access_line_and_pings_none(regressor: WorkerProcess) -> None:
    session = requests.Session()
    session.get(regressor.url("/ping"), timeout=10)
    session.post(regressor.url(), json={"inputs": {"x": [1]}}, timeout=10)
    session.post(regressor.url(), json={}, timeout=10)
    session.get(regressor.url("/access-log-marker"), timeout=10)
    session.close()

    start = len(regressor.lines)
    regressor.wait_for(lambda line: '"GET /access-log-marker" 404 ' in line)
    access = [parse(line) for line in regressor.lines[start:] if '"' in line]
    shapes = [
        (level, message.rsplit(" ", 2)[0], message.endswith(" ms"))
        for level, message in filter(None, access)
    ]
    assert shapes[-3:] == [
        ("INFO", '"POST /invocations" 200', True),
        ("WARNING", '"POST /invocations" 400', True),
        ("WARNING", '"GET /access-log-marker" 404', True),
    ]
    assert not any("/ping" in line for line in regressor.lines)


def test_keep_alive_reuses_one_connection_without_nagle(
    regressor: WorkerProcess,
) -> None:
    body = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}}
    with requests.Session() as session:
        for _ in range(200):
            response = session.post(regressor.url(), json=body, timeout=10)
            assert response.status_code == 200
            assert "close" not in response.headers.get("Connection", "").lower()
        adapter = session.get_adapter(regressor.url())
        assert isinstance(adapter, HTTPAdapter)
        pools = adapter.poolmanager.pools
        # RecentlyUsedContainer refuses plain iteration; keys() is its way.
        new_connections = sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118

    assert new_connections == 1
    # With Nagle's algorithm on, every response would wait ~40 ms for a delayed ACK; the
    # handler turns it off (the stdlib sets TCP_NODELAY per connection). The latency itself is
    # measured in benchmarks/invocations.py, not here.
    assert Handler.disable_nagle_algorithm is True


def test_classifier_predicts_and_enforces_its_signature(demo_models: dict[str, Path]) -> None:
    with serving(demo_models["classifier"]) as worker:
        good = requests.post(
            worker.url(),
            json={"dataframe_records": [{"text": "a great day"}, {"text": "awful and sad"}]},
            timeout=10,
        )
        bad = requests.post(worker.url(), json={"inputs": {"words": ["good"]}}, timeout=10)

    assert good.status_code == 200
    assert good.json() == {"predictions": ["positive", "negative"]}
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "BAD_REQUEST"
    message = bad.json()["message"]
    assert "Failed to enforce schema" in message
    assert "missing inputs" in message
    assert "text" in message


# Streaming ----------------------------------------------------------------------------------


def test_streamer_streams_data_lines_then_done_and_nothing_else(streamer: WorkerProcess) -> None:
    with requests.post(
        streamer.url(),
        json={"prompt": "the quick brown fox", "stream": True},
        stream=True,
        timeout=10,
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        raw = b"".join(response.iter_content(chunk_size=None))

    words = ["fox", " brown", " quick", " the"]
    expected = "".join(
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": word}}]}) + "\n\n"
        for word in words
    )
    assert raw.decode() == expected + "data: [DONE]\n\n"


def test_streamed_words_join_to_what_predict_returns(streamer: WorkerProcess) -> None:
    body = {"dataframe_records": [{"prompt": "serve the model"}]}
    predicted = requests.post(streamer.url(), json=body, timeout=10)
    with requests.post(
        streamer.url(), json={**body, "stream": True}, stream=True, timeout=10
    ) as response:
        lines = [line.decode() for line in response.iter_lines() if line]

    assert predicted.status_code == 200
    assert predicted.json() == {"predictions": ["model the serve"]}
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == "model the serve"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            {"dataframe_records": [{"prompt": "a b"}, {"prompt": "c d"}]},
            "'predict_stream' requires single input, but it got input data "
            "[{'prompt': 'a b'}, {'prompt': 'c d'}]",
            id="mlflow",
        ),
        pytest.param(
            {"inputs": {"prompt": ["a b", "c d"]}},
            "ValueError: the streamer streams one prompt at a time, got 2",
            id="model",
        ),
    ],
)
def test_streaming_more_than_one_prompt_is_a_400(
    streamer: WorkerProcess, body: dict[str, Any], message: str
) -> None:
    response = requests.post(streamer.url(), json={**body, "stream": True}, timeout=10)

    assert response.status_code == 400
    assert response.json() == {"error_code": "BAD_REQUEST", "message": message}


def test_each_chunk_reaches_the_client_before_the_next_is_made(probe: WorkerProcess) -> None:
    with (
        gate() as (port, release),
        requests.post(
            probe.url(),
            json={**records(mode="gate", port=port), "stream": True},
            stream=True,
            timeout=(5, 5),
        ) as response,
    ):
        lines = response.iter_lines()
        # The model is now blocked at the gate: part 2 does not exist yet.
        assert next(lines) == b'data: {"part": 1}'
        release()
        rest = list(lines)

    assert rest == [b"", b'data: {"part": 2}', b"", b"data: [DONE]", b""]


def test_a_stream_that_fails_midway_ends_with_an_error_frame_and_no_done(
    probe: WorkerProcess,
) -> None:
    seen: list[bytes] = []
    with (
        requests.post(
            probe.url(), json={**records(mode="fail"), "stream": True}, stream=True, timeout=10
        ) as response,
        pytest.raises(requests.exceptions.ChunkedEncodingError),
    ):
        seen.extend(line for line in response.iter_lines() if line)

    assert seen[0] == b'data: {"part": 1}'
    assert json.loads(seen[1].removeprefix(b"data: ")) == {
        "error_code": "INTERNAL_ERROR",
        "message": "RuntimeError: probe stream fails on purpose",
    }
    assert b"data: [DONE]" not in seen
    probe.wait_for_message(
        "ERROR", "prediction failed while streaming: RuntimeError: probe stream fails on purpose"
    )


# What the model prints ----------------------------------------------------------------------


def test_what_the_model_prints_becomes_log_lines(probe: WorkerProcess) -> None:
    assert ("INFO", "probe is loading") in [parse(line) for line in probe.lines]

    response = requests.post(probe.url(), json=records(mode="print", marker="m-42"), timeout=10)

    assert response.json() == {"predictions": ["printed"]}
    probe.wait_for_message("INFO", "stdout says m-42")
    probe.wait_for_message("WARNING", "stderr says m-42")
    probe.wait_for_message("INFO", "partial m-42")


# Concurrency --------------------------------------------------------------------------------


def test_at_most_c_requests_run_in_the_model_and_the_rest_wait(probe: WorkerProcess) -> None:
    def call(_: int) -> requests.Response:
        return requests.post(probe.url(), json=records(mode="sleep", seconds=0.3), timeout=30)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(call, range(6)))

    assert [response.status_code for response in responses] == [200] * 6
    spans = [response.json()["predictions"][0] for response in responses]
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert peak == 2


# Lifetime -----------------------------------------------------------------------------------


def test_sigterm_stops_accepting_finishes_in_flight_requests_and_exits_0(
    probe_model: Path,
) -> None:
    with serving(probe_model) as worker, gate() as (port, release):
        results: list[requests.Response] = []
        caller = threading.Thread(
            target=lambda: results.append(
                requests.post(worker.url(), json=records(mode="gate", port=port), timeout=30)
            )
        )
        caller.start()
        worker.wait_for_message("INFO", f"waiting at gate {port}")

        worker.proc.send_signal(signal.SIGTERM)
        worker.wait_for(lambda line: "stopped accepting connections" in line)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", worker.port), timeout=5).close()
        assert worker.proc.poll() is None  # still finishing the request at the gate
        release()
        caller.join(timeout=15)

        assert worker.proc.wait(timeout=15) == 0
        assert [(r.status_code, r.json()) for r in results] == [
            (200, {"predictions": ["through the gate"]})
        ]
        lines = worker.read_to_end()
    assert ("INFO", "stopped") in [parse(line) for line in lines]


def test_closing_stdin_ends_the_worker(demo_models: dict[str, Path]) -> None:
    with serving(demo_models["regressor"]) as worker:
        assert worker.proc.stdin is not None
        worker.proc.stdin.close()

        assert worker.proc.wait(timeout=10) == 0
        lines = worker.read_to_end()
    assert ("INFO", "stdin closed (the supervisor is gone); exiting") in map(parse, lines)
