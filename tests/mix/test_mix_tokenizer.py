"""`--tokenizer`: SmolLM2's GGUF tokenizer rebuilt without llama.cpp counts exactly as llama.cpp does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from real_tokenizers import llama_cpp_vocab, smollm2
from test_mix_token_bound import ADVERSARIAL_EXAMPLES, adversarial

from labgen.errors import ConfigError
from labgen.mix.tokenizer import load_tokenizer

DEV_LEAVES = Path(__file__).resolve().parents[3] / "shared" / "data" / "real_taxonomy_dev" / "files"
CONVERSATION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "| a | b |\n|---|---|"},
                {"role": "assistant", "content": "Two  columns,\n\n 12 345 rows 🎉."}]


def _llama_cpp_count(text: str) -> int:
    vocab = llama_cpp_vocab()
    return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))


needs_llama_cpp = pytest.mark.skipif(llama_cpp_vocab() is None, reason="the llama.cpp runtime (xllamacpp) is not installed")


@needs_llama_cpp
@settings(max_examples=200, deadline=None)
@given(text=adversarial)
def test_the_rebuilt_gguf_tokenizer_counts_as_llama_cpp_does(text: str) -> None:
    assert smollm2().count_text(text) == _llama_cpp_count(text)


@needs_llama_cpp
def test_the_rebuilt_gguf_tokenizer_on_real_leaves_and_templated_rows() -> None:
    texts = list(ADVERSARIAL_EXAMPLES) + [smollm2().render(CONVERSATION)]
    files = sorted(DEV_LEAVES.glob("*/**/qna.yaml"))[:150] if DEV_LEAVES.is_dir() else []
    texts += [f.read_text(encoding="utf-8", errors="replace") for f in files]
    mismatched = [t[:80] for t in texts if smollm2().count_text(t) != _llama_cpp_count(t)]
    assert mismatched == []
    # Special tokens in the template are one token each, as the trainer's tokenizer reads them.
    rendered = smollm2().render(CONVERSATION)
    assert rendered.startswith("<|im_start|>system\nBe brief.<|im_end|>\n")
    assert smollm2().count(CONVERSATION) == _llama_cpp_count(rendered)


def test_a_tokenizer_json_with_its_config_counts_the_same(tmp_path: Path) -> None:
    smollm2().backend.save(str(tmp_path / "tokenizer.json"))
    template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(
        {"chat_template": template, "eos_token": {"content": "<|im_end|>"}}), encoding="utf-8")
    from_json = load_tokenizer(tmp_path / "tokenizer.json")
    assert from_json.count(CONVERSATION) == smollm2().count(CONVERSATION)
    assert from_json.byte_level and smollm2().byte_level
    assert from_json.eos_token == "<|im_end|>"


def test_unusable_tokenizer_files_are_config_errors_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_tokenizer(tmp_path / "missing.gguf")
    (tmp_path / "vocab.txt").write_text("a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown tokenizer file type") as caught:
        load_tokenizer(tmp_path / "vocab.txt")
    assert caught.value.path == str(tmp_path / "vocab.txt")
    smollm2().backend.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(ConfigError, match="tokenizer_config.json") as caught:
        load_tokenizer(tmp_path / "tokenizer.json")
    assert caught.value.hint and "chat_template" in caught.value.hint
    (tmp_path / "broken.gguf").write_bytes(b"not a gguf file")
    with pytest.raises(ConfigError, match="GGUF"):
        load_tokenizer(tmp_path / "broken.gguf")


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(adversarial, min_size=2, max_size=2), limit=st.integers(min_value=1, max_value=400))
def test_the_byte_shortcut_decides_as_the_exact_count(texts: list[str], limit: int) -> None:
    messages = [{"role": "system", "content": "S."}, {"role": "user", "content": texts[0]},
                {"role": "assistant", "content": texts[1]}]
    assert smollm2().fewer_than(messages, limit) == (smollm2().count(messages) < limit)
