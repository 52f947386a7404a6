"""The workspace's processes: none outlives what it belongs to, none is reachable or readable
by anyone else, and a misbehaving model costs only its own server a restart.

Real processes throughout: a script that starts a workspace and is killed, `kill -9` of the
server, a load that never returns, a model that crashes or leaks on request. Every wait is on
a condition (a pid gone, a state reached, a log line written), bounded by a deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from harness.api import Api, create_ready, entity, settle, unique, wait_for
from harness.misbehaving import records, write_misbehaving_model
from harness.workspaces import start_workspace
from serving_panel.local.handle import LocalWorkspace
from serving_panel.local.secret import SECRET_HEADER

CANARY = "dapi-canary-0123456789abcdef"  # a DATABRICKS_TOKEN that must reach no model
MEMORY_LIMIT_MB = 1024  # far above a model server's own footprint, far below the leak


def gone(pid: int) -> bool:
    """True once the process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def worker_pids(api: Api) -> list[int]:
    workers = api.get("/__local/workers").json()["workers"]
    return [w["pid"] for w in workers if w["pid"] is not None]


def loader_pids(server_pid: int) -> list[int]:
    pids = []
    for child in psutil.Process(server_pid).children():
        try:
            if "serving_panel.local.builds.loader" in child.cmdline():
                pids.append(child.pid)
        except psutil.Error:
            continue
    return pids


def kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


def server_logs(api: Api, name: str, served: str) -> str:
    response = api.get(f"/api/2.0/serving-endpoints/{name}/served-models/{served}/logs")
    response.raise_for_status()
    return str(response.json()["logs"])


def served_state(api: Api, name: str) -> dict[str, Any]:
    body = api.get(f"/api/2.0/serving-endpoints/{name}").json()
    state: dict[str, Any] = body["config"]["served_entities"][0]["state"]
    return state


def worker_of(api: Api, endpoint_id: str) -> dict[str, Any] | None:
    for worker in api.get("/__local/workers").json()["workers"]:
        if worker["endpoint_id"] == endpoint_id and worker["state"] == "RUNNING":
            return dict(worker)
    return None


@pytest.fixture(scope="module")
def misbehaving_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_misbehaving_model(tmp_path_factory.mktemp("misbehaving"))


@pytest.fixture(scope="module")
def ws(
    tmp_path_factory: pytest.TempPathFactory,
    demo_models: dict[str, Path],
    misbehaving_model: Path,
) -> Iterator[LocalWorkspace]:
    """A workspace whose environment holds a token, with crash backoff that resets after any
    healthy run and a small memory limit."""
    workspace = start_workspace(
        tmp_path_factory.mktemp("processes"),
        demo_models,
        env={
            "DATABRICKS_TOKEN": CANARY,
            "SERVING_PANEL_BACKOFF_RESET_S": "0",
            "SERVING_PANEL_MEMORY_LIMIT_MB": str(MEMORY_LIMIT_MB),
        },
    )
    workspace.register_model("misbehaving", misbehaving_model)
    try:
        yield workspace
    finally:
        workspace.stop()


@pytest.fixture(scope="module")
def ws_api(ws: LocalWorkspace) -> Api:
    return Api(ws.host, ws.token)


def query(api: Api, name: str, **row: object) -> requests.Response:
    return api.post(f"/serving-endpoints/{name}/invocations", json=records(**row))


# Finding 7: the server dies with the process that started it --------------------------------

STARTER = """
import json, sys, threading
from serving_panel.local.handle import LocalWorkspace

started = {}
def start():
    started["ws"] = LocalWorkspace.start(data_dir=sys.argv[1], detach=sys.argv[3] == "detach")
if sys.argv[3] == "thread":  # no parent-death signal: the lifeline pipe alone
    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
else:
    start()
ws = started["ws"]
ws.register_model("ads1", sys.argv[2])
print(json.dumps({"host": ws.host, "token": ws.token, "pid": ws.pid}), flush=True)
sys.stdin.read()  # until killed
"""


