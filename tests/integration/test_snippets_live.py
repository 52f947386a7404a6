"""“Copy as” snippets run as a user would run them, against a live local workspace: the curl
commands through bash, the Python ones through a fresh interpreter, each with nothing but
DATABRICKS_HOST and DATABRICKS_TOKEN in its environment. Bodies with quotes, `$`, backticks,
backslashes and line breaks must reach the service unchanged."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.api import entity, unique
from serving_panel import ServingClient, acl, snippets
from serving_panel.local.handle import LocalWorkspace

TRICKY = 'it\'s "quoted" $HOME `id` $(id) \\back\nslash; #not-a-comment'


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with ServingClient(workspace.host, workspace.token) as serving:
        yield serving


@pytest.fixture(scope="module")
def env(workspace: LocalWorkspace, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Only what a user's shell would need: no profile file, no other credentials."""
    home = tmp_path_factory.mktemp("home")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_TOKEN": workspace.token,
    }


def run_shell(snippet: str, env: dict[str, str]) -> Any:
    done = subprocess.run(
        ["bash", "-c", snippet], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_python(snippet: str, env: dict[str, str], tmp_path: Path) -> str:
    script = tmp_path / "snippet.py"
    script.write_text(snippet)
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def streamer(client: ServingClient) -> Iterator[str]:
    name = unique("snip-query")
    client.create(name, [entity("streamer", "1")])
    client.wait(name, until="ready", poll_s=0.2, progress=False)
    yield name
    client.delete(name)


def test_the_query_snippets_work_with_a_tricky_prompt(
    streamer: str, env: dict[str, str], tmp_path: Path
) -> None:
    expected = " ".join(reversed(TRICKY.split()))
    found = snippets.query(streamer, {"dataframe_records": [{"prompt": TRICKY}]})
    assert run_shell(found["curl"], env)["predictions"] == [expected]
    out = run_python(found["sdk"], env, tmp_path)
    assert ast.literal_eval(out.strip())["predictions"] == [expected]
    out = run_python(found["serving_client"], env, tmp_path)
    assert out.strip() == f"streamer-1 {[expected]!r}"
    one = snippets.query(streamer, {"inputs": {"prompt": [TRICKY]}}, served_entity="streamer-1")
    assert run_shell(one["curl"], env)["predictions"] == [expected]
    out = run_python(one["sdk"], env, tmp_path)
    assert ast.literal_eval(out.strip())["predictions"] == [expected]


def test_the_config_update_snippets_send_the_body_unchanged(
    client: ServingClient, env: dict[str, str], tmp_path: Path
) -> None:
    name = unique("snip-config")
    client.create(name, [entity("ads1", "1")])
    client.wait(name, poll_s=0.2, progress=False)
    body = {
        "served_entities": [entity("ads1", "1", environment_vars={"NOTE": TRICKY})],
    }
    answer = run_shell(snippets.update_config(name, body)["curl"], env)
    assert answer["pending_config"]["served_entities"][0]["environment_vars"] == {"NOTE": TRICKY}
    done = client.wait(name, poll_s=0.2, progress=False)
    assert done.config is not None and done.config.config_version == 2
    assert done.config.served_entities[0].get("environment_vars") == {"NOTE": TRICKY}

    two = {
        "served_entities": [entity("ads1", "1", name="one"), entity("ads1", "2", name="two")],
        "traffic_config": {
            "routes": [
                {"served_entity_name": "one", "traffic_percentage": 80},
                {"served_entity_name": "two", "traffic_percentage": 20},
            ]
        },
    }
    run_python(snippets.update_config(name, two)["sdk"], env, tmp_path)
    done = client.wait(name, poll_s=0.2, progress=False)
    assert done.config is not None and done.config.traffic() == {"one": 80, "two": 20}

    stopped = snippets.stop(name)["sdk"]
    run_python(stopped, env, tmp_path)
    assert client.get(name).state == "Not ready (stopped)"
    run_shell(snippets.start(name)["curl"], env)
    assert client.wait(name, until="ready", poll_s=0.2, progress=False).state == "Ready"
    run_shell(snippets.delete(name)["curl"], env)
    assert name not in {e.name for e in client.list()}


def test_the_grant_and_revoke_snippets_send_what_the_client_would(
    client: ServingClient,
    streamer: str,
    workspace: LocalWorkspace,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    user = f"o'snip-{uuid.uuid4().hex[:6]}@example.com"
    workspace.add_user(user)
    endpoint_id = client.get(streamer).id
    current = client.permissions(streamer)
    grant = acl.plan_grant(current, "user", user, "CAN_QUERY")
    assert grant.method is not None
    answer = run_shell(
        snippets.permissions_write(endpoint_id, grant.method, grant.body)["curl"], env
    )
    assert ("user", user) in acl.direct_acl(acl.grants_from_json(answer))
    assert client.permissions(streamer).level_of("user", user) == "CAN_QUERY"

    revoke = acl.plan_revoke(client.permissions(streamer), "user", user)
    assert revoke.method == "PUT"
    run_python(
        snippets.permissions_write(endpoint_id, revoke.method, revoke.body)["sdk"], env, tmp_path
    )
    after = client.permissions(streamer)
    assert after.level_of("user", user) is None
    assert acl.direct_acl(after.grants) == acl.direct_acl(current.grants)
