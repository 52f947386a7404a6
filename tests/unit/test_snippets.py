"""snippets: curl, databricks-sdk, CLI, ServingClient and SQL equivalents of a request, with
no token, and every shell word quoted so tricky bodies reach the service unchanged."""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
from typing import Any

import pytest

from serving_panel import acl, snippets
from serving_panel.errors import ClientValidationError

ENDPOINT_ID = "0123456789abcdef0123456789abcdef"
TRICKY = 'it\'s "quoted" $HOME `id` $(id) \\ back\nslash; rm -rf / #'


def data_raw(command: str) -> Any:
    """The JSON a curl command sends, read as the shell will split it."""
    words = shlex.split(command, comments=True)
    return json.loads(words[words.index("--data-raw") + 1])


def cli_json(command: str) -> Any:
    words = shlex.split(command, comments=True)
    return json.loads(words[words.index("--json") + 1])


def permissions_json(level: str | None) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [
        {
            "user_name": "admin@example.com",
            "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
        },
    ]
    if level is not None:
        entries.append(
            {
                "user_name": "o'brien@example.com",
                "all_permissions": [{"permission_level": level, "inherited": False}],
            }
        )
    return {"access_control_list": entries}


def all_texts(found: dict[str, str]) -> str:
    return "\n".join(found.values())


def test_a_grant_is_the_patch_the_client_sends() -> None:
    plan = acl.plan_grant(permissions_json(None), "user", "o'brien@example.com", "CAN_QUERY")
    assert plan.method == "PATCH"
    found = snippets.permissions_write(ENDPOINT_ID, plan.method, plan.body)
    assert set(found) == {"curl", "sdk", "cli"}
    words = shlex.split(found["curl"])
    assert words[:4] == ["curl", "-sS", "-X", "PATCH"]
    assert words[4] == f"$DATABRICKS_HOST/api/2.0/permissions/serving-endpoints/{ENDPOINT_ID}"
    assert data_raw(found["curl"]) == plan.body
    assert "w.serving_endpoints.update_permissions(" in found["sdk"]
    assert cli_json(found["cli"]) == plan.body
    assert shlex.split(found["cli"])[:4] == [
        "databricks",
        "serving-endpoints",
        "update-permissions",
        ENDPOINT_ID,
    ]


def test_a_revoke_is_the_put_of_the_whole_direct_list_and_says_so() -> None:
    plan = acl.plan_revoke(permissions_json("CAN_QUERY"), "user", "o'brien@example.com")
    assert plan.method == "PUT"
    found = snippets.permissions_write(ENDPOINT_ID, plan.method, plan.body)
    assert (
        data_raw(found["curl"])
        == plan.body
        == {
            "access_control_list": [
                {"user_name": "admin@example.com", "permission_level": "CAN_MANAGE"}
            ]
        }
    )
    assert "w.serving_endpoints.set_permissions(" in found["sdk"]
    assert "set-permissions" in found["cli"]
    for text in found.values():
        assert "replaces every direct grant" in text


def test_stop_and_start_say_the_sdk_and_cli_have_no_method_and_send_the_raw_request() -> None:
    for action, make in (("stop", snippets.stop), ("start", snippets.start)):
        found = make("ads-endpoint")
        path = f"/api/2.0/serving-endpoints/ads-endpoint/config:{action}"
        assert shlex.split(found["curl"])[3:5] == ["POST", f"$DATABRICKS_HOST{path}"]
        assert "databricks-sdk has no method" in found["sdk"]
        assert f"w.api_client.do('POST', '{path}', body={{}})" in found["sdk"]
        assert "has no command" in found["cli"]
        assert shlex.split(found["cli"], comments=True)[:4] == ["databricks", "api", "post", path]


def test_delete() -> None:
    found = snippets.delete("ads-endpoint")
    assert shlex.split(found["curl"])[3:5] == [
        "DELETE",
        "$DATABRICKS_HOST/api/2.0/serving-endpoints/ads-endpoint",
    ]
    assert "--data-raw" not in found["curl"]
    assert "w.serving_endpoints.delete(name='ads-endpoint')" in found["sdk"]
    assert shlex.split(found["cli"]) == [
        "databricks",
        "serving-endpoints",
        "delete",
        "ads-endpoint",
    ]


BODY = {
    "served_entities": [
        {
            "name": "ads1-1",
            "entity_name": "ads1",
            "entity_version": "1",
            "workload_size": "Small",
            "scale_to_zero_enabled": False,
            "environment_vars": {"NOTE": TRICKY},
        },
    ],
    "traffic_config": {"routes": [{"served_entity_name": "ads1-1", "traffic_percentage": 100}]},
}


