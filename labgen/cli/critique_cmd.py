"""`labgen critique IN.jsonl --out OUT.jsonl`: the critic over any question-answer JSONL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from labgen.cli.common import handle_errors
from labgen.cli.teacher_options import teacher_from_cli, teacher_options


def build_teacher(kwargs: dict[str, Any]) -> Any:
    """The teacher the options name (a seam tests replace with a fake)."""
    return teacher_from_cli(kwargs)


@click.command()
@click.argument("in_path", metavar="IN.jsonl", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the rows with their `critic` key.")
@click.option("--no-teacher", is_flag=True, help="Deterministic checks only: no teacher, no tokens.")
@click.option("--language", default="en", show_default=True,
              help="Expected language of questions and answers (en, fr, de, es, it, pt, nl), or 'none'.")
@click.option("--blocklist", "blocklist_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File of blocked words or phrases, one per line (# starts a comment).")
@click.option("--pair-min-score", type=click.IntRange(1, 3), default=2, show_default=True,
              help="judge_pair keeps ratings at or above this.")
@teacher_options
@handle_errors
def critique(in_path: Path, out_path: Path, no_teacher: bool, language: str, blocklist_file: Path | None,
             pair_min_score: int, **kwargs: Any) -> None:
    """Run the critic over IN.jsonl rows ({"context"?, "question", "answer"}, labgen samples, or chat
    "messages") and write each row back with "critic": {"score", "verdicts"}.

    A row without a question and answer stops the run with its file:line, before any token is spent.
    """
    from labgen.critic.config import CriticConfig
    from labgen.critic.critique import critique_file

    blocklist = ()
    if blocklist_file is not None:
        lines = blocklist_file.read_text(encoding="utf-8").splitlines()
        blocklist = tuple(s.strip() for s in lines if s.strip() and not s.strip().startswith("#"))
    config = CriticConfig(language=None if language.lower() == "none" else language.lower(),
                          blocklist=blocklist, pair_min_score=pair_min_score)
    if config.language is not None:
        from labgen.critic.language import detect_language

        detect_language("", config.language)  # an unknown language fails here, before any work
    teacher = None if no_teacher else build_teacher(kwargs)
    progress = None
    if teacher is not None:
        from tqdm import tqdm

        progress = tqdm(desc="judgments", unit="req", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        summary = critique_file(in_path, out_path, teacher=teacher, config=config,
                                on_judgment=progress.update if progress is not None else None)
    finally:
        if progress is not None:
            progress.close()
        if teacher is not None:
            teacher.close()
    click.echo(f"{summary.rows} rows -> {out_path}: {summary.kept} passed every check, "
               f"mean score {summary.mean_score:.3f}")
    if summary.failures:
        click.echo("failures per check:")
        for check, count in sorted(summary.failures.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {check:<16} {count}")
