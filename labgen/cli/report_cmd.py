"""`labgen report OUT`: the run's summary as terminal tables, and optionally as one HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from labgen.cli.common import handle_errors


@click.command("report")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a self-contained HTML page with charts to this file.")
@click.option("--steps", type=click.IntRange(2, 101), default=21, show_default=True,
              help="Thresholds of the critic-score sweep, from 0 to 1.")
@click.option("--score-steps", type=click.IntRange(2, 101), default=11, show_default=True,
              help="Thresholds of each check's and judge's own score sweep, from 0 to 1 (plus the configured one).")
@handle_errors
def report(out_dir: Path, html_file: Path | None, steps: int, score_steps: int) -> None:
    """Summarise the run in OUT_DIR: counts, rejects, distribution, tokens, threshold sweeps."""
    from labgen.jsonl import write_text_atomic
    from labgen.report import render_html, render_text, summarize_run

    summary = summarize_run(out_dir, sweep_steps=steps, score_steps=score_steps)
    click.echo(render_text(summary), nl=False)
    if html_file is not None:
        write_text_atomic(html_file, render_html(summary))
        click.echo(f"HTML report written to {html_file}")
