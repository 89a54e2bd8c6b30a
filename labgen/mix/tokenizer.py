"""Real token counts for the length guard, from a local tokenizer file; nothing is downloaded.

A count is what the trainers compute: the chat template applied to the whole messages list, then
tokenized with special tokens recognised in the text and none added around it (transformers'
`apply_chat_template(messages, tokenize=True)`, which instructlab-training and TRL call).

Two kinds of file are read:
- a GGUF model file: its vocabulary, merges and chat template are read with the `gguf` package and
  rebuilt as a `tokenizers` byte-level BPE (independent of any llama.cpp runtime);
- a Hugging Face `tokenizer.json`, with the chat template from the `tokenizer_config.json` beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from labgen.errors import ConfigError

_INSTALL_HINT = "install the tokenizer extra: pip install 'labgen[tokenizer]'"
# llama.cpp's token types that stand for one special token in text (CONTROL, USER_DEFINED).
_SPECIAL_TOKEN_TYPES = (3, 4)
# GGUF pre-tokenizer names whose splitting is the byte-level regex, with digits split one by one or not.
_BYTE_LEVEL_PRE = {"smollm": True, "gpt2": False, "default": False}


@dataclass(frozen=True)
class ChatTokenizer:
    """Counts a conversation's tokens the way a trainer does: template, then tokenizer."""

    name: str
    count_text: Callable[[str], int]
    template: Any  # a compiled jinja2 template
    bos_token: str = ""
    eos_token: str = ""
    backend: Any = field(default=None, compare=False, repr=False)  # the tokenizers.Tokenizer
    # A byte-level BPE gives every token (special ones included) at least one byte of the text, so a
    # text of fewer bytes than a limit needs no tokenizing to know it is under it.
    byte_level: bool = False

    def render(self, messages: Sequence[dict[str, Any]]) -> str:
        return str(self.template.render(messages=list(messages), bos_token=self.bos_token,
                                        eos_token=self.eos_token, add_generation_prompt=False))

    def count(self, messages: Sequence[dict[str, Any]]) -> int:
        return self.count_text(self.render(messages))

    def fewer_than(self, messages: Sequence[dict[str, Any]], limit: int) -> bool:
        """Whether count(messages) < limit, without tokenizing when the byte length already says so."""
        text = self.render(messages)
        if self.byte_level and len(text.encode("utf-8")) < limit:
            return True
        return self.count_text(text) < limit


