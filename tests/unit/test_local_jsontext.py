"""The strict JSON parser's rules, on both of its paths: the fast one (the C parser, then byte
scans for depth) that ordinary bodies take, and the careful one (hooks and a walk that name
the path) for bodies that may hold something to refuse. The HTTP tests show the same rules on
every route (tests/integration/test_local_strict_json.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serving_panel.local.state.errors import ApiError
from serving_panel.local.state.jsontext import MAX_DEPTH, dumps, parse_json


def refused(raw: bytes) -> str:
    with pytest.raises(ApiError) as caught:
        parse_json(raw)
    assert caught.value.status == 400
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    return caught.value.message


def arrays(depth: int, inner: str = "1") -> bytes:
    return ("[" * depth + inner + "]" * depth).encode()


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, -0.0, 1e308, -1e-400, True, None, "x"]},
        {"text": 'brackets [ { in strings } ], quotes " and \\ backslashes', "n": 1},
        {"emoji": "\N{GRINNING FACE}", "accents": "é☃"},
        {"NaN": "Infinity", "note": "NaN is fine as text"},
        {"big": 10**4299, "exp": "1e400 in a string"},
        [[[[[]]]]],
    ],
)
def test_strict_json_reads_as_json_does(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode()
    assert parse_json(raw) == json.loads(raw)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_other_encodings_json_allows_take_the_careful_path(encoding: str) -> None:
    assert parse_json('{"a": [1]}'.encode(encoding)) == {"a": [1]}
    assert refused('{"a": [NaN]}'.encode(encoding)).startswith("a[0]: NaN is not")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": {"b": NaN}}', "a.b: NaN is not a JSON number; NaN and Infinity are not allowed"),
        (b'{"a": [1, -Infinity]}', "a[1]: -Infinity is not a JSON number"),
        (b'{"a": 1e400}', "a: the number 1e400 is out of range; numbers must be finite"),
        (b'{"a": -2E+308}', "a: the number -2E+308 is out of range"),
        (b'{"a": ' + b"1" * 400 + b".0}", "a: the number " + "1" * 27 + "... is out of range"),
        (b'{"a": [' + b"9" * 4301 + b"]}", "a[0]: integers may have at most 4300 digits"),
        (b'{"a": "\\udc00"}', "a: must be valid Unicode text"),
        (b'{"a": ["x", "\xed\xa0\x80"]}', "a[1]: must be valid Unicode text"),
        (b'{"a": {"\\ud800": 1}}', "a: object keys must be valid Unicode text"),
        (b"NaN", "body: NaN is not a JSON number"),
        (b'{"a": ', "body: Invalid JSON given in the body of the request"),
        (b"\xff\xfe\xfd", "body: Invalid JSON given in the body of the request"),
    ],
)
def test_what_strict_json_refuses_is_named_by_path(raw: bytes, message: str) -> None:
    assert refused(raw).startswith(message)


@pytest.mark.parametrize("inner", ["1", '"]]]\\\\"', '{"k": "[[["}'])
def test_depth_is_counted_outside_strings_up_to_the_limit(inner: str) -> None:
    inner_depth = 1 if inner.startswith("{") else 0
    at_limit = arrays(MAX_DEPTH - inner_depth, inner)
    assert parse_json(at_limit) is not None
    message = refused(arrays(MAX_DEPTH + 1 - inner_depth, inner))
    assert message == "body: JSON may nest objects and arrays at most 100 levels deep"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deep_nesting_is_refused_on_both_paths(depth: int) -> None:
    rule = "body: JSON may nest objects and arrays at most 100 levels deep"
    assert refused(arrays(depth)) == rule
    assert refused(arrays(depth, "NaN")) == rule  # the careful path


def test_dumps_refuses_what_it_could_not_read_back() -> None:
    assert dumps({"a": [1, "é"]}) == '{"a":[1,"\\u00e9"]}'
    with pytest.raises(ValueError, match="Out of range float"):
        dumps({"a": float("nan")})
