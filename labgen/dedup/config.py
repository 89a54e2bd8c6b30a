"""Settings of the dedup and decontamination passes, with the defaults documented in docs/dedup_and_report.md."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from labgen.errors import ConfigError

SHINGLE_MODES = ("auto", "char", "word")


@dataclass(frozen=True)
class DedupConfig:
    """How near is a near-duplicate, and where duplicates are looked for.

    threshold: Jaccard similarity of the shingle sets at or above which a sample is a near-duplicate.
    shingle: "char" (byte k-grams of the normalized text), "word" (word k-grams) or "auto" (char for
    texts of at most short_text_words words, word k-grams for longer ones).
    bands x rows = num_perm MinHash values; the LSH S-curve 1-(1-J^rows)^bands decides which pairs
    are compared at all; every candidate pair is then checked with the exact Jaccard of its shingle sets.
    """

    threshold: float = 0.5
    shingle: str = "auto"
    char_ngram: int = 5
    word_ngram: int = 3
    short_text_words: int = 24
    bands: int = 32
    rows: int = 4
    bucket_neighbors: int = 8  # in a crowded LSH bucket, compare with the first and this many previous members
    across_leaves: bool = True
    against_seeds: bool = True
    seed: int = 1  # seed of the MinHash permutations
    eval_ngram: int = 13  # decontamination: shared word n-gram with an eval item (GPT-3's 13)
    eval_min_words: int = 5  # eval items shorter than eval_ngram count when contained whole, if this long

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"dedup threshold must be in (0, 1], got {self.threshold}",
                              hint="use e.g. --threshold 0.5")
        if self.shingle not in SHINGLE_MODES:
            raise ConfigError(f"unknown shingle mode {self.shingle!r}", hint=f"use one of {', '.join(SHINGLE_MODES)}")
        if not 1 <= self.char_ngram <= 8:
            raise ConfigError(f"char_ngram must be 1..8 bytes, got {self.char_ngram}")
        if self.word_ngram < 1 or self.bands < 1 or self.rows < 1 or self.bucket_neighbors < 1:
            raise ConfigError("word_ngram, bands, rows and bucket_neighbors must be positive")
        if self.eval_ngram < 1 or self.eval_min_words < 1:
            raise ConfigError("eval_ngram and eval_min_words must be positive")

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that a pair of this similarity shares at least one LSH band."""
        return 1.0 - math.pow(1.0 - math.pow(jaccard, self.rows), self.bands)

    def as_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, "shingle": self.shingle, "char_ngram": self.char_ngram,
                "word_ngram": self.word_ngram, "short_text_words": self.short_text_words,
                "bands": self.bands, "rows": self.rows, "bucket_neighbors": self.bucket_neighbors,
                "across_leaves": self.across_leaves, "against_seeds": self.against_seeds, "seed": self.seed,
                "eval_ngram": self.eval_ngram, "eval_min_words": self.eval_min_words}


def dedup_config_from_file(path: Path | None, base: DedupConfig | None = None) -> DedupConfig:
    """Apply the `dedup:` section of a labgen.yaml (None: no file) to a DedupConfig; unknown keys are errors."""
    from dataclasses import fields, replace

    from labgen.config import load_config

    base = base or DedupConfig()
    config_file = load_config(path)
    section = dict(config_file.section("dedup"))
    known = {f.name for f in fields(DedupConfig)}
    for key in section:
        if key not in known:
            raise config_file.error("dedup", key, "unknown setting", hint=f"known: {', '.join(sorted(known))}")
    try:
        return replace(base, **section)
    except ConfigError as exc:
        raise ConfigError(f"dedup: {exc.message}", path=config_file.path, line=config_file.line_of("dedup"),
                          hint=exc.hint) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"dedup: invalid setting: {exc}", path=config_file.path,
                          line=config_file.line_of("dedup")) from None


def dedup_config_from_dict(data: dict[str, object] | None) -> DedupConfig:
    """The DedupConfig a run recorded (run.json "dedup"); settings this version does not know are ignored."""
    from dataclasses import fields

    known = {f.name for f in fields(DedupConfig)}
    return DedupConfig(**{k: v for k, v in (data or {}).items() if k in known})  # type: ignore[arg-type]
