"""`ServingClient.query_stream` against a live local workspace: the demo "streamer" model's
chunks arrive in order, from the entity the `served-model-name` header names; errors before
the stream starts raise as `query`'s do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.api import entity, unique
from serving_panel import ServingClient
from serving_panel.errors import ApiError
from serving_panel.local.handle import LocalWorkspace


@pytest.fixture(scope="module")
def client(workspace: LocalWorkspace) -> Iterator[ServingClient]:
    with workspace.client() as admin:
        yield admin


@pytest.fixture(scope="module")
def streamer(client: ServingClient) -> Iterator[str]:
    name = unique("query-stream")
    client.create(name, [entity("streamer", "1")])
    client.wait(name, until="ready", poll_s=0.2, progress=False)
    yield name
    client.delete(name)


def test_chunks_arrive_in_order_from_the_named_entity(client: ServingClient, streamer: str) -> None:
    with client.query_stream(streamer, dataframe_records=[{"prompt": "one two three"}]) as stream:
        chunks = list(stream)
        assert stream.served_entity == "streamer-1"
    contents = [chunk["choices"][0]["delta"]["content"] for chunk in chunks]
    assert contents == ["three", " two", " one"]


def test_one_entity_streams_too(client: ServingClient, streamer: str) -> None:
    stream = client.query_stream(streamer, {"prompt": "a b"}, served_entity="streamer-1")
    assert [c["choices"][0]["delta"]["content"] for c in stream] == ["b", " a"]


def test_a_refused_stream_raises_before_any_chunk(client: ServingClient, streamer: str) -> None:
    with pytest.raises(ApiError) as raised:
        client.query_stream(streamer, {"prompt": "a"}, served_entity="nobody")
    assert raised.value.status == 404