def test_a_config_update_round_trips_tricky_strings_through_every_snippet() -> None:
    found = snippets.update_config("ads-endpoint", BODY)
    assert data_raw(found["curl"]) == BODY
    assert cli_json(found["cli"]) == BODY
    tree = ast.parse(found["sdk"])
    [assignment] = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "body"
    ]
    assert ast.literal_eval(assignment.value) == BODY
    assert "ServedEntityInput.from_dict(e) for e in body['served_entities']" in found["sdk"]
    assert "TrafficConfig.from_dict(body['traffic_config'])" in found["sdk"]


def test_bash_hands_curl_the_body_byte_for_byte() -> None:
    """The shell itself, not shlex, reads the command: a stand-in curl prints its arguments."""
    command = snippets.update_config("ads-endpoint", BODY)["curl"]
    script = 'curl() { for a in "$@"; do printf \'%s\\0\' "$a"; done; }\n' + command
    env = {"PATH": "/usr/bin:/bin", "DATABRICKS_HOST": "http://h", "DATABRICKS_TOKEN": "t0k"}
    out = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, check=True, text=True
    ).stdout
    words = out.split("\0")[:-1]
    assert words[3] == "http://h/api/2.0/serving-endpoints/ads-endpoint/config"
    assert "Authorization: Bearer t0k" in words
    assert json.loads(words[words.index("--data-raw") + 1]) == BODY


def test_no_snippet_holds_a_token_or_a_host() -> None:
    plan = acl.plan_grant(permissions_json(None), "group", "readers", "CAN_VIEW")
    every = [
        snippets.permissions_write(ENDPOINT_ID, "PATCH", plan.body),
        snippets.delete("a"),
        snippets.stop("a"),
        snippets.start("a"),
        snippets.update_config("a", BODY),
        snippets.query("a", {"dataframe_records": [{"x": 1}]}),
    ]
    for found in every:
        for kind, text in found.items():
            if kind == "curl":
                assert '-H "Authorization: Bearer $DATABRICKS_TOKEN"' in text
                assert '"$DATABRICKS_HOST"' in text
            assert "dapi" not in text and "https://" not in text and "http://" not in text
            assert "token=" not in text and "host=" not in text


def test_a_query_in_every_form() -> None:
    request = {"dataframe_records": [{"prompt": TRICKY, "n": 2, "ok": True}, {"prompt": "b"}]}
    found = snippets.query("streamer-ep", request)
    assert set(found) == {"curl", "serving_client", "sdk", "cli", "sql"}
    assert (
        shlex.split(found["curl"])[4]
        == "$DATABRICKS_HOST/serving-endpoints/streamer-ep/invocations"
    )
    assert data_raw(found["curl"]) == request
    assert cli_json(found["cli"]) == request
    assert "client.query('streamer-ep', " in found["serving_client"]
    assert "w.serving_endpoints.query(" in found["sdk"]
    assert "dataframe_records=body['dataframe_records']" in found["sdk"]
    for kind in ("serving_client", "sdk"):
        ast.parse(found[kind])
    sql = found["sql"]
    assert "SELECT ai_query(\n  'streamer-ep',\n  named_struct('prompt', " in sql
    assert snippets.sql_string(TRICKY) in sql
    assert "'n', 2, 'ok', TRUE)" in sql
    assert "holds 2 rows" in sql


def test_a_query_to_one_entity_and_other_shapes() -> None:
    found = snippets.query(
        "ep", {"dataframe_split": {"columns": ["x"], "data": [[1.5]]}}, served_entity="ads1-2"
    )
    assert shlex.split(found["curl"])[4].endswith(
        "/serving-endpoints/ep/served-models/ads1-2/invocations"
    )
    assert (
        "api_client.do('POST', '/serving-endpoints/ep/served-models/ads1-2/invocations'"
        in found["sdk"]
    )
    assert "served_entity='ads1-2'" in found["serving_client"]
    assert "named_struct('x', 1.5)" in found["sql"]
    chat = snippets.query("ep", {"messages": [{"role": "user", "content": "hi 'there'"}]})
    assert "[ChatMessage.from_dict(m) for m in body['messages']]" in chat["sdk"]
    assert "'hi \\'there\\''" in chat["sql"]
    odd = snippets.query("ep", {"custom_field": [1]})
    assert "api_client.do('POST', '/serving-endpoints/ep/invocations'" in odd["sdk"]
    assert "as JSON text" in odd["sql"]


def test_sql_strings_escape_quotes_backslashes_and_line_breaks() -> None:
    assert snippets.sql_string("a'b\\c\nd") == "'a\\'b\\\\c\\nd'"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: snippets.delete("bad name"), "name"),
        (lambda: snippets.stop("a/b"), "name"),
        (lambda: snippets.query("ep", {"inputs": 1}, served_entity="x;y"), "served_entity"),
        (lambda: snippets.permissions_write("ads-endpoint", "PATCH", {}), "endpoint_id"),
        (lambda: snippets.permissions_write(ENDPOINT_ID, "POST", {}), "method"),
    ],
)
def test_bad_names_are_refused_naming_the_field(call: Any, field: str) -> None:
    with pytest.raises(ClientValidationError, match=f"^{field}: "):
        call()
