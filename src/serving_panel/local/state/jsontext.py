"""Strict JSON in and out, so nothing the workspace takes in can later fail to come out.

Python's `json` reads `NaN`, `Infinity` and `1e400` (as a float infinity) although RFC 8259 has
no such numbers, and writes them back out unless told not to; a stored NaN then broke every
response that included it. It also turns JSON escapes such as `"\\ud800"` into strings that
cannot be encoded as UTF-8, fails with a RecursionError on deep nesting and a ValueError on
integers past Python's 4,300-digit limit. `parse_json` refuses all of these with a 400 that
names the field (as a JSON path such as `telemetry_config.x`) and the rule, and `dumps` is the
strict writer the store uses.

Limits (the service's own are not published, so these are this workspace's choices, listed in
docs/local-workspace.md):

- nesting: at most `MAX_DEPTH` (100) levels of objects and arrays. Python's own parser gives up
  near 1,000; numpy arrays have at most 64 dimensions, so 100 leaves room for any tensor input
  inside its envelope (`{"inputs": ...}`, `dataframe_split`).
- integers: at most `MAX_INT_DIGITS` (4,300) digits, Python's default limit for int/str
  conversion (`sys.get_int_max_str_digits()`).
- numbers: finite only; a literal whose value overflows a double (`1e400`) is refused too.
- strings and object keys: valid Unicode (no unpaired surrogates), so they can be written as
  UTF-8.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from serving_panel.local.state.errors import ApiError, invalid

MAX_DEPTH = 100
MAX_INT_DIGITS = 4300


class _Refused:
    """A number the parser met that strict JSON does not allow; found again by the walk, which
    knows its path."""

    def __init__(self, text: str, rule: str) -> None:
        self.text = text
        self.rule = rule


def _constant(text: str) -> _Refused:
    return _Refused(text, f"{text} is not a JSON number; NaN and Infinity are not allowed")


def _float(text: str) -> float | _Refused:
    value = float(text)
    if math.isfinite(value):
        return value
    shown = text if len(text) <= 30 else text[:27] + "..."
    return _Refused(text, f"the number {shown} is out of range; numbers must be finite")


def _int(text: str) -> int | _Refused:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Refused(
            text, f"integers may have at most {MAX_INT_DIGITS} digits, this one has {digits}"
        )
    return int(text)


def _too_deep() -> ApiError:
    return invalid("body", f"JSON may nest objects and arrays at most {MAX_DEPTH} levels deep")


# The fast path, for the bodies that are fine (queries can be megabytes): the C parser with no
# hooks, then byte scans for depth. Bodies that may hold something to refuse, or are not UTF-8,
# take the careful path: hooks on every number and a walk of every value, which name the path.
# Digits read as "0", exponent marks as "e", signs as "+", the rest as spaces: number shapes
# can then be found with plain substring searches, which are fast on megabytes.
def _shape(byte: int) -> int:
    if 0x30 <= byte <= 0x39:
        return ord("0")
    if byte in b"eE":
        return ord("e")
    return ord("+") if byte in b"+-" else ord(" ")


_SHAPES = bytes(_shape(byte) for byte in range(256))
_ESCAPED_SURROGATE = re.compile(rb"\\[uU][dD][89a-fA-F]")
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def _suspect(raw: bytes) -> bool:
    """Whether the body may hold something strict JSON refuses (false alarms only cost time):
    NaN or Infinity, a number that may overflow a double (a 3-digit exponent, or 300 digits in
    a row), or a surrogate (escaped, or encoded in the bytes)."""
    if b"NaN" in raw or b"Infinity" in raw:
        return True
    shapes = raw.translate(_SHAPES)
    if b"e000" in shapes or b"e+000" in shapes or b"0" * 300 in shapes:
        return True
    return bool(_ESCAPED_SURROGATE.search(raw) or _ENCODED_SURROGATE.search(raw))


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_SYNTAX = bytes(b for b in range(256) if b not in b'[]{}"\\')
_PAIR = re.compile(rb"\[\]|\{\}")


def parse_json(raw: bytes) -> Any:
    """The JSON value in `raw`, or a 400 naming the rule (and the field) it breaks."""
    careful = json.detect_encoding(raw) not in ("utf-8", "utf-8-sig") or _suspect(raw)
    try:
        if careful:
            return _careful(raw)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer past Python's digit limit: find it, name its path
            return _careful(raw)
    except RecursionError as error:
        raise _too_deep() from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid("body", f"Invalid JSON given in the body of the request: {error}") from error
    _check_depth(raw)
    return value


def _careful(raw: bytes) -> Any:
    value = json.loads(raw, parse_constant=_constant, parse_float=_float, parse_int=_int)
    check(value)
    return value


def _check_depth(raw: bytes) -> None:
    """Refuses nesting past MAX_DEPTH, from the bytes of a UTF-8 body already parsed: with
    strings taken out, each pass removes the innermost bracket pairs, so the number of passes
    that empties the brackets is the depth."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    # Only quotes, backslashes and brackets matter; strings then hold nothing else.
    brackets = _STRING.sub(b"", raw.translate(None, _NOT_SYNTAX))
    for _ in range(MAX_DEPTH):
        brackets = _PAIR.sub(b"", brackets)
        if not brackets:
            return
    raise _too_deep()


def _unicode_problem(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check(value: Any) -> None:
    """Refuses what strict JSON can't hold, naming the path of the first offender."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            _check_scalar(node, path or "body")
            continue
        for key, item in items:
            if isinstance(key, str) and _unicode_problem(key):
                raise invalid(path or "body", "object keys must be valid Unicode text")
            child = _join(path, key)
            if isinstance(item, (dict, list)):
                stack.append((item, child, depth + 1))
            else:
                _check_scalar(item, child)


def _check_scalar(value: Any, path: str) -> None:
    if isinstance(value, _Refused):
        raise invalid(path, value.rule)
    if isinstance(value, str) and _unicode_problem(value):
        raise invalid(path, "must be valid Unicode text (it holds an unpaired surrogate)")


def dumps(value: Any) -> str:
    """Compact strict JSON; a value strict JSON can't hold raises ValueError."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)
