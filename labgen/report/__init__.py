"""The run report: per-leaf and overall counts, reject histograms, distribution entropy, a critic threshold sweep
and one threshold sweep per check or judge score."""

from __future__ import annotations

from labgen.report.html_page import render_html
from labgen.report.score_sweep import ScorePoint, ScoreSweep, ScoreSweepCounter, score_sweeps
from labgen.report.summary import (LEAF_COLUMNS, Distribution, LeafSummary, RunSummary, SweepPoint, summarize_run,
                                  threshold_sweep)
from labgen.report.text import render_text

__all__ = ["Distribution", "LeafSummary", "RunSummary", "ScorePoint", "ScoreSweep", "ScoreSweepCounter",
           "SweepPoint", "render_html", "render_text", "score_sweeps", "summarize_run", "threshold_sweep"]
