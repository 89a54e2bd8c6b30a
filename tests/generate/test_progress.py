"""Progress output: bars on a terminal, one line per finished leaf otherwise, nothing when quiet."""

from __future__ import annotations

import io
from pathlib import Path

from labgen.generate import GenerateConfig, generate
from labgen.generate.progress import BarProgress, LogProgress, QuietProgress, default_progress
from tests.fakes import FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_display_follows_the_stream_and_quiet() -> None:
    assert isinstance(default_progress(quiet=True, stream=Terminal()), QuietProgress)
    assert isinstance(default_progress(quiet=False, stream=Terminal()), BarProgress)
    assert type(default_progress(quiet=False, stream=io.StringIO())) is LogProgress


def test_log_lines_one_per_finished_leaf_with_counts(taxonomy: Path, tmp_path: Path) -> None:
    stream = io.StringIO()
    result = generate(taxonomy, tmp_path / "out", FakeTeacher(responder=plausible_answer),
                      GenerateConfig(dedup=False), progress=LogProgress(stream))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    for leaf in (FREEFORM, GROUNDED, KNOWLEDGE):
        [line] = [x for x in lines if leaf in x]
        assert f"kept {result.leaves[leaf].kept}, rejected {result.leaves[leaf].rejected}" in line
    assert lines[-1].startswith("[3/3]")


def test_bars_show_the_run_total_and_kept_rejected(taxonomy: Path, tmp_path: Path) -> None:
    stream = Terminal()
    generate(taxonomy, tmp_path / "out", FakeTeacher(responder=plausible_answer), GenerateConfig(dedup=False),
             progress=BarProgress(stream))
    text = stream.getvalue()
    assert "run" in text and "3/3" in text and "kept" in text and "rejected" in text
