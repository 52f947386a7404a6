"""“Copy as”: the curl, databricks-sdk and Databricks CLI equivalents of a request.

Each function takes what the client is about to send (the method, path and body it really
sends: a grant is a PATCH of one entry, a revoke a PUT of the whole direct list, see
`_acl_writes`) and answers `{"curl": ..., "sdk": ..., "cli": ...}` (a query adds
`"serving_client"` and `"sql"`), so a user can replay it outside the notebook.

No snippet ever holds a token or a host: curl reads `$DATABRICKS_HOST` and `$DATABRICKS_TOKEN`,
the Python ones build their client from the environment (as databricks-sdk and `ServingClient()`
do), and the CLI reads its own profile or the same variables. Shell words go through
`shlex.quote`, so a body with quotes, `$`, backticks or newlines reaches the service unchanged;
Python literals go through `repr`/`pprint`, SQL strings are escaped for Databricks SQL.

Pure: stdlib and `_wire` only, so the widget can show them before anything is sent.
"""

from __future__ import annotations

import json
import pprint
import re
import shlex
from collections.abc import Mapping
from typing import Any

from serving_panel import _wire
from serving_panel.errors import ClientValidationError

__all__ = [
    "delete",
    "permissions_write",
    "query",
    "sql_string",
    "start",
    "stop",
    "update_config",
]

_ENDPOINT_ID = re.compile(r"[0-9a-f]{32}")
API = "/api/2.0/serving-endpoints"
PERMISSIONS = "/api/2.0/permissions/serving-endpoints"

_SDK_HEADER = (
    "from databricks.sdk import WorkspaceClient\n\n"
    "w = WorkspaceClient()  # DATABRICKS_HOST and DATABRICKS_TOKEN (or a profile)\n"
)
_RAW_SDK = "# databricks-sdk has no method for this request: api_client.do sends it as it is.\n"
_RAW_CLI = (
    "# The Databricks CLI has no command for this request: `databricks api` sends it as is.\n"
)

#: Request fields databricks-sdk's `serving_endpoints.query` takes, and how each is built.
_QUERY_FIELDS = {
    "client_request_id": "{}",
    "dataframe_records": "{}",
    "dataframe_split": "DataframeSplitInput.from_dict({})",
    "extra_params": "{}",
    "input": "{}",
    "inputs": "{}",
    "instances": "{}",
    "max_tokens": "{}",
    "messages": "[ChatMessage.from_dict(m) for m in {}]",
    "n": "{}",
    "prompt": "{}",
    "stop": "{}",
    "stream": "{}",
    "temperature": "{}",
    "usage_context": "{}",
}


def curl(method: str, path: str, body: Any = None) -> str:
    """A curl command for one request: host and token from the environment, every other word
    shell-quoted; the body as JSON, exactly as the client would send it."""
    lines = [
        f'curl -sS -X {method} "$DATABRICKS_HOST"{shlex.quote(path)}',
        '-H "Authorization: Bearer $DATABRICKS_TOKEN"',
    ]
    if body is not None:
        lines.append("-H 'Content-Type: application/json'")
        lines.append(f"--data-raw {shlex.quote(json.dumps(body, indent=2))}")
    return " \\\n  ".join(lines)


def _cli(words: list[str], body: Any = None) -> str:
    command = " ".join(shlex.quote(word) for word in ["databricks", *words])
    if body is not None:
        command += f" \\\n  --json {shlex.quote(json.dumps(body, indent=2))}"
    return command


def _literal(value: Any) -> str:
    """A Python literal for a JSON value (True, None, ...), wrapped to fit a cell."""
    return pprint.pformat(value, width=88, sort_dicts=False)


def _raw_sdk(method: str, path: str, body: Any = None) -> str:
    call = f"w.api_client.do({method!r}, {path!r}"
    call += f", body={_literal(body)})" if body is not None else ")"
    return f"{_RAW_SDK}{_SDK_HEADER}\nanswer = {call}\nprint(answer)\n"


