"""`labgen cache stats|prune`: see and trim the teacher-answer store."""

from __future__ import annotations

import json
from pathlib import Path

import click

from labgen.cli.common import handle_errors
from labgen.errors import UsageError


def _store_path(target: Path) -> Path:
    """A run's folder (its OUT/.labgen/answers.sqlite) or the store file itself."""
    path = target / ".labgen" / "answers.sqlite" if target.is_dir() else target
    if not path.is_file():
        raise UsageError(f"no answer store at {path}", hint="give a generate --out folder or an answers.sqlite file")
    return path


@click.group()
def cache() -> None:
    """See and trim the teacher-answer store (OUT/.labgen/answers.sqlite)."""


@cache.command("stats")
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@handle_errors
def stats(target: Path, as_json: bool) -> None:
    """Answers stored, tokens they cost, size on disk, per stage and per model."""
    from labgen.store import AnswerStore

    store = AnswerStore(_store_path(target))
    try:
        report = store.stats()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), sort_keys=True))
        return
    click.echo(f"{report.path}: {report.answers} answers, {report.prompt_tokens} prompt + "
               f"{report.completion_tokens} completion tokens, {report.file_bytes / 1e6:.1f} MB")
    for stage, count in report.by_stage.items():
        click.echo(f"  stage {stage}: {count}")
    for model, count in report.by_model.items():
        click.echo(f"  model {model or '(unknown)'}: {count}")


@cache.command("prune")
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option("--unused-days", type=float, default=None, help="Delete answers no run used for this many days.")
@click.option("--model", default=None, help="Delete the answers of this teacher model.")
@handle_errors
def prune(target: Path, unused_days: float | None, model: str | None) -> None:
    """Delete stored answers by age of last use and/or teacher model (a later run asks for them again)."""
    from labgen.store import AnswerStore

    if unused_days is None and model is None:
        raise UsageError("nothing to prune by", hint="give --unused-days N and/or --model NAME")
    store = AnswerStore(_store_path(target))
    try:
        removed = store.prune(unused_for_s=None if unused_days is None else unused_days * 86400, model=model)
    finally:
        store.close()
    click.echo(f"removed {removed} answers")
