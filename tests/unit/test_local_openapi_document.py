"""The endpoint's OpenAPI document built from signatures other than the demo's one string
column (tests/integration/test_local_wire_fidelity.py reads that one over HTTP): tensors,
several typed columns, named outputs. Each request schema must accept the bodies MLflow's
scoring server takes for such a model and refuse ones of the wrong type."""

from __future__ import annotations

from typing import Any

import schemathesis
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from serving_panel.local.api.views import invocation_openapi
from serving_panel.local.state.store import Endpoint

SERVER = "http://127.0.0.1:1/serving-endpoints/e"


def endpoint(*names: str) -> Endpoint:
    entities = [{"name": n, "entity_name": "m", "entity_version": "3"} for n in names]
    config = {"config_version": 3, "served_entities": entities, "traffic_config": {}}
    return Endpoint("0" * 32, "e", "a@b", 0, 0, "READY", "NOT_UPDATING", 3, config, None, {})


def schemas(signature: dict[str, Any]) -> tuple[Draft202012Validator, Draft202012Validator]:
    document = invocation_openapi(endpoint("m-3"), SERVER, {"m-3": signature})
    schemathesis.openapi.from_dict(document).validate()
    assert document["info"] == {"title": "e", "version": "3"}
    operation = document["paths"]["/served-models/m-3/invocations"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft202012Validator(request), Draft202012Validator(response)


def test_typed_columns_shape_every_tabular_format() -> None:
    request, response = schemas(
        {
            "inputs": [
                {"type": "long", "name": "age", "required": True},
                {"type": "double", "name": "income", "required": True},
                {"type": "string", "name": "note", "required": False},
            ],
            "outputs": [{"type": "double", "name": "score"}, {"type": "string", "name": "band"}],
        }
    )
    assert request.is_valid({"dataframe_split": {"columns": ["age", "income"], "data": [[1, 2.5]]}})
    assert request.is_valid({"dataframe_records": [{"age": 40, "income": 1.0}]})
    assert request.is_valid({"instances": [{"age": 40, "income": 1.0, "note": "x"}]})
    assert request.is_valid({"inputs": {"age": [40], "income": [1.0]}})
    assert not request.is_valid({"dataframe_records": [{"age": "forty", "income": 1.0}]})
    assert not request.is_valid({"dataframe_records": [{"income": 1.0}]})  # age is required
    assert not request.is_valid({"dataframe_split": {"columns": ["height"], "data": [[1]]}})
    assert response.is_valid({"predictions": [{"score": 0.5, "band": "high"}]})
    assert not response.is_valid({"predictions": [{"score": "high"}]})


def test_a_tensor_signature_takes_instances_and_inputs() -> None:
    request, response = schemas(
        {
            "inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}],
            "outputs": [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}],
        }
    )
    # Rows of shape [3]: a list of three-number lists.
    assert request.is_valid({"instances": [[1.0, 2.0, 3.0], [4, 5, 6]]})
    assert request.is_valid({"inputs": [[0.5, 0.5, 0.5]]})
    assert not request.is_valid({"instances": [1.0, 2.0]})
    assert not request.is_valid({"instances": [["a", "b", "c"]]})
    assert not request.is_valid({"dataframe_records": [{"x": 1}]})
    assert response.is_valid({"predictions": [1, 2]})
    assert not response.is_valid({"predictions": [1.5]})


def test_one_path_per_served_entity_relative_to_the_server() -> None:
    signature = {"inputs": [{"type": "string", "name": "t"}], "outputs": []}
    document = invocation_openapi(endpoint("a", "b"), SERVER, {"a": signature, "b": signature})
    assert document["servers"] == [{"url": SERVER}]
    assert list(document["paths"]) == [
        "/served-models/a/invocations",
        "/served-models/b/invocations",
    ]
