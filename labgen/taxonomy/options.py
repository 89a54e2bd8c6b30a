"""The knobs of loading and validating a taxonomy, in one frozen record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labgen.taxonomy.lint import DEFAULT_MAX_SEED_TOKENS
from labgen.taxonomy.loader import DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class ValidateOptions:
    """max_seed_tokens: prompt budget per seed example; max_bytes: size cap of a qna.yaml;
    skip_documents: do not resolve knowledge documents; changed_base: validate only leaves changed
    against this git ref; cache_dir: where fetched document repositories are kept; strict: also apply
    InstructLab's YAML lint rules (yamllint, as `ilab` runs it)."""

    max_seed_tokens: int = DEFAULT_MAX_SEED_TOKENS
    max_bytes: int = DEFAULT_MAX_BYTES
    skip_documents: bool = False
    changed_base: str | None = None
    cache_dir: Path | None = None
    strict: bool = False
