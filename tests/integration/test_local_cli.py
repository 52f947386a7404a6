"""The real `serving-panel local ...` console script against a temporary data directory: the
identity and model commands, their errors, and `start` serving until Ctrl-C."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from harness.api import Api

SCRIPT = Path(sys.executable).parent / "serving-panel"
TOKEN = re.compile(r"^dapi[0-9a-f]{32}$")
ADMIN_TOKEN_FILE = "admin-token"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
# Every command here finishes in well under a second; the timeout only guards against a hang.
COMMAND_TIMEOUT_S = 15.0


def run(
    *args: str, data_dir: Path, timeout: float = COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "local", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def succeeds(*args: str, data_dir: Path) -> str:
    done = run(*args, data_dir=data_dir)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    assert done.stderr == ""
    return done.stdout


def one_token(stdout: str) -> str:
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    assert TOKEN.match(lines[0]), stdout
    return lines[0]


def refused(done: subprocess.CompletedProcess[str]) -> str:
    """The error line of a command that must exit 2 with a message and print nothing else."""
    assert done.returncode == 2, f"exit {done.returncode}: {done.stdout} {done.stderr}"
    assert done.stdout == ""
    assert done.stderr.startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.is_file() and os.access(SCRIPT, os.X_OK), SCRIPT


def test_add_user_prints_a_token(data_dir: Path) -> None:
    token = one_token(succeeds("add-user", "alice@example.com", "--group", "ds", data_dir=data_dir))
    # A second run for the same user adds a new token, not a new user.
    again = one_token(succeeds("add-user", "alice@example.com", data_dir=data_dir))
    assert again != token
    assert (data_dir / ADMIN_TOKEN_FILE).is_file()  # a fresh directory gets its admin first


def test_add_group_and_add_service_principal(data_dir: Path) -> None:
    succeeds("add-user", "alice@example.com", data_dir=data_dir)
    out = succeeds("add-group", "ops", "--member", "alice@example.com", data_dir=data_dir)
    assert out == "group ops ready\n"
    out = succeeds("add-service-principal", "robot", "--group", "ops", data_dir=data_dir)
    match = re.fullmatch(r"application id: (\S+)\ntoken: (\S+)\n", out)
    assert match is not None, out
    assert uuid.UUID(match.group(1))
    assert TOKEN.match(match.group(2))
    out = succeeds(
        "add-service-principal", "etl", "--application-id", "etl-app-1", data_dir=data_dir
    )
    assert out.splitlines()[0] == "application id: etl-app-1"


def test_token_prints_a_new_token_for_a_user_or_service_principal(data_dir: Path) -> None:
    first = one_token(succeeds("add-user", "alice@example.com", data_dir=data_dir))
    second = one_token(succeeds("token", "alice@example.com", data_dir=data_dir))
    assert second != first
    succeeds("add-service-principal", "etl", "--application-id", "etl-app-1", data_dir=data_dir)
    one_token(succeeds("token", "etl-app-1", data_dir=data_dir))


def test_register_model_numbers_versions(data_dir: Path, demo_models: dict[str, Path]) -> None:
    regressor = str(demo_models["regressor"])
    assert succeeds("register-model", "ads1", regressor, data_dir=data_dir) == (
        "registered ads1 version 1\n"
    )
    assert succeeds("register-model", "ads1", regressor, data_dir=data_dir) == (
        "registered ads1 version 2\n"
    )
    out = succeeds(
        "register-model",
        "main.default.sentiment",
        str(demo_models["classifier"]),
        "--version",
        "5",
        data_dir=data_dir,
    )
    assert out == "registered main.default.sentiment version 5\n"
    assert (data_dir / "models" / "ads1" / "2" / "model" / "MLmodel").is_file()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ("add-user", "not-an-email"),
            "error: email: 'not-an-email' is not an email address",
            id="bad-email",
        ),
        pytest.param(
            ("add-user", "bob@example.com", "--group", "bad/group"),
            "error: group: 'bad/group': group names use",
            id="bad-group",
        ),
        pytest.param(
            ("token", "nobody@example.com"),
            "error: name: no user or service principal named 'nobody@example.com'",
            id="token-unknown-user",
        ),
        pytest.param(
            ("add-group", "ops", "--member", "ghost@example.com"),
            "error: member: no user, service principal or group named 'ghost@example.com'",
            id="unknown-member",
        ),
        pytest.param(
            ("add-service-principal", "  "),
            "error: display_name: is required",
            id="blank-service-principal",
        ),
    ],
)
def test_identity_errors_exit_2_with_a_clear_message(
    data_dir: Path, args: tuple[str, ...], expected: str
) -> None:
    assert refused(run(*args, data_dir=data_dir)).startswith(expected)


def test_a_duplicate_application_id_is_refused(data_dir: Path) -> None:
    succeeds("add-service-principal", "etl", "--application-id", "etl-app-1", data_dir=data_dir)
    message = refused(
        run("add-service-principal", "etl2", "--application-id", "etl-app-1", data_dir=data_dir)
    )
    assert message == "error: application_id: 'etl-app-1' already exists"


@pytest.mark.parametrize(
    ("name", "where", "expected"),
    [
        pytest.param("bad.name", "regressor", "invalid model name 'bad.name'", id="bad-name"),
        pytest.param("ads1", None, "not an MLflow model directory", id="not-a-model"),
    ],
)
def test_register_model_errors_exit_2(
    data_dir: Path, demo_models: dict[str, Path], name: str, where: str | None, expected: str
) -> None:
    path = demo_models[where] if where is not None else data_dir.parent
    message = refused(run("register-model", name, str(path), data_dir=data_dir))
    assert expected in message
    assert not (data_dir / "models" / name).exists()


def test_register_model_refuses_an_existing_version(
    data_dir: Path, demo_models: dict[str, Path]
) -> None:
    regressor = str(demo_models["regressor"])
    succeeds("register-model", "ads1", regressor, data_dir=data_dir)
    record = data_dir / "models" / "ads1" / "1" / "registered.json"
    before = record.read_text()
    try:
        done = run("register-model", "ads1", regressor, "--version", "1", data_dir=data_dir)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"register-model of an existing version still running after {COMMAND_TIMEOUT_S} s"
        )
    message = refused(done)
    assert "model 'ads1' already has version 1" in message
    assert "registered versions are never replaced" in message
    # Nothing changed: one version, no staging debris left behind.
    assert sorted(p.name for p in (data_dir / "models" / "ads1").iterdir()) == ["1"]
    assert sorted(p.name for p in (data_dir / "models").iterdir()) == ["ads1"]
    assert record.read_text() == before


# start -------------------------------------------------------------------------------------


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    host: str
    token: str
    output: str
    stderr_path: Path


def read_until_ready(process: subprocess.Popen[bytes], deadline: float) -> str:
    """stdout up to and including the "Press Ctrl-C" line, read without blocking past deadline."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while b"Press Ctrl-C" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no 'Press Ctrl-C' within the deadline; got {buffer!r}")
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(
                    f"serving-panel local start exited with {process.wait(10)}: {buffer!r}"
                )
            buffer += chunk
    finally:
        selector.close()
    return buffer.decode()


