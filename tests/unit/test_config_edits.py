"""config_edits: a config as the service answers it, plus an edit, to the exact PUT body."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from serving_panel.config_edits import config_body, entity_names, traffic_body, traffic_changes
from serving_panel.errors import ClientValidationError


def answered_entity(name: str, version: str) -> dict[str, Any]:
    """A served entity as GET answers it: input fields plus read-only ones."""
    return {
        "name": name,
        "entity_name": "ads1",
        "entity_version": version,
        "workload_size": "Small",
        "workload_type": "CPU",
        "scale_to_zero_enabled": False,
        "environment_vars": {"MODE": "fast"},
        "state": {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""},
        "creator": "admin@example.com",
        "creation_timestamp": 1700000000000,
        "foundation_model": {"name": "x"},
        "some_future_output_field": 1,
    }


def answered_config() -> dict[str, Any]:
    entities = [answered_entity("ads1-1", "1"), answered_entity("ads1-2", "2")]
    return {
        "config_version": 4,
        "served_entities": entities,
        # The legacy view of the same entities, which GET also answers with.
        "served_models": [
            {"name": e["name"], "model_name": "ads1", "model_version": e["entity_version"]}
            for e in entities
        ],
        "traffic_config": {
            "routes": [
                {
                    "served_model_name": "ads1-1",
                    "served_entity_name": "ads1-1",
                    "traffic_percentage": 100,
                },
                {
                    "served_model_name": "ads1-2",
                    "served_entity_name": "ads1-2",
                    "traffic_percentage": 0,
                },
            ]
        },
    }


def input_entity(name: str, version: str) -> dict[str, Any]:
    return {
        "name": name,
        "entity_name": "ads1",
        "entity_version": version,
        "workload_size": "Small",
        "workload_type": "CPU",
        "scale_to_zero_enabled": False,
        "environment_vars": {"MODE": "fast"},
    }


def test_a_traffic_edit_keeps_every_entity_as_input_and_sends_the_new_routes() -> None:
    config = answered_config()
    before = copy.deepcopy(config)
    body = traffic_body(config, {"ads1-2": 20, "ads1-1": 80})
    assert body == {
        "served_entities": [input_entity("ads1-1", "1"), input_entity("ads1-2", "2")],
        "traffic_config": {
            "routes": [  # in the config's entity order, whatever order they were given in
                {"served_entity_name": "ads1-1", "traffic_percentage": 80},
                {"served_entity_name": "ads1-2", "traffic_percentage": 20},
            ]
        },
    }
    assert config == before  # the answer it was made from is left alone
    assert traffic_changes(config, body) == ["ads1-1 100% → 80%", "ads1-2 0% → 20%"]


def test_an_entity_left_out_gets_no_route() -> None:
    body = traffic_body(answered_config(), {"ads1-2": 100})
    assert body["traffic_config"] == {
        "routes": [{"served_entity_name": "ads1-2", "traffic_percentage": 100}]
    }
    assert traffic_changes(answered_config(), body) == ["ads1-1 100% → 0%", "ads1-2 0% → 100%"]


@pytest.mark.parametrize(
    ("traffic", "field", "rule"),
    [
        ({"ads1-3": 100}, "traffic['ads1-3']", "is not a served entity of this config"),
        ({"ads1-1": 101, "ads1-2": -1}, "traffic['ads1-1']", "between 0 and 100, got 101"),
        ({"ads1-1": 100, "ads1-2": -1}, "traffic['ads1-2']", "between 0 and 100, got -1"),
        ({"ads1-1": 80.0, "ads1-2": 20}, "traffic['ads1-1']", "must be an integer, got 80.0"),
        ({"ads1-1": "80", "ads1-2": 20}, "traffic['ads1-1']", "must be an integer, got '80'"),
        ({"ads1-1": True}, "traffic['ads1-1']", "must be an integer, got True"),
        ({"ads1-1": 80, "ads1-2": 10}, "traffic", "must add up to 100, got 90"),
        ({}, "traffic", "non-empty mapping"),
        ([("ads1-1", 100)], "traffic", "non-empty mapping"),
    ],
)
def test_bad_traffic_is_refused_naming_the_field_and_the_rule(
    traffic: Any, field: str, rule: str
) -> None:
    with pytest.raises(ClientValidationError) as refused:
        traffic_body(answered_config(), traffic)
    assert str(refused.value).startswith(f"{field}: ")
    assert rule in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_the_unknown_entity_message_lists_the_served_entities() -> None:
    with pytest.raises(ClientValidationError, match=r"served entities: ads1-1, ads1-2"):
        traffic_body(answered_config(), {"nope": 100})


def test_a_rollback_body_re_sends_the_config_as_input() -> None:
    config = answered_config()
    config["auto_capture_config"] = {
        "catalog_name": "main",
        "enabled": True,
        "state": {"payload_table": {"name": "t", "status": "ACTIVE"}},
    }
    assert config_body(config) == {
        "served_entities": [input_entity("ads1-1", "1"), input_entity("ads1-2", "2")],
        "traffic_config": {
            "routes": [
                {"served_entity_name": "ads1-1", "traffic_percentage": 100},
                {"served_entity_name": "ads1-2", "traffic_percentage": 0},
            ]
        },
        "auto_capture_config": {"catalog_name": "main", "enabled": True},
    }


def test_a_legacy_config_is_sent_back_in_its_own_spelling() -> None:
    config = {
        "config_version": 1,
        "served_models": [
            {
                "name": "m-1",
                "model_name": "m",
                "model_version": "1",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
                "state": {"deployment": "DEPLOYMENT_READY"},
            }
        ],
        "traffic_config": {"routes": [{"served_model_name": "m-1", "traffic_percentage": 100}]},
    }
    assert entity_names(config) == ["m-1"]
    assert config_body(config) == {
        "served_models": [
            {
                "name": "m-1",
                "model_name": "m",
                "model_version": "1",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            }
        ],
        "traffic_config": {"routes": [{"served_entity_name": "m-1", "traffic_percentage": 100}]},
    }


def test_a_config_without_entities_is_refused() -> None:
    with pytest.raises(ClientValidationError, match=r"^config.served_entities: "):
        config_body({"config_version": 1, "served_entities": []})