def permissions_write(endpoint_id: str, method: str, body: Mapping[str, Any]) -> dict[str, str]:
    """A grant (`PATCH`: merges the listed principals) or a revoke (`PUT`: replaces the whole
    direct ACL with the list, so it is only right while the ACL is the one it was made from)."""
    if method not in ("PATCH", "PUT"):
        raise ClientValidationError(f"method: must be PATCH or PUT, got {method!r}")
    if not _ENDPOINT_ID.fullmatch(str(endpoint_id)):
        raise ClientValidationError(
            f"endpoint_id: must be the endpoint's 32-hex id (the permissions API takes no "
            f"name), got {endpoint_id!r}"
        )
    path = f"{PERMISSIONS}/{endpoint_id}"
    sdk_method, cli_command = (
        ("update_permissions", "update-permissions")
        if method == "PATCH"
        else ("set_permissions", "set-permissions")
    )
    warning = (
        "# PUT replaces every direct grant with this list (made from the ACL as read just now):\n"
        "# re-read the permissions before running it later, or a grant made since is lost.\n"
        if method == "PUT"
        else ""
    )
    entries = list(body.get("access_control_list") or [])
    sdk = (
        f"{warning}{_SDK_HEADER}"
        "from databricks.sdk.service.serving import ServingEndpointAccessControlRequest\n\n"
        f"access_control_list = {_literal(entries)}\n"
        f"w.serving_endpoints.{sdk_method}(\n"
        f"    serving_endpoint_id={endpoint_id!r},\n"
        "    access_control_list=[\n"
        "        ServingEndpointAccessControlRequest.from_dict(e) for e in access_control_list\n"
        "    ],\n"
        ")\n"
    )
    return {
        "curl": warning + curl(method, path, dict(body)),
        "sdk": sdk,
        "cli": warning + _cli(["serving-endpoints", cli_command, endpoint_id], dict(body)),
    }


def delete(name: str) -> dict[str, str]:
    """Deleting an endpoint: no confirmation, no undo (keep a backup to `restore` from)."""
    _name(name, "name", "endpoint name")
    return {
        "curl": curl("DELETE", f"{API}/{name}"),
        "sdk": f"{_SDK_HEADER}\nw.serving_endpoints.delete(name={name!r})\n",
        "cli": _cli(["serving-endpoints", "delete", name]),
    }


def _stop_or_start(name: str, action: str) -> dict[str, str]:
    _name(name, "name", "endpoint name")
    path = f"{API}/{name}/config:{action}"
    return {
        "curl": curl("POST", path, {}),
        "sdk": _raw_sdk("POST", path, {}),
        "cli": _RAW_CLI + _cli(["api", "post", path], {}),
    }


def stop(name: str) -> dict[str, str]:
    """`POST .../config:stop`: neither databricks-sdk nor the CLI has a stop method."""
    return _stop_or_start(name, "stop")


def start(name: str) -> dict[str, str]:
    """`POST .../config:start`: neither databricks-sdk nor the CLI has a start method."""
    return _stop_or_start(name, "start")


def update_config(name: str, body: Mapping[str, Any]) -> dict[str, str]:
    """`PUT .../config` with `body` (say, `config_edits.traffic_body`'s): it replaces the whole
    config, which builds as a new config version."""
    _name(name, "name", "endpoint name")
    path = f"{API}/{name}/config"
    arguments = [f"    name={name!r},"]
    classes = []
    for key, cls, many in (
        ("served_entities", "ServedEntityInput", True),
        ("served_models", "ServedModelInput", True),
        ("traffic_config", "TrafficConfig", False),
        ("auto_capture_config", "AutoCaptureConfigInput", False),
    ):
        if key not in body:
            continue
        classes.append(cls)
        built = (
            f"[{cls}.from_dict(e) for e in body[{key!r}]]"
            if many
            else f"{cls}.from_dict(body[{key!r}])"
        )
        arguments.append(f"    {key}={built},")
    sdk = (
        f"{_SDK_HEADER}from databricks.sdk.service.serving import {', '.join(classes)}\n\n"
        f"body = {_literal(dict(body))}\n"
        "w.serving_endpoints.update_config(\n" + "\n".join(arguments) + "\n)\n"
    )
    return {
        "curl": curl("PUT", path, dict(body)),
        "sdk": sdk,
        "cli": _cli(["serving-endpoints", "update-config", name], dict(body)),
    }


def query(
    name: str, request: Mapping[str, Any], *, served_entity: str | None = None
) -> dict[str, str]:
    """Querying an endpoint (through its traffic split, or one served entity): curl,
    `ServingClient`, databricks-sdk, the CLI and SQL's `ai_query`."""
    _name(name, "name", "endpoint name")
    if served_entity is not None:
        _name(served_entity, "served_entity", "served entity name")
    body = dict(request)
    if served_entity is None:
        path = f"/serving-endpoints/{name}/invocations"
    else:
        path = f"/serving-endpoints/{name}/served-models/{served_entity}/invocations"
    target = "" if served_entity is None else f", served_entity={served_entity!r}"
    serving_client = (
        "from serving_panel import ServingClient\n\n"
        "client = ServingClient()  # DATABRICKS_HOST and DATABRICKS_TOKEN (or a profile)\n"
        f"result = client.query({name!r}, {_literal(body)}{target})\n"
        "print(result.served_entity, result.predictions)\n"
    )
    if served_entity is None:
        cli = _cli(["serving-endpoints", "query", name], body)
    else:
        cli = _RAW_CLI + _cli(["api", "post", path], body)
    return {
        "curl": curl("POST", path, body),
        "serving_client": serving_client,
        "sdk": _sdk_query(name, body, path, served_entity),
        "cli": cli,
        "sql": ai_query(name, body),
    }