def create_with_a_load_that_never_returns(api: Api, name: str) -> None:
    """An endpoint whose one model (the slow demo model, told to load for an hour) keeps its
    loader inside the load."""
    hour = {"SERVING_PANEL_DEMO_SLOW_SECONDS": "3600"}
    api.post(
        "/api/2.0/serving-endpoints",
        json={
            "name": name,
            "config": {"served_entities": [entity("slow", "1", environment_vars=hour)]},
        },
    ).raise_for_status()


@pytest.mark.parametrize("started_from", ["main", "thread"])
def test_kill_9_of_the_starting_script_stops_the_server_and_its_model_servers(
    tmp_path: Path, demo_models: dict[str, Path], started_from: str
) -> None:
    script = subprocess.Popen(
        [
            sys.executable,
            "-c",
            STARTER,
            str(tmp_path / "ws"),
            str(demo_models["regressor"]),
            started_from,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    leftovers: list[int] = []
    try:
        assert script.stdout is not None
        started = json.loads(script.stdout.readline())
        leftovers.append(started["pid"])
        api = Api(started["host"], started["token"])
        create_ready(api, "tied", entity())
        workers = worker_pids(api)
        assert len(workers) == 1
        leftovers += workers

        script.kill()
        script.wait(timeout=30)

        wait_for(
            lambda: all(gone(pid) for pid in leftovers),
            what="the server and its model server to exit after their starter was killed",
        )
    finally:
        kill_leftovers(leftovers)
        if script.poll() is None:
            script.kill()


def test_a_detached_server_outlives_the_script_that_started_it(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    script = subprocess.Popen(
        [
            sys.executable,
            "-c",
            STARTER,
            str(tmp_path / "ws"),
            str(demo_models["regressor"]),
            "detach",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    server_pid: int | None = None
    try:
        assert script.stdout is not None
        started = json.loads(script.stdout.readline())
        server_pid = started["pid"]
        api = Api(started["host"], started["token"])

        script.kill()
        script.wait(timeout=30)

        create_ready(api, "detached", entity())  # the server still serves, models included
        assert not gone(server_pid)
    finally:
        if server_pid is not None and not gone(server_pid):
            pid = server_pid
            os.killpg(pid, signal.SIGTERM)
            wait_for(lambda: gone(pid), what="the detached server to stop")
        if script.poll() is None:
            script.kill()


# Finding 12: children die with the server; a load that never returns times out ---------------


def test_kill_9_of_the_server_stops_its_model_servers_their_children_and_loaders(
    tmp_path: Path, demo_models: dict[str, Path], misbehaving_model: Path
) -> None:
    workspace = start_workspace(tmp_path / "ws", demo_models)
    leftovers: list[int] = []
    try:
        workspace.register_model("misbehaving", misbehaving_model)
        api = Api(workspace.host, workspace.token)
        create_ready(api, "serving", entity("misbehaving", "1"))
        spawned = query(api, "serving", mode="spawn").json()["predictions"][0]
        leftovers.append(spawned)
        create_with_a_load_that_never_returns(api, "loading")
        build_logs = "/api/2.0/serving-endpoints/loading/served-models/slow-1/build-logs"
        wait_for(  # inside the load, where it prints nothing more that could fail on its own
            lambda: "loading model with mlflow.pyfunc.load_model" in api.get(build_logs).text,
            what="the loader to start loading the model",
        )
        loaders = loader_pids(workspace.pid)
        assert len(loaders) == 1
        workers = worker_pids(api)
        assert len(workers) == 1
        leftovers += [*loaders, *workers]

        os.kill(workspace.pid, signal.SIGKILL)  # the server alone, not its process group

        wait_for(
            lambda: all(gone(pid) for pid in leftovers),
            what="the model server, what it started and the loader to exit after the server "
            "was killed",
        )
    finally:
        kill_leftovers(leftovers)
        workspace.stop()


def test_a_load_that_never_returns_fails_the_build_with_a_timeout_and_stops_its_loader(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    workspace = start_workspace(
        tmp_path / "ws", demo_models, env={"SERVING_PANEL_BUILD_TIMEOUT_S": "2"}
    )
    try:
        api = Api(workspace.host, workspace.token)
        create_with_a_load_that_never_returns(api, "hangs")
        body = settle(api, "hangs")

        assert body["state"]["config_update"] == "UPDATE_FAILED"
        logs = api.get("/api/2.0/serving-endpoints/hangs/served-models/slow-1/build-logs").json()
        assert (
            "build failed: timed out: the model did not load within the build timeout of 2 s "
            "(waited " in logs["logs"]
        )
        found = re.search(r"its loader \(pid (\d+)\) was stopped", logs["logs"])
        assert found is not None
        loader = int(found[1])
        wait_for(lambda: gone(loader), what="the timed-out loader to exit")
        assert loader_pids(workspace.pid) == []
    finally:
        workspace.stop()


# Finding 15: crash backoff starts over after a healthy period ---------------------------------


def test_crashes_after_a_healthy_period_restart_after_one_second_each_time(
    ws_api: Api,
) -> None:
    name = unique("crashy")
    created = create_ready(ws_api, name, entity("misbehaving", "1"))
    endpoint_id = created["id"]
    for crash in range(1, 4):
        before = wait_for(lambda: worker_of(ws_api, endpoint_id), what="a healthy model server")
        assert before["restarts"] == crash - 1
        query(ws_api, name, mode="crash")  # the model server exits mid-request

        def back(restarts: int = crash) -> bool:
            worker = worker_of(ws_api, endpoint_id)
            return worker is not None and worker["restarts"] == restarts

        wait_for(back, what=f"the model server back after crash {crash}")
    logs = server_logs(ws_api, name, "misbehaving-1")
    assert logs.count("model server exited unexpectedly (exit code 7); restarting in 1 s") == 3
    assert "restarting in 2 s" not in logs
    assert logs.count("the restart delay starts over") == 2  # the first crash had no delay yet
    assert query(ws_api, name, mode="ok").json() == {"predictions": ["ok"]}


# Finding 13: one huge line does not wipe a server log ------------------------------------------


def test_a_ten_megabyte_line_is_cut_and_the_server_log_before_it_is_kept(ws_api: Api) -> None:
    name = unique("shouty")
    create_ready(ws_api, name, entity("misbehaving", "1"))
    for _ in range(20):
        assert query(ws_api, name, mode="ok").status_code == 200
    before = server_logs(ws_api, name, "misbehaving-1").splitlines()

    assert query(ws_api, name, mode="shout", mb=10).json() == {"predictions": ["shouted"]}

    def after_the_shout() -> list[str] | None:
        lines = server_logs(ws_api, name, "misbehaving-1").splitlines()
        return lines if any(line.endswith(" INFO shouted") for line in lines) else None

    lines = wait_for(after_the_shout, what="the line printed after the huge one")
    assert lines[: len(before)] == before
    [cut] = [line for line in lines if "[line cut: " in line]
    assert " INFO yyyy" in cut
    assert len(cut.encode()) <= 64 * 1024
    assert cut.endswith(" more bytes]")


# Finding 16: a memory limit per model server -------------------------------------------------


def test_a_model_server_over_its_memory_limit_is_restarted_and_shown_as_recovering(
    ws_api: Api,
) -> None:
    name = unique("leaky")
    created = create_ready(ws_api, name, entity("misbehaving", "1"))
    first = wait_for(lambda: worker_of(ws_api, created["id"]), what="a healthy model server")
    assert first["memory_limit_mb"] == MEMORY_LIMIT_MB
    assert first["rss_mb"] is None or first["rss_mb"] < MEMORY_LIMIT_MB

    query(ws_api, name, mode="leak", mb=MEMORY_LIMIT_MB + 256)

    recovering = wait_for(
        lambda: (
            (state := served_state(ws_api, name))["deployment"] == "DEPLOYMENT_RECOVERING" and state
        ),
        what="the entity to show it is recovering",
    )
    assert recovering["deployment_state_message"].startswith(
        f"The model server exceeded its memory limit of {MEMORY_LIMIT_MB} MB (workload size Small)"
    )
    wait_for(
        lambda: served_state(ws_api, name)["deployment"] == "DEPLOYMENT_READY",
        what="the model server back",
    )
    logs = server_logs(ws_api, name, "misbehaving-1")
    assert f"is over the limit of {MEMORY_LIMIT_MB} MB for workload size Small" in logs
    assert "model server exited unexpectedly (memory limit exceeded, signal 9)" in logs
    assert query(ws_api, name, mode="ok").json() == {"predictions": ["ok"]}


# Finding 17: only the router reaches a model server; no secrets reach a model -----------------


def test_a_model_server_refuses_requests_without_the_workspaces_secret(ws_api: Api) -> None:
    name = unique("guarded")
    created = create_ready(ws_api, name, entity("misbehaving", "1"))
    worker = wait_for(lambda: worker_of(ws_api, created["id"]), what="a healthy model server")
    direct = f"http://127.0.0.1:{worker['port']}"

    for headers in ({}, {SECRET_HEADER: "guessed"}):
        refused = requests.post(
            f"{direct}/invocations", json=records(mode="ok"), headers=headers, timeout=30
        )
        assert refused.status_code == 403
        assert refused.json()["error_code"] == "PERMISSION_DENIED"
        assert requests.get(f"{direct}/ping", headers=headers, timeout=30).status_code == 403

    assert query(ws_api, name, mode="ok").json() == {"predictions": ["ok"]}


def test_a_model_server_sees_a_clean_environment_plus_its_entitys_variables(
    ws_api: Api,
) -> None:
    name = unique("clean-env")
    create_ready(ws_api, name, entity("misbehaving", "1", environment_vars={"MY_SETTING": "on"}))

    names = query(ws_api, name, mode="environment").json()["predictions"][0]

    assert "DATABRICKS_TOKEN" not in names
    assert {"PATH", "HOME", "MY_SETTING", "SERVING_PANEL_BACKOFF_RESET_S"} <= set(names)
    # Besides what environment.py keeps, only what MLflow sets inside the process itself.
    kept = {"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "PYTHONPATH", "VIRTUAL_ENV"}
    kept |= {"PYTHONHOME", "PYTHONUNBUFFERED", "MY_SETTING"}
    prefixes = ("LC_", "SERVING_PANEL_", "MLFLOW_", "_MLFLOW_")
    assert [n for n in names if n not in kept and not n.startswith(prefixes)] == []
    logs = server_logs(ws_api, name, "misbehaving-1")
    assert "env MY_SETTING=on" in logs
    assert CANARY not in logs


# Finding 17: revoking a token ----------------------------------------------------------------


def test_a_revoked_token_is_refused_from_the_next_request(ws: LocalWorkspace, ws_api: Api) -> None:
    by_handle = ws.add_user("revoked-by-handle@example.com")
    by_cli = ws.add_user("revoked-by-cli@example.com")
    for token in (by_handle, by_cli):
        assert ws_api.as_user(token).get("/api/2.0/serving-endpoints").status_code == 200

    ws.revoke_token(by_handle)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "serving_panel.local",
            "revoke-token",
            "--data-dir",
            str(ws.data_dir),
            by_cli,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "token revoked"

    for token in (by_handle, by_cli):
        refused = ws_api.as_user(token).get("/api/2.0/serving-endpoints")
        # What the service answers for an invalid or revoked token (wire-fidelity-2026.md).
        assert refused.status_code == 403
        assert refused.json() == {"error_code": 403, "message": "Invalid access token."}
    with pytest.raises(Exception, match="no such token"):
        ws.revoke_token(by_handle)


# Finding 17: the data directory is private whatever the umask ---------------------------------


def test_the_data_directory_is_private_under_umask_022(
    tmp_path: Path, demo_models: dict[str, Path]
) -> None:
    data_dir = tmp_path / "ws"
    cli = [sys.executable, "-m", "serving_panel.local"]
    subprocess.run(
        [
            *cli,
            "register-model",
            "--data-dir",
            str(data_dir),
            "ads1",
            str(demo_models["regressor"]),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        umask=0o022,
    )
    server = subprocess.Popen(
        [*cli, "start", "--data-dir", str(data_dir), "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        umask=0o022,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        host = json.loads(server.stdout.readline())["host"]
        token = (data_dir / "admin-token").read_text().strip()
        create_ready(Api(host, token), "private", entity())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    modes = {
        str(path.relative_to(tmp_path)): stat.S_IMODE(path.lstat().st_mode)
        for path in [data_dir, *data_dir.rglob("*")]
    }
    assert any(name.endswith(".log") for name in modes) and any("models" in n for n in modes)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (tmp_path / name).is_dir() else 0o600)
    }
    assert wrong == {}
