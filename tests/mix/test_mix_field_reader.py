"""Reading a few fields of a JSONL line without parsing all of it: it must agree with json.loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.errors import OutputError
from labgen.mix.field_reader import pick_fields
from labgen.mix.inventory import answer_style_of

FILE = Path("samples.jsonl")
WANTED = frozenset({"id", "leaf", "messages"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant"]),
                                           "content": st.text()}), max_size=4)
rows = st.dictionaries(st.sampled_from(["id", "leaf", "kind", "critic", "provenance", "context", "x\"y"]),
                       json_values, max_size=6).flatmap(
    lambda base: st.builds(lambda m, first: {"messages": m, **base} if first else {**base, "messages": m},
                           messages, st.booleans()))
encodings = st.sampled_from([
    {"separators": (",", ":"), "ensure_ascii": False},
    {"separators": (", ", ": "), "ensure_ascii": True},
    {"separators": (" , ", " : "), "ensure_ascii": False},
])


@settings(max_examples=200, deadline=None)
@given(row=rows, encoding=encodings)
def test_picked_fields_agree_with_json_loads(row: dict[str, Any], encoding: dict[str, Any]) -> None:
    line = (json.dumps(row, **encoding) + "\n").encode("utf-8")
    picked = pick_fields(line, WANTED, file=FILE, number=1)
    assert picked.fields == {key: row[key] for key in WANTED if key in row}
    if picked.message_json is not None:
        assert [json.loads(text) for text in picked.message_json] == row["messages"]


def test_unusual_lines_fall_back_to_a_full_parse() -> None:
    line = b'  {"id": "a", "id": "b", "messages": []}\n'  # repeated key: json.loads keeps the last
    assert pick_fields(line, WANTED, file=FILE, number=1).fields == {"id": "b", "messages": []}


@pytest.mark.parametrize("line", [b'{"id": "a", "messages": [1, 2\n', b'[1, 2]\n', b'{"id": \xff}\n'])
def test_bad_lines_are_errors_naming_the_line(line: bytes) -> None:
    with pytest.raises(OutputError) as info:
        pick_fields(line, WANTED, file=FILE, number=7)
    assert info.value.line == 7 and info.value.path == "samples.jsonl"


@pytest.mark.parametrize(("row", "style"), [
    ({"answer_style": "short"}, "short"),
    ({"answer_style": None}, None),
    ({"kind": "freeform_skill"}, None),
    ({"answer_style": "lo\"ng"}, "lo\"ng"),
    ({"q": "\"answer_style\": \"long\"", "answer_style": "short"}, "short"),
    ({"provenance": {"answer_style": "long"}, "answer_style": "short"}, "short"),
])
def test_answer_style_is_read_from_the_raw_line(row: dict[str, Any], style: str | None) -> None:
    for separators in ((",", ":"), (", ", ": ")):
        assert answer_style_of((json.dumps(row, separators=separators) + "\n").encode()) == style


def test_an_empty_object_has_no_fields_and_a_trailing_comma_is_an_error() -> None:
    assert pick_fields(b"{}\n", WANTED, file=FILE, number=1).fields == {}
    with pytest.raises(OutputError):
        pick_fields(b'{"kind": 1,}\n', WANTED, file=FILE, number=1)
