"""The OpenAI-compatible routes (`/serving-endpoints/chat/completions`, `/completions`,
`/embeddings`), as an OpenAI client sends them (databricks-sdk's `get_open_ai_client()` sets the
base URL to `<host>/serving-endpoints`): `model` names the endpoint, the rest is the query, with
the endpoint's own permission and the same errors as `/invocations`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.api import Api, create_ready, entity, unique
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def streamer(workspace: LocalWorkspace) -> Iterator[str]:
    api = Api(workspace.host, workspace.token)
    name = unique("openai")
    create_ready(api, name, entity("streamer", "1"))
    yield name
    api.delete(f"/api/2.0/serving-endpoints/{name}")


def test_a_completion_reaches_the_endpoint_named_by_model(api: Api, streamer: str) -> None:
    answer = api.post("/serving-endpoints/completions", json={"model": streamer, "prompt": "a b c"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["served-model-name"] == "streamer-1"
    # The same query through /invocations answers the same.
    direct = api.post(f"/serving-endpoints/{streamer}/invocations", json={"prompt": "a b c"})
    assert answer.json() == direct.json()


def test_a_streamed_completion_arrives_as_data_lines(api: Api, streamer: str) -> None:
    answer = api.post(
        "/serving-endpoints/completions",
        json={"model": streamer, "prompt": "one two", "stream": True},
    )
    assert answer.status_code == 200, answer.text
    lines = [line for line in answer.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["two", " one"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("completions", {"prompt": "x"}, "model"),
        ("completions", {"model": "", "prompt": "x"}, "model"),
        ("chat/completions", {"model": "m"}, "messages"),
        ("embeddings", {"model": "m", "inputs": ["x"]}, "input"),
        ("completions", ["not", "an", "object"], "body"),
    ],
)
def test_a_bad_openai_body_is_400_naming_the_field(
    api: Api, path: str, body: object, field: str
) -> None:
    answer = api.post(f"/serving-endpoints/{path}", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"].startswith(f"{field}: ")


def test_an_unknown_model_is_the_endpoint_404(api: Api) -> None:
    answer = api.post(
        "/serving-endpoints/chat/completions",
        json={"model": "no-such-endpoint", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_without_can_query_the_route_is_403(
    workspace: LocalWorkspace, api: Api, streamer: str
) -> None:
    token = workspace.add_user(f"{unique('viewer')}@example.com")
    answer = api.as_user(token).post(
        "/serving-endpoints/completions", json={"model": streamer, "prompt": "a"}
    )
    assert answer.status_code == 403, answer.text
