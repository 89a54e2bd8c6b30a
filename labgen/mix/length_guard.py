"""The length guard of `--max-seq-len`: keep a row only when it has fewer than max_seq_len tokens.

The rule is instructlab-training's (it drops a row of `len >= max_seq_len`, and TRL truncates past
max_length), counted over the whole chat-templated conversation, system prompt included. Without a
tokenizer the count is labgen.tokens' proven upper bound, so a row that passes fits any byte-level
BPE or SentencePiece tokenizer; with one (`--tokenizer`) it is that tokenizer's exact count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labgen.mix.tokenizer import ChatTokenizer
from labgen.tokens import TEMPLATE_TOKENS_PER_CONVERSATION, TEMPLATE_TOKENS_PER_MESSAGE, token_upper_bound


def message_bound(text: str) -> int:
    """One message's share of labgen.tokens.message_token_upper_bound."""
    return token_upper_bound(text) + TEMPLATE_TOKENS_PER_MESSAGE


@dataclass(frozen=True)
class LengthGuard:
    max_seq_len: int
    tokenizer: ChatTokenizer | None = None

    def too_long(self, system_text: str, system_bound: int, turns: Sequence[dict[str, Any]]) -> bool:
        """Whether the row (system message, then the turns) would not be kept at max_seq_len.
        `system_bound` is message_bound(system_text), computed once per phase."""
        if self.tokenizer is None:
            bound = (TEMPLATE_TOKENS_PER_CONVERSATION + system_bound
                     + sum([message_bound(turn["content"]) for turn in turns]))
            return bound >= self.max_seq_len
        messages = [{"role": "system", "content": system_text},
                    *({"role": turn["role"], "content": turn["content"]} for turn in turns)]
        return not self.tokenizer.fewer_than(messages, self.max_seq_len)
