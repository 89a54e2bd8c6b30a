"""`labgen generate`: LAB-style synthetic data for every leaf of a taxonomy (see docs/generate.md)."""

from __future__ import annotations

from labgen.generate.config import GenerateConfig
from labgen.generate.runner import GenerateResult, generate

__all__ = ["GenerateConfig", "GenerateResult", "generate"]