def load_tokenizer(path: str | Path) -> ChatTokenizer:
    """A ChatTokenizer from a `.gguf` file or a `tokenizer.json` (chat template beside it)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("tokenizer file not found", path=path,
                          hint="pass a .gguf model file or a Hugging Face tokenizer.json")
    if path.suffix == ".gguf":
        return _from_gguf(path)
    if path.suffix == ".json":
        return _from_tokenizer_json(path)
    raise ConfigError("unknown tokenizer file type", path=path,
                      hint="pass a .gguf model file or a Hugging Face tokenizer.json")


def _from_gguf(path: Path) -> ChatTokenizer:
    try:
        import gguf
        from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    except ImportError:
        raise ConfigError("reading a GGUF tokenizer needs the gguf and tokenizers packages", path=path,
                          hint=_INSTALL_HINT) from None
    try:
        reader = gguf.GGUFReader(str(path))
    except (ValueError, OSError) as exc:
        raise ConfigError(f"not a readable GGUF file ({exc})", path=path) from None
    fields = reader.fields

    def value(key: str) -> Any:
        field = fields.get(key)
        return None if field is None else field.contents()

    model, pre = value("tokenizer.ggml.model"), value("tokenizer.ggml.pre") or "default"
    if model != "gpt2" or pre not in _BYTE_LEVEL_PRE:
        raise ConfigError(f"this GGUF's tokenizer (model {model!r}, pre-tokenizer {pre!r}) is not one labgen "
                          "rebuilds", path=path, hint="pass the model's tokenizer.json instead")
    tokens: list[str] = value("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in value("tokenizer.ggml.merges") or []]
    template_text = value("tokenizer.chat_template")
    if not template_text:
        raise ConfigError("this GGUF file has no chat template (tokenizer.chat_template)", path=path,
                          hint="pass the model's tokenizer.json with its tokenizer_config.json")
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.pre_tokenizer = (pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                        byte_level])
                               if _BYTE_LEVEL_PRE[pre] else byte_level)
    types = value("tokenizer.ggml.token_type") or []
    tokenizer.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                                  for i, kind in enumerate(types) if kind in _SPECIAL_TOKEN_TYPES])

    def token(key: str) -> str:
        index = value(key)
        return tokens[index] if isinstance(index, int) and 0 <= index < len(tokens) else ""

    return ChatTokenizer(name=path.name, count_text=_counter(tokenizer, _bytes_without_token(tokens)),
                         template=_compile_template(template_text, path),
                         bos_token=token("tokenizer.ggml.bos_token_id"),
                         eos_token=token("tokenizer.ggml.eos_token_id"), backend=tokenizer, byte_level=True)


def _from_tokenizer_json(path: Path) -> ChatTokenizer:
    import json

    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ConfigError("reading tokenizer.json needs the tokenizers package", path=path,
                          hint=_INSTALL_HINT) from None
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the library raises a bare Exception for a malformed file
        raise ConfigError(f"not a readable tokenizer.json ({exc})", path=path) from None
    config_path = path.with_name("tokenizer_config.json")
    hint = "put the model's tokenizer_config.json (which holds chat_template) beside tokenizer.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError("no readable tokenizer_config.json beside the tokenizer", path=config_path,
                          hint=hint) from None
    template_text = config.get("chat_template") if isinstance(config, dict) else None
    if isinstance(template_text, list):  # named templates: the default one
        template_text = next((t.get("template") for t in template_text
                              if isinstance(t, dict) and t.get("name") == "default"), None)
    if not isinstance(template_text, str) or not template_text:
        raise ConfigError("tokenizer_config.json has no chat_template", path=config_path, hint=hint)
    return ChatTokenizer(name=path.name, count_text=_counter(tokenizer),
                         template=_compile_template(template_text, config_path),
                         bos_token=_token_text(config.get("bos_token")),
                         eos_token=_token_text(config.get("eos_token")), backend=tokenizer,
                         byte_level=_is_byte_level_bpe(tokenizer))


def _is_byte_level_bpe(tokenizer: Any) -> bool:
    """A BPE over bytes with no normalizer (which could lengthen the text before it is split)."""
    import json

    spec = json.loads(tokenizer.to_str())
    return (spec.get("normalizer") is None and (spec.get("model") or {}).get("type") == "BPE"
            and '"ByteLevel"' in json.dumps(spec.get("pre_tokenizer")))


def _token_text(entry: Any) -> str:
    if isinstance(entry, dict):
        entry = entry.get("content")
    return entry if isinstance(entry, str) else ""


def _byte_level_chars() -> dict[int, str]:
    """GPT-2's byte-level alphabet: the character each byte is written as in a byte-level BPE vocabulary."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("\xa1"), ord("\xac") + 1), *range(ord("\xae"), 256)]
    chars, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            chars[byte] = chr(byte)
        else:
            chars[byte] = chr(256 + extra)
            extra += 1
    return chars


def _bytes_without_token(tokens: Sequence[str]) -> str:
    """The ASCII characters whose byte has no token of its own: llama.cpp drops them, and the text on either
    side is tokenized apart (":\x16:" is two ":" tokens), where the tokenizers library would merge it."""
    vocab = set(tokens)
    return "".join(chr(byte) for byte, char in _byte_level_chars().items() if byte < 128 and char not in vocab)


def _counter(tokenizer: Any, split_at: str = "") -> Callable[[str], int]:
    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)
    if not split_at:
        return count
    pattern = re.compile(f"[{re.escape(split_at)}]")

    def count_apart(text: str) -> int:
        if pattern.search(text) is None:
            return count(text)
        return sum(count(piece) for piece in pattern.split(text) if piece)
    return count_apart


def _tojson(value: Any, indent: int | None = None) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=indent)


def _compile_template(text: str, origin: Path) -> Any:
    """The chat template in a sandbox, with the helpers transformers gives templates."""
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    # Chat templates are written for jinja's default Undefined (they test `is defined`), so the
    # prompts' StrictUndefined environment does not apply here.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)  # noqa: S701 (not HTML)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    env.filters["tojson"] = _tojson
    try:
        return env.from_string(text)
    except TemplateError as exc:
        raise ConfigError(f"the chat template does not compile ({exc})", path=origin) from None
