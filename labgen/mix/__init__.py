"""The replay-buffer scheduler: phased training files from the samples of a run (`labgen mix`)."""

from __future__ import annotations

from labgen.mix.mixer import MANIFEST_FILE, MixResult, PhaseResult, mix
from labgen.mix.recipe import Recipe, load_recipe, parse_recipe, shipped_recipes
from labgen.mix.tokenizer import ChatTokenizer, load_tokenizer
from labgen.mix.training_rows import conformance_problem

__all__ = ["MANIFEST_FILE", "ChatTokenizer", "MixResult", "PhaseResult", "Recipe", "conformance_problem",
           "load_recipe", "load_tokenizer", "mix", "parse_recipe", "shipped_recipes"]
