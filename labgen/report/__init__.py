"""The run report: per-leaf and overall counts, reject histograms, distribution entropy, a critic threshold sweep."""

from __future__ import annotations

from labgen.report.html_page import render_html
from labgen.report.summary import (LEAF_COLUMNS, Distribution, LeafSummary, RunSummary, SweepPoint, summarize_run,
                                  threshold_sweep)
from labgen.report.text import render_text

__all__ = ["Distribution", "LeafSummary", "RunSummary", "SweepPoint", "render_html", "render_text", "summarize_run",
           "threshold_sweep"]
