"""`panel.config_body.edit_body` and `changes` on config documents: the edits the panel's Config tab
sends, as the exact PUT body, or every problem named by field and rule."""

from __future__ import annotations

from typing import Any

import pytest

from serving_panel.panel.config_body import EditRefusedError, changes, edit_body


def served(name: str, version: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "entity_name": "ads1",
        "entity_version": version,
        "workload_size": "Small",
        "workload_type": "CPU",
        "scale_to_zero_enabled": False,
        "state": {"deployment": "DEPLOYMENT_READY"},
        "creator": "admin@example.com",
        **extra,
    }


def config(*entities: dict[str, Any], routes: dict[str, int] | None = None) -> dict[str, Any]:
    shares = routes if routes is not None else {e["name"]: 100 // len(entities) for e in entities}
    return {
        "config_version": 3,
        "served_entities": list(entities),
        "served_models": [{"name": e["name"]} for e in entities],
        "traffic_config": {
            "routes": [
                {"served_model_name": n, "served_entity_name": n, "traffic_percentage": p}
                for n, p in shares.items()
            ]
        },
    }


TWO = config(served("a", "1"), served("b", "2"), routes={"a": 100, "b": 0})


def refusals(current: dict[str, Any], edit: Any) -> list[tuple[str, str]]:
    with pytest.raises(EditRefusedError) as refused:
        edit_body(current, edit)
    return [(p["field"], p["rule"]) for p in refused.value.problems]


def test_an_entity_change_keeps_everything_else_and_sends_no_output_field() -> None:
    body = edit_body(TWO, {"entities": {"b": {"entity_version": "3", "workload_size": "Large"}}})
    assert body == {
        "served_entities": [
            {k: v for k, v in served("a").items() if k not in ("state", "creator")},
            {
                k: v
                for k, v in served("b", "3", workload_size="Large").items()
                if k not in ("state", "creator")
            },
        ],
        "traffic_config": {
            "routes": [
                {"served_entity_name": "a", "traffic_percentage": 100},
                {"served_entity_name": "b", "traffic_percentage": 0},
            ]
        },
    }
    assert TWO["served_entities"][1]["entity_version"] == "2"  # the config is not changed
    assert changes(TWO, body) == ["b: entity_version 2 → 3", "b: workload_size Small → Large"]


def test_a_removed_entity_needs_its_share_given_elsewhere() -> None:
    shared = config(served("a"), served("b"), routes={"a": 60, "b": 40})
    assert refusals(shared, {"remove": ["b"]}) == [
        (
            "traffic",
            "traffic percentages must add up to 100, got 60 (give the removed entities' share)",
        )
    ]
    body = edit_body(shared, {"remove": ["b"], "traffic": {"a": 100}})
    assert [e["name"] for e in body["served_entities"]] == ["a"]
    assert changes(shared, body) == ["remove b", "a 60% → 100%", "b 40% → 0%"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("80/20", [("edit", "must be a JSON object, got '80/20'")]),
        (
            {"colour": "red"},
            [("edit.colour", "is not an edit; known: traffic, entities, add, remove")],
        ),
        (
            {"remove": ["a"], "entities": {"a": {"workload_size": "Medium"}}},
            [
                ("entities['a']", "is removed by this edit, so it cannot change too"),
                (
                    "traffic",
                    "traffic percentages must add up to 100, got 0"
                    " (give the removed entities' share)",
                ),
            ],
        ),
        (
            {"remove": ["a", "b"]},
            [
                (
                    "remove",
                    "an endpoint serves at least one entity: keep one (or delete the endpoint)",
                )
            ],
        ),
        (
            {"entities": {"b": {"scale_to_zero_enabled": "yes"}}},
            [("entities['b'].scale_to_zero_enabled", "must be true or false, got 'yes'")],
        ),
        (
            {"add": [{"entity_name": "ads1", "entity_version": "2", "name": "b"}]},
            [
                (
                    "add[0].name",
                    "'b' is already a served entity of this config: give another name",
                )
            ],
        ),
        (
            {"add": [{"entity_name": "no such/model", "entity_version": "1", "gpu": True}]},
            [
                (
                    "add[0].gpu",
                    "is not a field the editor sets; known: entity_name, entity_version, name,"
                    " workload_size, scale_to_zero_enabled",
                ),
                (
                    "add[0].entity_name",
                    "must be a registered model's name (letters, digits, _ - and the dots of"
                    " catalog.schema.model), got 'no such/model'",
                ),
            ],
        ),
        (
            {"traffic": {"a": 100, "b": 0}},
            [("edit", "changes nothing: the config would stay as it is")],
        ),
    ],
)
def test_refusals_name_every_field_and_rule(edit: Any, expected: list[tuple[str, str]]) -> None:
    assert refusals(TWO, edit) == expected


def test_an_added_entity_gets_the_default_name_and_the_defaults_the_service_would_store() -> None:
    body = edit_body(
        TWO,
        {
            "add": [{"entity_name": "main.default.sentiment", "entity_version": "1"}],
            "traffic": {"a": 90, "b": 0, "sentiment-1": 10},
        },
    )
    assert body["served_entities"][-1] == {
        "name": "sentiment-1",
        "entity_name": "main.default.sentiment",
        "entity_version": "1",
        "workload_size": "Small",
        "scale_to_zero_enabled": False,
        "workload_type": "CPU",
    }
    assert changes(TWO, body)[0] == "add sentiment-1: main.default.sentiment v1"


def test_external_models_and_provisioned_concurrency_are_not_resized() -> None:
    external = {"name": "gpt", "external_model": {"provider": "openai", "name": "gpt-4"}}
    sized = served("c", min_provisioned_concurrency=4, max_provisioned_concurrency=8)
    del sized["workload_size"]
    current = config(external, sized, routes={"gpt": 50, "c": 50})
    assert refusals(
        current, {"entities": {"gpt": {"entity_version": "2"}, "c": {"workload_size": "Small"}}}
    ) == [
        ("entities['gpt']", "serves an external model: it has no version or workload size"),
        (
            "entities['c'].workload_size",
            "this entity is sized by provisioned concurrency, not a workload size",
        ),
    ]


def test_a_config_of_served_models_only_is_left_to_update_config() -> None:
    legacy = {
        "served_models": [{"name": "a", "model_name": "ads1", "model_version": "1"}],
        "traffic_config": {"routes": [{"served_model_name": "a", "traffic_percentage": 100}]},
    }
    assert refusals(legacy, {"entities": {"a": {"workload_size": "Large"}}})[0][0] == (
        "config.served_models"
    )
