"""Checks the JSON Schema does not make: mixed grounding, repeated questions, seed length, file names.

Each check reads the parsed file and returns problems; nothing here changes the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labgen.taxonomy.leaf import BRANCHES, ERROR, KNOWLEDGE, WARNING, Problem
from labgen.taxonomy.loader import LoadedQna
from labgen.taxonomy.schema import render_path
from labgen.tokens import estimate_tokens

LEAF_FILE = "qna.yaml"
DEFAULT_MAX_SEED_TOKENS = 1024


def is_leaf_file_name(name: str) -> bool:
    """qna.yaml, or a misspelling of it that should be renamed (qna.yml, QNA.yaml, Qna.YML...)."""
    return name.lower() in ("qna.yaml", "qna.yml")


def file_name_problems(file: Path) -> list[Problem]:
    if file.name == LEAF_FILE:
        return []
    return [Problem(ERROR, f"the file is named '{file.name}'; rename it to '{LEAF_FILE}' "
                           "(labgen and InstructLab read only that name)", 1, 1)]


def placement_problems(branch: str | None) -> list[Problem]:
    if branch is not None:
        return []
    return [Problem(ERROR, "this leaf is outside the taxonomy's top folders; move it under one of "
                           f"{', '.join(b + '/' for b in BRANCHES)}", 1, 1)]


def read_attribution(leaf_dir: Path) -> bytes | None:
    """attribution.txt's bytes beside a qna.yaml, or None when there is none (or it cannot be read)."""
    try:
        with open(leaf_dir / "attribution.txt", "rb") as handle:
            return handle.read(1024 * 1024)
    except OSError:
        return None


def attribution_problems(attribution: bytes | None) -> list[Problem]:
    if attribution is None:
        return [Problem(WARNING, "no attribution.txt beside qna.yaml; add one naming the source's title, "
                                 "link, revision, license and creator")]
    if not attribution.strip():
        return [Problem(WARNING, "attribution.txt is empty; name the source's title, link, revision, "
                                 "license and creator")]
    return []


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _seed_list(data: dict[str, Any]) -> list[Any]:
    seeds = data.get("seed_examples")
    return seeds if isinstance(seeds, list) else []


def has_context(seed: Any) -> bool:
    """A seed example that carries a non-empty `context` (what makes a skill grounded)."""
    return isinstance(seed, dict) and isinstance(seed.get("context"), str) and bool(seed["context"].strip())


def grounded_majority(seeds: list[Any]) -> bool:
    """A skill is grounded when more than half of its seed examples carry a context."""
    return sum(has_context(s) for s in seeds) * 2 > len(seeds)


def grounding_problems(loaded: LoadedQna) -> list[Problem]:
    """A skill mixing examples with and without `context` is valid (InstructLab accepts it), but generate
    uses only the examples of the majority kind; say which ones it leaves out."""
    seeds = [s for s in _seed_list(loaded.data) if isinstance(s, dict)]
    grounded = [has_context(s) for s in seeds]
    if not seeds or all(grounded) or not any(grounded):
        return []
    majority = grounded_majority(seeds)
    odd = [i for i, g in enumerate(grounded) if g != majority]
    line, col = loaded.position(("seed_examples", odd[0]))
    kind, left_out = ("a grounded skill", "without") if majority else ("a freeform skill", "with")
    listed = ", ".join(f"seed_examples[{i}]" for i in odd)
    return [Problem(WARNING, f"seed examples mix grounded and freeform: {sum(grounded)} of {len(seeds)} have a "
                             f"context, so generate treats the leaf as {kind} and leaves out the "
                             f"{len(odd)} example{'s' * (len(odd) > 1)} {left_out} one ({listed}); give every "
                             "example a context, or none, or split the leaf in two", line, col)]


def repeated_question_problems(loaded: LoadedQna) -> list[Problem]:
    """A freeform skill asking the same question twice (ignoring case and spacing) with different answers
    is valid, as in InstructLab (only identical examples are refused), but worth a look: a warning."""
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for index, seed in enumerate(_seed_list(loaded.data)):
        if not isinstance(seed, dict) or has_context(seed) or not isinstance(seed.get("question"), str):
            continue
        key = _normalised(seed["question"])
        if not key:
            continue
        if key in first_seen:
            line, col = loaded.position(("seed_examples", index, "question"))
            problems.append(Problem(WARNING, f"seed_examples[{index}].question repeats the question of "
                                             f"seed_examples[{first_seen[key]}] with another answer; the teacher "
                                             "sees the same instruction twice (fine if intended)", line, col))
        else:
            first_seen[key] = index
    return problems


def _seed_text(seed: dict[str, Any]) -> str:
    parts = [seed.get("context"), seed.get("question"), seed.get("answer")]
    pairs = seed.get("questions_and_answers")
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, dict):
            parts += [pair.get("question"), pair.get("answer")]
    return "\n".join(p for p in parts if isinstance(p, str))


_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _token_ceiling(text: str) -> int:
    """A cheap upper bound of estimate_tokens(text), so most seeds skip the exact count.

    Runs of ASCII letters cost ceil(len/4) and there are at most (non-letters + 1) runs; any other
    character costs at most 1 token if ASCII, 3 if not (and each non-ASCII character adds >= 1 UTF-8 byte).
    """
    data = text.encode("utf-8")
    letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    non_letters = len(text) - letters
    return letters // 4 + (7 * non_letters) // 4 + 2 * (len(data) - len(text)) + 2


def seed_length_problems(loaded: LoadedQna, max_tokens: int) -> list[Problem]:
    """A warning for a seed example over the prompt budget (the format allows it; prompts may not fit)."""
    problems: list[Problem] = []
    for index, seed in enumerate(_seed_list(loaded.data)):
        if not isinstance(seed, dict):
            continue
        text = _seed_text(seed)
        if _token_ceiling(text) <= max_tokens:
            continue
        tokens = estimate_tokens(text)
        if tokens > max_tokens:
            line, col = loaded.position(("seed_examples", index))
            problems.append(Problem(WARNING, f"seed_examples[{index}] is about {tokens} tokens, over the "
                                             f"{max_tokens}-token budget per seed example, so prompts built on it "
                                             "may not fit the teacher; shorten it (or raise --max-seed-tokens)",
                                    line, col))
    return problems


def few_seeds_problems(loaded: LoadedQna, version: int | None) -> list[Problem]:
    """Version 1 allowed fewer than five examples; generation wants five, so say so."""
    seeds = _seed_list(loaded.data)
    if version == 1 and 0 < len(seeds) < 5:
        line, col = loaded.position(("seed_examples",))
        plural = "s" * (len(seeds) > 1)
        return [Problem(WARNING, f"only {len(seeds)} seed example{plural}; newer versions need at least 5 "
                                 "(add more and move to version 3)", line, col)]
    return []


def lint_problems(loaded: LoadedQna, branch: str | None, version: int | None, *,
                  max_seed_tokens: int = DEFAULT_MAX_SEED_TOKENS) -> list[Problem]:
    """Every content lint of one parsed qna.yaml (file name, placement and attribution are separate)."""
    knowledge = (branch == KNOWLEDGE) if branch else "document" in loaded.data
    problems: list[Problem] = []
    if not knowledge:
        problems += grounding_problems(loaded)
        problems += repeated_question_problems(loaded)
    problems += seed_length_problems(loaded, max_seed_tokens)
    problems += few_seeds_problems(loaded, version)
    return problems
