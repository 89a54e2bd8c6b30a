"""Dedup and decontamination of generated samples: exact, MinHash LSH near-duplicates, seeds, eval sets."""

from __future__ import annotations

from labgen.dedup.config import DedupConfig
from labgen.dedup.decontaminate import Contamination, ContaminationIndex, EvalItem, load_eval_items
from labgen.dedup.find import find_duplicates
from labgen.dedup.index import NearDupIndex
from labgen.dedup.items import DedupItem, Match, SeedText
from labgen.dedup.normalize import normalize_text
from labgen.dedup.run_dedup import DedupReport, Findings, LeafDedup, Removal, dedup_run, find_removals
from labgen.dedup.seeds import seeds_from_leaves

__all__ = ["Contamination", "ContaminationIndex", "DedupConfig", "DedupItem", "DedupReport", "EvalItem",
           "Findings", "LeafDedup", "Match", "NearDupIndex", "Removal", "SeedText", "dedup_run", "find_duplicates",
           "find_removals", "load_eval_items", "normalize_text", "seeds_from_leaves"]
