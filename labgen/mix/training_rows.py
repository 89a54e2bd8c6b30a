"""The training row format, and turning a sample (or an external chat row) into one.

A training row is what instructlab/training and TRL's SFTTrainer read as is:
`{"messages": [system, user, assistant, (user, assistant)...], "metadata": {...}}` with no empty
content. A row that cannot be made to fit is dropped with a reason; it is never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labgen.tokens import estimate_message_tokens

METADATA_KEYS = ("leaf", "kind", "sample_id", "source", "phase", "replayed")

# Drop reasons, as counted in the manifest.
NO_MESSAGES = "no_messages"
BAD_ROLES = "bad_roles"
EMPTY_CONTENT = "empty_content"
TOO_LONG = "too_long"


@dataclass(frozen=True)
class Dropped:
    reason: str


def chat_messages(raw: Any, system_prompt: str) -> list[dict[str, str]] | Dropped:
    """The conversation with `system_prompt` as its one system message, or why it cannot be used.

    The sample's own leading system message is replaced; after it, roles must alternate user and
    assistant, starting with user and ending with assistant, and no content may be blank.
    """
    if not isinstance(raw, list) or not raw:
        return Dropped(NO_MESSAGES)
    turns = raw[1:] if isinstance(raw[0], dict) and raw[0].get("role") == "system" else raw
    if not turns or len(turns) % 2:
        return Dropped(BAD_ROLES)
    messages = [{"role": "system", "content": system_prompt}]
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") != ("user" if index % 2 == 0 else "assistant"):
            return Dropped(BAD_ROLES)
        content = turn.get("content")
        if not isinstance(content, str) or not content.strip():
            return Dropped(EMPTY_CONTENT)
        messages.append({"role": turn["role"], "content": content})
    return messages


def training_row(sample: dict[str, Any], *, system_prompt: str, source: str, phase: str,
                 max_seq_len: int | None, leaf: str | None = None, kind: str | None = None,
                 sample_id: str | None = None) -> dict[str, Any] | Dropped:
    """A sample of `labgen generate` (or an external messages row) as a training row, or a drop."""
    messages = chat_messages(sample.get("messages"), system_prompt)
    if isinstance(messages, Dropped):
        return messages
    if max_seq_len is not None and estimate_message_tokens(messages) > max_seq_len:
        return Dropped(TOO_LONG)
    metadata = {
        "leaf": sample.get("leaf") if leaf is None else leaf,
        "kind": sample.get("kind") if kind is None else kind,
        "sample_id": sample.get("id") if sample_id is None else sample_id,
        "source": source,
        "phase": phase,
        "replayed": False,
    }
    return {"messages": messages, "metadata": metadata}


def replayed_row(row: dict[str, Any], *, system_prompt: str, phase: str,
                 max_seq_len: int | None) -> dict[str, Any] | Dropped:
    """A row of an earlier phase's file, re-issued in `phase` under that phase's system prompt."""
    messages = chat_messages(row.get("messages"), system_prompt)
    if isinstance(messages, Dropped):
        return messages
    if max_seq_len is not None and estimate_message_tokens(messages) > max_seq_len:
        return Dropped(TOO_LONG)
    metadata = dict(row.get("metadata") or {})
    metadata["phase"] = phase
    metadata["replayed"] = True
    return {"messages": messages, "metadata": {key: metadata.get(key) for key in METADATA_KEYS}}


def conformance_problem(row: Any) -> str | None:
    """Why a written row breaks the training format, or None. Used by tests and by `check_phase_file`."""
    if not isinstance(row, dict) or set(row) != {"messages", "metadata"}:
        return "a row must have exactly the keys messages and metadata"
    messages = row["messages"]
    if not isinstance(messages, list) or len(messages) < 3:
        return "messages must hold a system message and at least one user/assistant pair"
    if messages[0].get("role") != "system":
        return "the first message must be the system message"
    for index, message in enumerate(messages):
        if set(message) != {"role", "content"}:
            return f"message {index} must have exactly role and content"
        expected = "system" if index == 0 else ("user" if index % 2 else "assistant")
        if message["role"] != expected:
            return f"message {index} has role {message['role']!r}, expected {expected!r}"
        if not isinstance(message["content"], str) or not message["content"].strip():
            return f"message {index} has empty content"
    if messages[-1]["role"] != "assistant":
        return "the last message must be the assistant's"
    metadata = row["metadata"]
    if not isinstance(metadata, dict) or tuple(sorted(metadata)) != tuple(sorted(METADATA_KEYS)):
        return f"metadata must have exactly the keys {', '.join(METADATA_KEYS)}"
    return None
