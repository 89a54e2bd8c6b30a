"""Token estimates without a tokenizer download.

Real tokenizers (Mixtral's, SmolLM2's) come from a model hub, which labgen never reaches at run time.
This estimate counts word pieces of up to four characters and every punctuation mark, which is slightly
above what BPE tokenizers of Llama/Mistral families give for English prose, so budgets built on it
are conservative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PIECE = re.compile(r"[A-Za-z]+|\d|[^\sA-Za-z\d]", re.UNICODE)
_MESSAGE_OVERHEAD = 4  # role markers and separators of a chat template, per message


def estimate_tokens(text: str) -> int:
    total = 0
    for match in _PIECE.finditer(text):
        piece = match.group(0)
        if piece.isascii():
            total += (len(piece) + 3) // 4 if piece.isalpha() else 1
        else:
            total += len(piece.encode("utf-8")) // 2 + 1
    return total


def estimate_message_tokens(messages: Iterable[dict[str, str]]) -> int:
    return sum(estimate_tokens(m.get("content") or "") + _MESSAGE_OVERHEAD for m in messages)
