"""The examples of the product's seed document (shared/reference/seed-*.ja.txt) hold against the
local workspace: the GET shape, DELETE, build logs for a config_version given in the GET body,
and granting jsmith@example.com CAN_QUERY with the PATCH body shown there."""

from __future__ import annotations

from harness.api import Api, entity, settle, unique
from serving_panel.local.handle import LocalWorkspace


def test_get_has_the_documented_shape(api: Api) -> None:
    name = unique("doc")
    assert (
        api.post(
            "/api/2.0/serving-endpoints",
            json={"name": name, "config": {"served_entities": [entity("ads1", "1")]}},
        ).status_code
        == 200
    )
    body = settle(api, name)
    # Every key of the document's example response, with the same nesting.
    assert {
        "name",
        "creator",
        "creation_timestamp",
        "last_updated_timestamp",
        "state",
        "config",
        "id",
        "permission_level",
    } <= set(body)
    assert body["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert "pending_config" not in body
    [served] = body["config"]["served_entities"]
    assert served["name"] == "ads1-1"
    assert served["entity_name"] == "ads1"
    assert served["entity_version"] == "1"
    assert served["workload_size"] == "Small"
    assert served["scale_to_zero_enabled"] is False
    assert served["state"] == {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""}
    assert {"creator", "creation_timestamp"} <= set(served)
    assert body["config"]["traffic_config"]["routes"] == [
        {"served_model_name": "ads1-1", "served_entity_name": "ads1-1", "traffic_percentage": 100}
    ]
    assert body["config"]["config_version"] == 1
    assert len(body["id"]) == 32 and int(body["id"], 16) >= 0
    assert body["permission_level"] == "CAN_MANAGE"
    assert isinstance(body["creation_timestamp"], int) and body["creation_timestamp"] > 10**12

    assert api.delete(f"/api/2.0/serving-endpoints/{name}").json() == {}
    assert api.get(f"/api/2.0/serving-endpoints/{name}").status_code == 404


def test_build_logs_for_a_config_version_in_the_get_body(api: Api) -> None:
    name = unique("doc-logs")
    api.post(
        "/api/2.0/serving-endpoints",
        json={"name": name, "config": {"served_entities": [entity("ads1", "1", name="ads")]}},
    )
    settle(api, name)
    api.put(
        f"/api/2.0/serving-endpoints/{name}/config",
        json={"served_entities": [entity("ads1", "2", name="ads")]},
    )
    settle(api, name)
    path = f"/api/2.0/serving-endpoints/{name}/served-models/ads/build-logs"
    first = api.get(path, json={"config_version": 1}).json()["logs"]
    second = api.get(path, json={"config_version": 2}).json()["logs"]
    latest = api.get(path).json()["logs"]
    assert "resolved ads1 version 1" in first and "config version 1" in first
    assert "resolved ads1 version 2" in second and "config version 2" in second
    assert latest == second
    assert api.get(path, params={"config_version": 1}).json()["logs"] == first
    missing = api.get(path, json={"config_version": 9})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    api.delete(f"/api/2.0/serving-endpoints/{name}")


def test_granting_jsmith_can_query_with_the_documented_patch(
    api: Api, workspace: LocalWorkspace
) -> None:
    token = workspace.add_user("jsmith@example.com")
    name = unique("doc-acl")
    endpoint_id = api.post("/api/2.0/serving-endpoints", json={"name": name}).json()["id"]
    jsmith = api.as_user(token)
    assert jsmith.get(f"/api/2.0/serving-endpoints/{name}").status_code == 403

    answer = api.patch(
        f"/api/2.0/permissions/serving-endpoints/{endpoint_id}",
        json={
            "access_control_list": [
                {"user_name": "jsmith@example.com", "permission_level": "CAN_QUERY"}
            ]
        },
    )
    assert answer.status_code == 200
    entries = {
        e.get("user_name") or e.get("group_name"): e["all_permissions"]
        for e in api.get(f"/api/2.0/permissions/serving-endpoints/{endpoint_id}").json()[
            "access_control_list"
        ]
    }
    assert entries["jsmith@example.com"] == [{"permission_level": "CAN_QUERY", "inherited": False}]
    seen = jsmith.get(f"/api/2.0/serving-endpoints/{name}").json()
    assert seen["permission_level"] == "CAN_QUERY"
    api.delete(f"/api/2.0/serving-endpoints/{name}")
