"""databricks-sdk, unchanged, against the local workspace: every serving_endpoints method we
serve, and errors arriving as the SDK's own exception classes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    ResourceAlreadyExists,
    ResourceConflict,
    ResourceDoesNotExist,
)
from databricks.sdk.service.serving import (
    AiGatewayUsageTrackingConfig,
    EmailNotifications,
    EndpointCoreConfigInput,
    EndpointStateConfigUpdate,
    EndpointStateReady,
    EndpointTag,
    RateLimit,
    RateLimitRenewalPeriod,
    Route,
    ServedEntityInput,
    ServedModelStateDeployment,
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
    TrafficConfig,
)

from harness.api import unique
from serving_panel.local.handle import LocalWorkspace


def served(model: str = "ads1", version: str = "1", name: str | None = None) -> ServedEntityInput:
    return ServedEntityInput(
        entity_name=model,
        entity_version=version,
        name=name,
        workload_size="Small",
        scale_to_zero_enabled=False,
    )


@pytest.fixture(scope="module")
def sdk(workspace: LocalWorkspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.host, token=workspace.token)


@pytest.fixture(scope="module")
def ready_endpoint(sdk: WorkspaceClient) -> Iterator[str]:
    """An endpoint serving ads1 v1 and v2 at 80/20, created once for the read-only tests."""
    name = unique("sdk-ready")
    sdk.serving_endpoints.create_and_wait(
        name=name,
        config=EndpointCoreConfigInput(
            name=name,
            served_entities=[served(version="1"), served(version="2")],
            traffic_config=TrafficConfig(
                routes=[
                    Route(served_entity_name="ads1-1", traffic_percentage=80),
                    Route(served_entity_name="ads1-2", traffic_percentage=20),
                ]
            ),
        ),
        tags=[EndpointTag(key="team", value="ads")],
    )
    yield name
    sdk.serving_endpoints.delete(name)


def test_create_and_wait_reaches_ready_with_a_real_build(
    sdk: WorkspaceClient, ready_endpoint: str
) -> None:
    endpoint = sdk.serving_endpoints.get(ready_endpoint)
    assert endpoint.state is not None
    assert endpoint.state.ready == EndpointStateReady.READY
    assert endpoint.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING
    assert endpoint.config is not None and endpoint.config.served_entities is not None
    assert [e.name for e in endpoint.config.served_entities] == ["ads1-1", "ads1-2"]
    for entity in endpoint.config.served_entities:
        assert entity.state is not None
        assert entity.state.deployment == ServedModelStateDeployment.DEPLOYMENT_READY
    assert endpoint.config.traffic_config is not None
    routes = endpoint.config.traffic_config.routes or []
    assert [(r.served_entity_name, r.traffic_percentage) for r in routes] == [
        ("ads1-1", 80),
        ("ads1-2", 20),
    ]
    assert endpoint.pending_config is None
    assert endpoint.permission_level is not None
    assert endpoint.permission_level.value == "CAN_MANAGE"
    assert endpoint.id is not None and len(endpoint.id) == 32


def test_list_includes_the_endpoint_as_a_summary(sdk: WorkspaceClient, ready_endpoint: str) -> None:
    [item] = [e for e in sdk.serving_endpoints.list() if e.name == ready_endpoint]
    assert item.config is not None and item.config.served_entities is not None
    assert [(e.entity_name, e.entity_version) for e in item.config.served_entities] == [
        ("ads1", "1"),
        ("ads1", "2"),
    ]
    assert item.tags == [EndpointTag(key="team", value="ads")]


def test_build_logs_tell_the_build_story(sdk: WorkspaceClient, ready_endpoint: str) -> None:
    logs = sdk.serving_endpoints.build_logs(ready_endpoint, "ads1-2").logs or ""
    assert "build started for served entity ads1-2" in logs
    assert "resolved ads1 version 2 in the local model store" in logs
    assert "model loaded in" in logs
    assert "build finished" in logs


def test_server_logs_metrics_and_openapi_answer(sdk: WorkspaceClient, ready_endpoint: str) -> None:
    assert sdk.serving_endpoints.logs(ready_endpoint, "ads1-1").logs is not None
    metrics = sdk.serving_endpoints.export_metrics(ready_endpoint).contents
    assert metrics is not None
    text = metrics.read().decode()
    assert "# TYPE provisioned_concurrent_requests_total gauge" in text
    assert 'request_count_total{served_entity_name="ads1-1",served_model_name="ads1-1"}' in text
    # ads1 was logged without a signature, so there is no OpenAPI document to give
    # (test_local_wire_fidelity.py reads one of a model that has a signature).
    with pytest.raises(ResourceDoesNotExist, match="without a model signature"):
        sdk.serving_endpoints.get_open_api(ready_endpoint)


def test_update_config_and_wait_switches_the_config(sdk: WorkspaceClient) -> None:
    name = unique("sdk-update")
    sdk.serving_endpoints.create_and_wait(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[served(version="1")])
    )
    try:
        updated = sdk.serving_endpoints.update_config_and_wait(
            name, served_entities=[served(version="2")]
        )
        assert updated.config is not None
        assert updated.config.config_version == 2
        assert [e.entity_version for e in updated.config.served_entities or []] == ["2"]
        assert updated.state is not None
        assert updated.state.ready == EndpointStateReady.READY
    finally:
        sdk.serving_endpoints.delete(name)


def test_tags_rate_limits_gateway_and_notifications(
    sdk: WorkspaceClient, ready_endpoint: str
) -> None:
    tags = sdk.serving_endpoints.patch(
        ready_endpoint, add_tags=[EndpointTag(key="tier", value="gold")], delete_tags=["team"]
    )
    assert [(t.key, t.value) for t in tags.tags or []] == [("tier", "gold")]
    limits = sdk.serving_endpoints.put(
        ready_endpoint,
        rate_limits=[RateLimit(calls=100, renewal_period=RateLimitRenewalPeriod.MINUTE)],
    )
    assert [(r.calls, r.renewal_period) for r in limits.rate_limits or []] == [
        (100, RateLimitRenewalPeriod.MINUTE)
    ]
    gateway = sdk.serving_endpoints.put_ai_gateway(
        ready_endpoint, usage_tracking_config=AiGatewayUsageTrackingConfig(enabled=True)
    )
    assert gateway.usage_tracking_config == AiGatewayUsageTrackingConfig(enabled=True)
    notifications = sdk.serving_endpoints.update_notifications(
        ready_endpoint,
        email_notifications=EmailNotifications(on_update_failure=["ops@example.com"]),
    )
    assert notifications.email_notifications == EmailNotifications(
        on_update_failure=["ops@example.com"]
    )
    endpoint = sdk.serving_endpoints.get(ready_endpoint)
    assert endpoint.ai_gateway is not None
    assert endpoint.ai_gateway.usage_tracking_config == AiGatewayUsageTrackingConfig(enabled=True)
    assert not endpoint.ai_gateway.rate_limits
    assert [t.key for t in endpoint.tags or []] == ["tier"]


def test_permissions_get_set_update_and_levels(
    sdk: WorkspaceClient, workspace: LocalWorkspace, ready_endpoint: str
) -> None:
    user = f"{unique('perm')}@example.com"
    workspace.add_user(user)
    endpoint_id = sdk.serving_endpoints.get(ready_endpoint).id
    assert endpoint_id is not None
    before = sdk.serving_endpoints.get_permissions(endpoint_id)
    assert before.object_id == f"/serving-endpoints/{endpoint_id}"
    assert before.object_type == "serving-endpoint"
    after_patch = sdk.serving_endpoints.update_permissions(
        endpoint_id,
        access_control_list=[
            ServingEndpointAccessControlRequest(
                user_name=user, permission_level=ServingEndpointPermissionLevel.CAN_QUERY
            )
        ],
    )
    levels = {
        (a.user_name or a.group_name): [p.permission_level for p in a.all_permissions or []]
        for a in after_patch.access_control_list or []
    }
    assert levels[user] == [ServingEndpointPermissionLevel.CAN_QUERY]
    assert levels["admins"] == [ServingEndpointPermissionLevel.CAN_MANAGE]
    # PUT replaces the direct list: only the admin creator stays; admins stay inherited.
    after_put = sdk.serving_endpoints.set_permissions(
        endpoint_id,
        access_control_list=[
            ServingEndpointAccessControlRequest(
                user_name="admin@serving-panel.local",
                permission_level=ServingEndpointPermissionLevel.CAN_MANAGE,
            )
        ],
    )
    names = [a.user_name or a.group_name for a in after_put.access_control_list or []]
    assert user not in names
    assert "admins" in names
    levels_answer = sdk.serving_endpoints.get_permission_levels(endpoint_id)
    assert [level.permission_level for level in levels_answer.permission_levels or []] == [
        ServingEndpointPermissionLevel.CAN_VIEW,
        ServingEndpointPermissionLevel.CAN_QUERY,
        ServingEndpointPermissionLevel.CAN_MANAGE,
    ]


def test_errors_arrive_as_the_sdks_exception_classes(
    sdk: WorkspaceClient, workspace: LocalWorkspace, ready_endpoint: str
) -> None:
    with pytest.raises(ResourceDoesNotExist, match="does not exist"):
        sdk.serving_endpoints.get(unique("missing"))
    with pytest.raises(ResourceAlreadyExists):
        sdk.serving_endpoints.create(
            name=ready_endpoint,
            config=EndpointCoreConfigInput(name=ready_endpoint, served_entities=[served()]),
        )
    with pytest.raises(InvalidParameterValue, match="letters, digits, dashes and underscores"):
        sdk.serving_endpoints.create(name="has.dots")
    viewer = f"{unique('viewer')}@example.com"
    viewer_sdk = WorkspaceClient(host=workspace.host, token=workspace.add_user(viewer))
    with pytest.raises(PermissionDenied, match="CAN_VIEW"):
        viewer_sdk.serving_endpoints.get(ready_endpoint)
    name = unique("sdk-conflict")
    sdk.serving_endpoints.create(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[served("slow")])
    )
    try:
        with pytest.raises(ResourceConflict, match="IN_PROGRESS"):
            sdk.serving_endpoints.update_config(name, served_entities=[served()])
    finally:
        sdk.serving_endpoints.wait_get_serving_endpoint_not_updating(name)
        sdk.serving_endpoints.delete(name)
    with pytest.raises(NotFound):
        sdk.serving_endpoints.delete(name)


def test_a_failed_update_keeps_the_previous_config(sdk: WorkspaceClient) -> None:
    name = unique("sdk-fail")
    sdk.serving_endpoints.create_and_wait(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[served()])
    )
    try:
        with pytest.raises(Exception, match="UPDATE_FAILED"):
            sdk.serving_endpoints.update_config_and_wait(name, served_entities=[served("broken")])
        endpoint = sdk.serving_endpoints.get(name)
        assert endpoint.state is not None
        assert endpoint.state.config_update == EndpointStateConfigUpdate.UPDATE_FAILED
        assert endpoint.state.ready == EndpointStateReady.READY
        assert endpoint.config is not None and endpoint.config.config_version == 1
        assert [e.entity_name for e in endpoint.config.served_entities or []] == ["ads1"]
        assert endpoint.pending_config is not None
        [failed] = endpoint.pending_config.served_entities or []
        assert failed.state is not None
        assert failed.state.deployment == ServedModelStateDeployment.DEPLOYMENT_FAILED
        assert "fails to load on purpose" in (failed.state.deployment_state_message or "")
        logs = sdk.serving_endpoints.build_logs(name, "broken-1").logs or ""
        assert "Traceback" in logs
        assert "RuntimeError: demo model 'broken' fails to load on purpose" in logs
    finally:
        sdk.serving_endpoints.delete(name)
