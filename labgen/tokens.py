"""Token counts without a tokenizer download: a typical estimate, and a proven upper bound.

Real tokenizers (Mixtral's, SmolLM2's) come from a model hub, which labgen never reaches at run time.

`estimate_tokens` counts word pieces of up to four characters and every punctuation mark: near what
BPE tokenizers of Llama/Mistral families give for English prose, for budgets (prompt sizes, chunking,
spend). It is NOT a bound: runs of whitespace, newlines, rare words and tables can take more tokens.

`token_upper_bound` never under-counts (labgen mix's length guard uses it). The proof: a byte-level
BPE (GPT-2, Llama 3, SmolLM2, Granite, Mistral's tekken) gives every token at least one byte of the
UTF-8 text, and a SentencePiece model with byte fallback (Llama 2, Mistral, Mixtral) gives every
token at least one character (or, falling back, one byte) of the text plus the one `▁` it prefixes;
so no text takes more tokens than it has UTF-8 bytes, plus one. A chat template adds its own text
and special tokens around each message; the bound allows `TEMPLATE_TOKENS_PER_MESSAGE` per message
and `TEMPLATE_TOKENS_PER_CONVERSATION` once, which covers ChatML (SmolLM2, Qwen: 5 per message),
Mistral's `[INST]` (about 6), Granite 3 and Llama 3 (5 per message, plus Llama 3.1's date header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PIECE = re.compile(r"[A-Za-z]+|\d|[^\sA-Za-z\d]", re.UNICODE)
_MESSAGE_OVERHEAD = 4  # role markers and separators of a chat template, per message

TEMPLATE_TOKENS_PER_MESSAGE = 16
TEMPLATE_TOKENS_PER_CONVERSATION = 96


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


def token_upper_bound(text: str) -> int:
    """At least as many tokens as any byte-level BPE or SentencePiece tokenizer gives `text` (its
    UTF-8 length; the one SentencePiece prefix is in the per-conversation allowance)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def message_token_upper_bound(messages: Iterable[dict[str, str]]) -> int:
    """At least the tokens of the chat-templated conversation (see the module docstring)."""
    return TEMPLATE_TOKENS_PER_CONVERSATION + sum(
        token_upper_bound(m.get("content") or "") + TEMPLATE_TOKENS_PER_MESSAGE for m in messages)
