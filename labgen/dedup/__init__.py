"""Dedup and decontamination of generated samples: exact, MinHash LSH near-duplicates, seeds, eval sets."""

from __future__ import annotations

from labgen.dedup.config import DedupConfig
from labgen.dedup.decontaminate import Contamination, ContaminationIndex, EvalItem, load_eval_items
from labgen.dedup.find import find_duplicates
from labgen.dedup.index import NearDupIndex
from labgen.dedup.items import DedupItem, Match, SeedText
from labgen.dedup.normalize import normalize_text
from labgen.dedup.run_dedup import DedupReport, LeafDedup, dedup_run
from labgen.dedup.seeds import seeds_from_leaves
from labgen.dedup.write_back import Removal

__all__ = ["Contamination", "ContaminationIndex", "DedupConfig", "DedupItem", "DedupReport", "EvalItem",
           "LeafDedup", "Match", "NearDupIndex", "Removal", "SeedText", "dedup_run", "find_duplicates",
           "load_eval_items", "normalize_text", "seeds_from_leaves"]
