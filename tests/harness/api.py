"""Plain HTTP calls to a workspace for tests that check the wire itself (status, body, headers).

Tests of behaviour use the real reference clients (databricks-sdk, MLflow) instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests


@dataclass
class Api:
    host: str
    token: str | None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return requests.request(method, self.host + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def as_user(self, token: str | None) -> Api:
        return Api(self.host, token)


def unique(prefix: str) -> str:
    """An endpoint name no other test uses, so tests share one workspace without interfering."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def entity(model: str = "ads1", version: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "entity_name": model,
        "entity_version": version,
        "workload_size": "Small",
        "scale_to_zero_enabled": False,
        **extra,
    }


def settle(api: Api, name: str, timeout_s: float = 90.0) -> dict[str, Any]:
    """Polls GET until the endpoint's update is no longer IN_PROGRESS; returns the last body.

    Polling is the API's only way to learn about progress (there is no event stream)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        response = api.get(f"/api/2.0/serving-endpoints/{name}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if body["state"]["config_update"] != "IN_PROGRESS":
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still IN_PROGRESS after {timeout_s} s: {body}")
        time.sleep(0.1)


def wait_for(predicate: Any, timeout_s: float = 60.0, what: str = "condition") -> Any:
    """Polls an API-visible condition until it holds (the API has no event stream to await)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


def create_ready(api: Api, name: str, *entities: dict[str, Any]) -> dict[str, Any]:
    """Creates an endpoint serving the given entities (one takes all traffic) and waits until
    its first update ends; returns the settled GET body."""
    api.post(
        "/api/2.0/serving-endpoints",
        json={"name": name, "config": {"served_entities": list(entities)}},
    ).raise_for_status()
    return settle(api, name)