def _sdk_query(name: str, body: dict[str, Any], path: str, served_entity: str | None) -> str:
    unknown = [key for key in body if key not in _QUERY_FIELDS]
    if served_entity is not None or unknown:
        return _raw_sdk("POST", path, body)
    imports = [
        cls
        for key, cls in (("dataframe_split", "DataframeSplitInput"), ("messages", "ChatMessage"))
        if key in body
    ]
    header = _SDK_HEADER
    if imports:
        header += f"from databricks.sdk.service.serving import {', '.join(imports)}\n"
    arguments = [f"    name={name!r},"]
    for key in body:
        arguments.append(f"    {key}={_QUERY_FIELDS[key].format(f'body[{key!r}]')},")
    return (
        f"{header}\nbody = {_literal(body)}\n"
        "response = w.serving_endpoints.query(\n" + "\n".join(arguments) + "\n)\n"
        "print(response.as_dict())\n"
    )


def sql_string(text: str) -> str:
    """A Databricks SQL string literal: backslashes, quotes and line breaks escaped."""
    escaped = (
        text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    )
    return f"'{escaped}'"


def _sql_value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return sql_string(value)
    if isinstance(value, Mapping):
        return _named_struct(value)
    if isinstance(value, list):
        return "array(" + ", ".join(_sql_value(item) for item in value) + ")"
    return sql_string(json.dumps(value))


def _named_struct(record: Mapping[str, Any]) -> str:
    pairs = ", ".join(f"{sql_string(str(k))}, {_sql_value(v)}" for k, v in record.items())
    return f"named_struct({pairs})"


def _first_row(body: Mapping[str, Any]) -> tuple[str | None, int]:
    """The SQL expression of the request's first row, and how many rows the request holds."""
    records = body.get("dataframe_records")
    if isinstance(records, list) and records:
        first = records[0]
        return (_named_struct(first) if isinstance(first, Mapping) else _sql_value(first)), len(
            records
        )
    split = body.get("dataframe_split")
    if isinstance(split, Mapping) and isinstance(split.get("data"), list) and split["data"]:
        columns = split.get("columns")
        row = split["data"][0]
        if isinstance(columns, list) and isinstance(row, list) and len(columns) == len(row):
            return _named_struct(dict(zip((str(c) for c in columns), row, strict=True))), len(
                split["data"]
            )
    for key in ("instances", "inputs"):
        rows = body.get(key)
        if isinstance(rows, list) and rows:
            return _sql_value(rows[0]), len(rows)
        if isinstance(rows, Mapping):
            return _named_struct(rows), 1
    messages = body.get("messages")
    if isinstance(messages, list):
        said = [m.get("content") for m in messages if isinstance(m, Mapping)]
        texts = [text for text in said if isinstance(text, str)]
        if texts:
            return sql_string(texts[-1]), 1
    for key in ("prompt", "input"):
        if isinstance(body.get(key), str):
            return sql_string(body[key]), 1
    return None, 1


def ai_query(name: str, body: Mapping[str, Any]) -> str:
    """`SELECT ai_query('<endpoint>', <request>)`: ai_query sends one row per call, so this
    is the request's first row as a SQL value (a chat request: its last message)."""
    expression, rows = _first_row(body)
    notes = ["-- Runs on a SQL warehouse or cluster that can reach the endpoint."]
    if expression is None:
        expression = sql_string(json.dumps(body))
        notes.append("-- The request as JSON text: shape it as the model's input expects.")
    if rows > 1:
        notes.append(f"-- The request holds {rows} rows; ai_query takes one per call (the first).")
    notes.append("-- A custom model may need returnType => '<type>' as a third argument.")
    return (
        "\n".join(notes)
        + f"\nSELECT ai_query(\n  {sql_string(name)},\n  {expression}\n) AS response\n"
    )


def _name(value: str, field: str, what: str) -> str:
    """Names go into paths, so only ones the service accepts are put there."""
    problem = _wire.name_problem(value, what)
    if problem is not None:
        raise ClientValidationError(f"{field}: {problem}")
    return value
