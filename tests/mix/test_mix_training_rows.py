"""The training row encoder: byte-identical to labgen.jsonl.dumps, whichever way the input was written."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.jsonl import dumps
from labgen.mix.field_reader import pick_fields
from labgen.mix.training_rows import (BAD_ROLES, EMPTY_CONTENT, NO_MESSAGES, Dropped, SystemPrompt,
                                      conformance_problem, conversation_turns, encode_row, metadata_of,
                                      too_long)
from labgen.mix.length_guard import LengthGuard
from labgen.tokens import message_token_upper_bound

turn_texts = st.lists(st.tuples(st.text(min_size=1).filter(str.strip), st.text(min_size=1).filter(str.strip)),
                      min_size=1, max_size=3)
scalars = st.text(max_size=20)


@settings(max_examples=150, deadline=None)
@given(pairs=turn_texts, system=st.text(min_size=1).filter(str.strip), leaf=scalars, sample_id=scalars, replayed=st.booleans(),
       ascii_input=st.booleans())
def test_encoded_rows_equal_dumps_of_the_row(pairs: list[tuple[str, str]], system: str, leaf: str | None,
                                             sample_id: str | None, replayed: bool, ascii_input: bool) -> None:
    turns = [message for q, a in pairs for message in
             ({"role": "user", "content": q}, {"role": "assistant", "content": a})]
    sample = {"id": sample_id, "messages": [{"role": "system", "content": "own"}, *turns]}
    line = (json.dumps(sample, ensure_ascii=ascii_input) + "\n").encode("utf-8")
    picked = pick_fields(line, frozenset({"id", "messages"}), file=Path("x"), number=1)
    found = conversation_turns(picked.fields["messages"])
    assert not isinstance(found, Dropped)
    start, parsed = found
    assert start == 1 and parsed == turns
    metadata = metadata_of(leaf=leaf, kind="freeform_skill", sample_id=sample_id, source="s", phase="p",
                           replayed=replayed)
    assert picked.message_json is not None
    encoded = encode_row(SystemPrompt(system), parsed, picked.message_json[start:], metadata)
    expected = {"messages": [{"role": "system", "content": system}, *turns], "metadata": metadata}
    assert json.loads(encoded) == expected and conformance_problem(expected) is None
    # Compact input (as labgen writes it) is spliced as is: the output is exactly what dumps writes.
    compact = (dumps(sample) + "\n").encode("utf-8")
    picked = pick_fields(compact, frozenset({"id", "messages"}), file=Path("x"), number=1)
    assert picked.message_json is not None
    assert encode_row(SystemPrompt(system), parsed, picked.message_json[1:], metadata) == dumps(expected)


def test_conversation_rules() -> None:
    user, assistant = {"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}
    assert conversation_turns([user, assistant]) == (0, [user, assistant])
    assert conversation_turns([]) == Dropped(NO_MESSAGES)
    assert conversation_turns("text") == Dropped(NO_MESSAGES)
    assert conversation_turns([{"role": "system", "content": "s"}]) == Dropped(BAD_ROLES)
    assert conversation_turns([user, user]) == Dropped(BAD_ROLES)
    assert conversation_turns([user, assistant, {"role": "system", "content": "s"}, assistant]) == Dropped(BAD_ROLES)
    assert conversation_turns([user, {"role": "assistant", "content": ""}]) == Dropped(EMPTY_CONTENT)
    assert conversation_turns([user, {"role": "assistant", "content": 3}]) == Dropped(EMPTY_CONTENT)


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.text(max_size=300), min_size=2, max_size=4), limit=st.integers(min_value=1, max_value=2000))
def test_the_length_guard_keeps_rows_under_the_bound(texts: list[str], limit: int) -> None:
    system = SystemPrompt("You are a careful assistant.")
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(texts)]
    bound = message_token_upper_bound([{"role": "system", "content": system.text}, *turns])
    # instructlab-training's rule: a row is kept when it has fewer than max_seq_len tokens.
    assert too_long(system, turns, LengthGuard(limit)) == (bound >= limit)
    assert too_long(system, turns, None) is False


def test_metadata_fields_are_strings_on_every_row() -> None:
    """A loader infers column types from the first rows: a null leaf, then a string, breaks it."""
    external = metadata_of(leaf=None, kind="external", sample_id=None, source="extra", phase="p", replayed=False)
    assert external == {"leaf": "", "kind": "external", "sample_id": "", "source": "extra", "phase": "p",
                        "replayed": False}
    assert metadata_of(leaf=3, kind=None, sample_id="s", source=None, phase="p", replayed=True)["leaf"] == "3"
    row = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                        {"role": "assistant", "content": "a"}], "metadata": {**external, "leaf": None}}
    assert conformance_problem(row) == "metadata.leaf must be a str"
