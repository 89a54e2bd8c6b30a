"""Read only the top-level fields the mixer needs from a JSONL line, keeping each message's JSON text.

A `labgen generate` sample is mostly provenance, critic verdicts and copies of its text; the mixer
needs four fields. The keys before `messages` are parsed in one json.loads of that prefix, the
messages array item by item (keeping each item's JSON text, which the writer splices into the output
instead of encoding it again), and the walk stops once every wanted field is read. Anything unusual
falls back to json.loads of the whole line, so the result always agrees with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from labgen.errors import OutputError

_SCAN = json.JSONDecoder().scan_once  # (text, index) -> (value, end); StopIteration when invalid
_SKIP_SPACE = re.compile(r"[ \t\n\r]*").match
_SPACE = frozenset(" \t\n\r")
_MESSAGES_KEY = re.compile(r'"messages"[ \t\n\r]*:[ \t\n\r]*\[')


@dataclass(frozen=True)
class PickedFields:
    fields: dict[str, Any]
    message_json: tuple[str, ...] | None  # the JSON text of each item of `messages`, when kept


class _Irregular(Exception):
    """The fast path met something it does not handle; json.loads decides instead."""


def pick_fields(line: bytes, wanted: frozenset[str], *, file: Path, number: int) -> PickedFields:
    """The `wanted` top-level fields of the JSON object on `line` (absent ones are left out)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OutputError(f"line is not UTF-8 ({exc.reason})", path=file, line=number,
                          hint="JSONL files must be UTF-8") from None
    try:
        return _pick(text, wanted)
    except (_Irregular, StopIteration, ValueError, IndexError):
        pass
    row = _parse_whole(text, file, number)
    return PickedFields({key: row[key] for key in wanted if key in row}, None)


def _parse_whole(text: str, file: Path, number: int) -> dict[str, Any]:
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputError(f"line is not valid JSON ({exc})", path=file, line=number,
                          hint="each line must be one JSON object; regenerate or remove the line") from None
    if not isinstance(row, dict):
        raise OutputError("line is not a JSON object", path=file, line=number,
                          hint="each line must be one JSON object")
    return row


def _pick(text: str, wanted: frozenset[str]) -> PickedFields:
    match = _MESSAGES_KEY.search(text) if "messages" in wanted else None
    if match is None:
        return _walk_keys(text, _object_start(text), wanted, {}, None, set())
    head = text[:match.start()].rstrip()
    if head.endswith(","):
        # The prefix parses as one object only if the key found sits at the top level.
        prefix = json.loads(head[:-1] + "}")
        if not isinstance(prefix, dict) or "messages" in prefix:
            raise _Irregular
    elif head.lstrip() == "{":
        prefix = {}
    else:
        raise _Irregular
    items, spans, index = _walk_array(text, match.end() - 1)
    fields = {key: prefix[key] for key in wanted if key in prefix}
    fields["messages"] = items
    if len(fields) == len(wanted):
        return PickedFields(fields, spans)
    return _walk_keys(text, _after_value(text, index), wanted, fields, spans, {*prefix, "messages"})


def _object_start(text: str) -> int:
    index = 0 if text[0] == "{" else _SKIP_SPACE(text, 0).end()
    if text[index] != "{":
        raise _Irregular
    index = _skip(text, index + 1)
    if text[index] == "}":
        return -1  # an empty object
    return index


def _skip(text: str, index: int) -> int:
    return _SKIP_SPACE(text, index).end() if text[index] in _SPACE else index


def _after_value(text: str, index: int) -> int:
    """From just after a value: the index of the next key, or -1 at the object's end."""
    index = _skip(text, index)
    if text[index] == "}":
        return -1
    if text[index] != ",":
        raise _Irregular
    return _skip(text, index + 1)


def _walk_keys(text: str, index: int, wanted: frozenset[str], fields: dict[str, Any],
               spans: tuple[str, ...] | None, seen: set[str]) -> PickedFields:
    """Read key/value pairs from `index` (a key's opening quote, or -1 for the end) until every
    wanted field is read or the object ends."""
    while index >= 0:
        if text[index] != '"':
            raise _Irregular
        key, index = scanstring(text, index + 1)
        index = _skip(text, index)
        if text[index] != ":" or key in seen:  # a repeated key: json.loads decides which counts
            raise _Irregular
        seen.add(key)
        index = _skip(text, index + 1)
        if key == "messages" and key in wanted and text[index] == "[":
            value, spans, index = _walk_array(text, index)
        else:
            value, index = _SCAN(text, index)
        if key in wanted:
            fields[key] = value
            if len(fields) == len(wanted):
                break
        index = _after_value(text, index)
    return PickedFields(fields, spans)


def _walk_array(text: str, index: int) -> tuple[list[Any], tuple[str, ...], int]:
    """Parse the array at `index` item by item: (items, each item's JSON text, index after it)."""
    items: list[Any] = []
    spans: list[str] = []
    index = _skip(text, index + 1)
    if text[index] == "]":
        return items, (), index + 1
    while True:
        value, end = _SCAN(text, index)
        items.append(value)
        spans.append(text[index:end])
        end = _skip(text, end)
        if text[end] == ",":
            index = _skip(text, end + 1)
        elif text[end] == "]":
            return items, tuple(spans), end + 1
        else:
            raise _Irregular
