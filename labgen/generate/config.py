"""GenerateConfig: how much to generate, with which sampling parameters, and per-leaf overrides.

Scale is explicit: the same stages run against every teacher; only these numbers change. The defaults are
the small out-of-the-box scale (one work unit per leaf of the example taxonomy, one round, so the embedded
teacher finishes in minutes on 2 cores); production runs raise them, e.g. --target-per-seed 20 --max-rounds 3.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from labgen.critic.config import DEFAULT_CONFIG as DEFAULT_CRITIC
from labgen.critic.config import CriticConfig
from labgen.errors import ConfigError
from labgen.teachers.base import ListFormat, SamplingParams

GENERATION_STAGES = ("freeform_instructions", "freeform_response", "grounded_contexts", "grounded_questions",
                     "grounded_response", "knowledge_qa_short", "knowledge_qa_long")

# (temperature, max_tokens) per generation stage: diverse generation, steadier answers.
DEFAULT_STAGE_PARAMS: dict[str, tuple[float, int]] = {
    "freeform_instructions": (0.9, 256),
    "freeform_response": (0.7, 256),
    "grounded_contexts": (0.9, 320),
    "grounded_questions": (0.8, 160),
    "grounded_response": (0.7, 256),
    "knowledge_qa_short": (0.7, 320),
    "knowledge_qa_long": (0.7, 448),
}

# The item format each list-writing stage's prompt asks for, as (labelled fields, most characters per
# line): a backend that can constrain decoding (the embedded one, with a grammar) enforces it, so every
# item parses and no answer runs past the count asked for.
LIST_STAGES: dict[str, tuple[tuple[str, ...], int]] = {
    "freeform_instructions": ((), 400),
    "grounded_questions": ((), 400),
    "knowledge_qa_short": (("Question", "Answer"), 400),
    "knowledge_qa_long": (("Question", "Answer"), 1200),
}

# Settings a per-leaf override may change.
LEAF_SETTINGS = ("target_per_seed", "per_request", "max_rounds", "contexts_per_round", "questions_per_context")


@dataclass(frozen=True)
class LeafScale:
    """How much to generate for one leaf."""

    target_per_seed: float  # kept samples wanted per seed example of the leaf
    per_request: int  # items asked of one generation request (instructions, questions, Q&A pairs)
    max_rounds: int  # generation rounds a work unit may run before it gives up on its target
    contexts_per_round: int  # grounded skills: new contexts per round
    questions_per_context: int  # grounded skills: questions asked per context

    def __post_init__(self) -> None:
        # Part of every unit's address: 3 from labgen.yaml and 3.0 from --target-per-seed are one scale.
        object.__setattr__(self, "target_per_seed", float(self.target_per_seed))


@dataclass(frozen=True)
class GenerateConfig:
    seed: int = 42
    target_per_seed: float = 0.5
    per_request: int = 5
    max_rounds: int = 4  # the request cap: rounds a unit may run to reach its target
    contexts_per_round: int = 1
    questions_per_context: int = 3
    max_units_per_leaf: int | None = None  # hard cap on units of a leaf, whatever the target
    prompt_seeds: int = 10  # seed examples shown in one prompt (fewer when the context window is small)
    answer_styles: tuple[str, ...] = ("short", "long")  # knowledge answers, the paper's two knowledge steps
    chunk_tokens: int = 700  # at most this many tokens of document per chunk (less when the window is small)
    chunk_overlap_tokens: int = 64
    context_window: int | None = None  # None: the teacher's own (`teacher.context_window`), else 4096
    stage_params: tuple[tuple[str, float, int], ...] = tuple((s, t, m) for s, (t, m) in DEFAULT_STAGE_PARAMS.items())
    system_prompt: str = "You are a helpful, accurate assistant."
    # Judges read verdicts from text by default; token probabilities (--judge-logprobs) are cheap on vLLM but
    # make llama.cpp about 7x slower, which the out-of-the-box run cannot afford.
    critic: CriticConfig = DEFAULT_CRITIC.with_overrides(judge_logprobs=False)
    leaf_overrides: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # (leaf glob, settings)
    max_active_units: int | None = None  # None: 3/4 of the teacher's in-flight limit (at least 1)
    # Candidates' checks and top-up dedup in a second process (check_process.py), where they do not hold up
    # the requests; None: when this process may use two cores or more and the teacher is not the embedded
    # one. Same output either way.
    check_process: bool | None = None
    dedup: bool = True
    decontaminate: tuple[str, ...] = ()
    abort_after_failures: int = 16  # this many teacher failures in a row, with no success yet, stop the run

    def sampling(self, stage: str, *, seed: int | None = None, count: int | None = None) -> SamplingParams:
        """The stage's sampling parameters; with `count`, a list stage's ListFormat of that many items."""
        list_format = None
        if count and stage in LIST_STAGES:
            fields, item_chars = LIST_STAGES[stage]
            list_format = ListFormat(count=count, fields=fields, item_chars=item_chars)
        for name, temperature, max_tokens in self.stage_params:
            if name == stage:
                return SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed,
                                      output_format=list_format)
        raise ConfigError(f"no sampling parameters for stage {stage!r}")

    def leaf_scale(self, leaf_path: str) -> LeafScale:
        """This leaf's scale: the run's settings, then every matching override in order."""
        values = {name: getattr(self, name) for name in LEAF_SETTINGS}
        for pattern, settings in self.leaf_overrides:
            if fnmatch.fnmatchcase(leaf_path, pattern) or fnmatch.fnmatchcase(leaf_path, pattern.rstrip("/") + "/*"):
                values.update(dict(settings))
        return LeafScale(**values)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes what a unit generates (part of each unit's content address)."""
        return {"stage_params": [list(p) for p in self.stage_params], "system_prompt": self.system_prompt,
                "prompt_seeds": self.prompt_seeds, "answer_styles": list(self.answer_styles),
                "chunk_tokens": self.chunk_tokens, "chunk_overlap_tokens": self.chunk_overlap_tokens,
                "critic": {f.name: getattr(self.critic, f.name) for f in fields(self.critic)}}

    def as_dict(self) -> dict[str, Any]:
        """The parameters recorded in run.json."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "critic"}
        out["stage_params"] = {s: {"temperature": t, "max_tokens": m} for s, t, m in self.stage_params}
        out["leaf_overrides"] = {p: dict(s) for p, s in self.leaf_overrides}
        out["critic"] = {f.name: getattr(self.critic, f.name) for f in fields(self.critic)}
        return out

    def with_max_tokens(self, overrides: dict[str, int]) -> GenerateConfig:
        unknown = sorted(set(overrides) - set(GENERATION_STAGES))
        if unknown:
            raise ConfigError(f"unknown generation stages {unknown}", hint=f"stages: {', '.join(GENERATION_STAGES)}")
        params = tuple((s, t, overrides.get(s, m)) for s, t, m in self.stage_params)
        return replace(self, stage_params=params)

    def validated(self) -> GenerateConfig:
        for name in ("per_request", "max_rounds", "contexts_per_round", "questions_per_context", "prompt_seeds",
                     "chunk_tokens"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"generate setting {name} must be at least 1, got {getattr(self, name)}")
        if self.check_process not in (None, True, False):
            raise ConfigError(f"check_process must be true, false or null (automatic), got {self.check_process!r}")
        if self.target_per_seed <= 0:
            raise ConfigError(f"target_per_seed must be positive, got {self.target_per_seed}")
        if self.chunk_overlap_tokens < 0 or self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ConfigError("chunk_overlap_tokens must be >= 0 and smaller than chunk_tokens")
        bad_styles = set(self.answer_styles) - {"short", "long"}
        if bad_styles or not self.answer_styles:
            raise ConfigError(f"answer_styles must be a non-empty subset of short, long; got {list(self.answer_styles)}")
        for pattern, settings in self.leaf_overrides:
            unknown = sorted(set(dict(settings)) - set(LEAF_SETTINGS))
            if unknown:
                raise ConfigError(f"generate.leaves[{pattern!r}]: unknown settings {unknown}",
                                  hint=f"per-leaf settings: {', '.join(LEAF_SETTINGS)}")
        return self


_FILE_KEYS = {"seed", "target_per_seed", "per_request", "max_rounds", "contexts_per_round", "questions_per_context",
              "max_units_per_leaf", "prompt_seeds", "answer_styles", "chunk_tokens", "chunk_overlap_tokens",
              "context_window", "system_prompt", "max_active_units", "check_process", "max_tokens", "leaves",
              "critic"}


# The embedded teacher's defaults (others: GenerateConfig's). Its out-of-the-box run is a demo on a CPU,
# where prompt evaluation is most of the time: one round per unit, and 3 seed examples per prompt, which
# cut the main job's prompt tokens evaluated by 15% and its generated tokens by 23% (docs/teachers.md).
EMBEDDED_MAX_ROUNDS = 1
EMBEDDED_PROMPT_SEEDS = 3


def teacher_defaults(backend: str) -> GenerateConfig | None:
    """The defaults a teacher backend starts from before labgen.yaml and the command line (None: GenerateConfig's)."""
    if backend == "local":
        return GenerateConfig(max_rounds=EMBEDDED_MAX_ROUNDS, prompt_seeds=EMBEDDED_PROMPT_SEEDS)
    return None


def config_from_file(path: Path | None, base: GenerateConfig | None = None) -> GenerateConfig:
    """Apply the `generate:` section of a labgen.yaml (None: no file) to a GenerateConfig; unknown keys are errors."""
    from labgen.config import load_config

    base = base or GenerateConfig()
    config_file = load_config(path)
    section = dict(config_file.section("generate"))
    for key in section:
        if key not in _FILE_KEYS:
            raise config_file.error("generate", key, "unknown setting", hint=f"known: {', '.join(sorted(_FILE_KEYS))}")
    changes: dict[str, Any] = {k: v for k, v in section.items() if k not in ("max_tokens", "leaves", "critic")}
    if "answer_styles" in changes:
        changes["answer_styles"] = tuple(changes["answer_styles"])
    leaves = section.get("leaves") or {}
    if not isinstance(leaves, dict) or not all(isinstance(v, dict) for v in leaves.values()):
        raise config_file.error("generate", "leaves", "must map leaf globs to settings",
                                hint='e.g. leaves: {"knowledge/science/*": {target_per_seed: 4}}')
    changes["leaf_overrides"] = base.leaf_overrides + tuple(
        (str(pattern), tuple(sorted(settings.items()))) for pattern, settings in leaves.items())
    try:
        config = replace(base, **changes)
        if section.get("critic"):
            config = replace(config, critic=config.critic.with_overrides(**section["critic"]))
        if section.get("max_tokens"):
            config = config.with_max_tokens({str(k): int(v) for k, v in section["max_tokens"].items()})
        return config.validated()
    except ConfigError as exc:
        raise ConfigError(f"generate: {exc.message}", path=config_file.path,
                          line=config_file.line_of("generate"), hint=exc.hint) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"generate: invalid setting: {exc}", path=config_file.path,
                          line=config_file.line_of("generate")) from None