@pytest.fixture
def alice_token(data_dir: Path) -> str:
    """A user added by the CLI before the server starts."""
    return one_token(succeeds("add-user", "alice@example.com", "--group", "ds", data_dir=data_dir))


@pytest.fixture
def started(data_dir: Path, tmp_path: Path, alice_token: str) -> Iterator[Started]:
    """`serving-panel local start --port 0` on a data directory that already has a user."""
    stderr_path = tmp_path / "start.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [str(SCRIPT), "local", "start", "--data-dir", str(data_dir), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
    try:
        output = read_until_ready(process, time.monotonic() + START_TIMEOUT_S)
        host = re.search(r"^\s*export DATABRICKS_HOST=(\S+)$", output, re.MULTILINE)
        token = re.search(r"^\s*export DATABRICKS_TOKEN=(\S+)$", output, re.MULTILINE)
        assert host is not None and token is not None, output
        yield Started(process, host.group(1), token.group(1), output, stderr_path)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        assert process.stdout is not None
        process.stdout.close()


def test_start_serves_the_api_with_the_printed_host_and_token(
    started: Started, alice_token: str, data_dir: Path
) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", started.host), started.host
    assert started.token == (data_dir / ADMIN_TOKEN_FILE).read_text().strip()
    assert f"Local workspace at {started.host}" in started.output
    admin = Api(started.host, started.token)
    listing = admin.get("/api/2.0/serving-endpoints")
    assert listing.status_code == 200, listing.text
    assert listing.json() == {"endpoints": []}
    assert admin.get("/api/2.0/preview/scim/v2/Me").json()["userName"] == (
        "admin@serving-panel.local"
    )
    # The token add-user printed before the start works, and is alice's.
    alice = Api(started.host, alice_token)
    me = alice.get("/api/2.0/preview/scim/v2/Me")
    assert me.status_code == 200, me.text
    assert me.json()["userName"] == "alice@example.com"
    assert "ds" in [g["display"] for g in me.json()["groups"]]
    assert alice.get("/api/2.0/serving-endpoints").json() == {"endpoints": []}
    # So does a token the CLI makes while the server runs.
    fresh = one_token(succeeds("token", "alice@example.com", data_dir=data_dir))
    assert Api(started.host, fresh).get("/api/2.0/serving-endpoints").status_code == 200
    # And a token it never issued does not.
    assert Api(started.host, "dapi" + "0" * 32).get("/api/2.0/serving-endpoints").status_code == 403


def test_sigint_stops_start_within_20_s(started: Started) -> None:
    started.process.send_signal(signal.SIGINT)
    started.process.wait(STOP_TIMEOUT_S)  # raises TimeoutExpired if it keeps running
    with pytest.raises(requests.ConnectionError):
        requests.get(started.host + "/api/2.0/serving-endpoints", timeout=5)


def test_sigint_exits_with_code_0(started: Started) -> None:
    started.process.send_signal(signal.SIGINT)
    code = started.process.wait(STOP_TIMEOUT_S)
    stderr = started.stderr_path.read_text(errors="replace")
    assert code == 0, f"exit {code}: {stderr[-3000:]}"
    assert "Traceback" not in stderr
