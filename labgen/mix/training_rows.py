"""The training row format, and turning a sample (or an external chat row) into one.

A training row is what instructlab/training and TRL's SFTTrainer read as is:
`{"messages": [system, user, assistant, (user, assistant)...], "metadata": {...}}` with no empty
content. A row that cannot be made to fit is dropped with a reason; it is never written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from json.encoder import encode_basestring as encode_string  # type: ignore[attr-defined]
from typing import Any

from labgen.jsonl import dumps
from labgen.mix.length_guard import LengthGuard, message_bound

METADATA_KEYS = ("leaf", "kind", "sample_id", "source", "phase", "replayed")

# Drop reasons, as counted in the manifest.
NO_MESSAGES = "no_messages"
BAD_ROLES = "bad_roles"
EMPTY_CONTENT = "empty_content"
TOO_LONG = "too_long"


@dataclass(frozen=True)
class Dropped:
    reason: str


@dataclass(frozen=True)
class SystemPrompt:
    """A phase's system message, encoded once, with its share of the token bound."""

    text: str

    @cached_property
    def json(self) -> str:
        return dumps({"role": "system", "content": self.text})

    @cached_property
    def bound(self) -> int:
        return message_bound(self.text)


def conversation_turns(messages: Any) -> tuple[int, list[dict[str, Any]]] | Dropped:
    """(index of the first turn, the turns) of a sample's messages, its own system message left out.

    After that system message, roles must alternate user and assistant, starting with user and ending
    with assistant, and no content may be blank.
    """
    if not isinstance(messages, list) or not messages:
        return Dropped(NO_MESSAGES)
    start = 1 if isinstance(messages[0], dict) and messages[0].get("role") == "system" else 0
    turns = messages[start:]
    if not turns or len(turns) % 2:
        return Dropped(BAD_ROLES)
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") != ("user" if index % 2 == 0 else "assistant"):
            return Dropped(BAD_ROLES)
        content = turn.get("content")
        if not isinstance(content, str) or not content.strip():
            return Dropped(EMPTY_CONTENT)
    return start, turns


def too_long(system: SystemPrompt, turns: Sequence[dict[str, Any]], guard: LengthGuard | None) -> bool:
    """Whether the row would not be kept at the guard's max_seq_len (never, without a guard)."""
    return guard is not None and guard.too_long(system.text, system.bound, turns)


def encode_row(system: SystemPrompt, turns: Sequence[dict[str, Any]], turn_json: Sequence[str] | None,
               metadata: dict[str, Any]) -> str:
    """The training row as one JSON line, byte for byte what labgen.jsonl.dumps gives for compact input.

    A turn's JSON text from the input is reused when the turn holds just role and content; anything
    else is encoded afresh with those two keys. `metadata` is what metadata_of builds.
    """
    parts = [system.json]
    for index, turn in enumerate(turns):
        if turn_json is not None and len(turn) == 2:
            parts.append(turn_json[index])
        else:
            parts.append(dumps({"role": turn["role"], "content": turn["content"]}))
    return '{"messages":[' + ",".join(parts) + '],"metadata":' + _encode_metadata(metadata) + "}"


def _encode_metadata(metadata: dict[str, Any]) -> str:
    """Metadata (as metadata_of builds it) exactly as labgen.jsonl.dumps writes it, but faster."""
    return ('{"leaf":' + encode_string(metadata["leaf"]) + ',"kind":' + encode_string(metadata["kind"])
            + ',"sample_id":' + encode_string(metadata["sample_id"])
            + ',"source":' + encode_string(metadata["source"]) + ',"phase":' + encode_string(metadata["phase"])
            + ',"replayed":' + ("true" if metadata["replayed"] else "false") + "}")


def metadata_of(*, leaf: Any, kind: Any, sample_id: Any, source: Any, phase: str, replayed: bool) -> dict[str, Any]:
    """A row's metadata, every field a string (replayed a bool) on every row, so that a loader that
    infers column types from the first rows (datasets reads 10 MiB) never meets a null, then a string.
    A missing value is the empty string (an external source's rows have no leaf)."""
    return {"leaf": _text(leaf), "kind": _text(kind), "sample_id": _text(sample_id), "source": _text(source),
            "phase": phase, "replayed": bool(replayed)}


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    return "" if value is None else dumps(value)


def conformance_problem(row: Any) -> str | None:
    """Why a written row breaks the training format, or None. For tests and for checking phase files."""
    if not isinstance(row, dict) or set(row) != {"messages", "metadata"}:
        return "a row must have exactly the keys messages and metadata"
    messages = row["messages"]
    if not isinstance(messages, list) or len(messages) < 3:
        return "messages must hold a system message and at least one user/assistant pair"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            return f"message {index} must have exactly role and content"
        expected = "system" if index == 0 else ("user" if index % 2 else "assistant")
        if message["role"] != expected:
            return f"message {index} has role {message['role']!r}, expected {expected!r}"
        if not isinstance(message["content"], str) or not message["content"].strip():
            return f"message {index} has empty content"
    if messages[-1]["role"] != "assistant":
        return "the last message must be the assistant's"
    metadata = row["metadata"]
    if not isinstance(metadata, dict) or sorted(metadata) != sorted(METADATA_KEYS):
        return f"metadata must have exactly the keys {', '.join(METADATA_KEYS)}"
    for key in METADATA_KEYS:
        wanted = bool if key == "replayed" else str
        if not isinstance(metadata[key], wanted):
            return f"metadata.{key} must be a {wanted.__name__}"
    return None
