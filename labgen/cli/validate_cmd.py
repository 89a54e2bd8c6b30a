"""`labgen validate`: print each leaf's problems as text, GitHub annotations or JSON lines."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import click

from labgen.cli.common import handle_errors
from labgen.errors import GitError, UsageError
from labgen.jsonl import dumps
from labgen.taxonomy.leaf import ERROR, WARNING, LeafReport, Problem

FORMATS = ("text", "github", "json")


def _github_escape(text: str, *, prop: bool = False) -> str:
    """Escape a workflow-command value (GitHub's rules: %, CR, LF; and ':' ',' in properties)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def format_problem(report: LeafReport, problem: Problem, style: str) -> str:
    """One problem as a line of text or a GitHub annotation."""
    if style == "github":
        props = [f"file={_github_escape(report.path, prop=True)}"]
        if problem.line is not None:
            props.append(f"line={problem.line}")
        if problem.col is not None:
            props.append(f"col={problem.col}")
        return f"::{problem.severity} {','.join(props)}::{_github_escape(problem.message)}"
    where = report.path
    if problem.line is not None:
        where += f":{problem.line}:{problem.col or 1}"
    return f"{where}: {problem.severity}: {problem.message}"


def report_json(report: LeafReport) -> str:
    return dumps({
        "path": report.path, "kind": report.kind, "version": report.version, "valid": report.valid,
        "problems": [{"line": p.line, "col": p.col, "severity": p.severity, "message": p.message}
                     for p in report.problems],
    })


def summary_line(reports: Sequence[LeafReport]) -> str:
    errors = sum(p.severity == ERROR for r in reports for p in r.problems)
    warnings = sum(p.severity == WARNING for r in reports for p in r.problems)
    invalid = sum(not r.valid for r in reports)
    plural = "leaf" if len(reports) == 1 else "leaves"
    return (f"{len(reports)} {plural} checked, {invalid} invalid: {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}")


def _chosen_format(given: str | None) -> str:
    if given:
        return given
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default=None,
              help="text (default), github (annotations; default when GITHUB_ACTIONS=true) or json lines.")
@click.option("--skip-documents", is_flag=True, help="Do not fetch or read knowledge documents.")
@click.option("--strict", is_flag=True,
              help="Also apply InstructLab's YAML lint rules as ilab does (yamllint relaxed, lines <= 120).")
@click.option("--changed", is_flag=True, help="Check only leaves changed against --base (git).")
@click.option("--base", default="origin/main", show_default=True, help="Git ref that --changed compares with.")
@click.option("--max-seed-tokens", type=click.IntRange(min=1), default=None,
              help="Token budget per seed example (default 1024).")
@click.option("--max-bytes", type=click.IntRange(min=1), default=None,
              help="Size cap of a qna.yaml (default 1 MiB).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where cloned document repositories are kept.")
@handle_errors
def validate(paths: tuple[Path, ...], output_format: str | None, skip_documents: bool, strict: bool, changed: bool,
             base: str, max_seed_tokens: int | None, max_bytes: int | None, cache_dir: Path | None) -> None:
    """Check taxonomy leaves (schema, lint, documents); exit 1 when any leaf has an error.

    Each PATH is a taxonomy folder, a folder inside it, or one qna.yaml.
    """
    from labgen.taxonomy.validate import ValidateOptions
    from labgen.taxonomy.validate import validate as validate_paths

    defaults = ValidateOptions()
    options = ValidateOptions(
        max_seed_tokens=max_seed_tokens or defaults.max_seed_tokens, max_bytes=max_bytes or defaults.max_bytes,
        skip_documents=skip_documents, changed_base=base if changed else None, cache_dir=cache_dir, strict=strict)
    style = _chosen_format(output_format)
    try:
        reports = validate_paths(list(paths), options=options,
                                 on_note=lambda note: click.echo(f"note: {note}", err=True))
    except GitError as error:
        raise UsageError(f"--changed needs git: {error.message}", hint=error.hint) from None
    for report in reports:
        if style == "json":
            click.echo(report_json(report))
            continue
        for problem in report.problems:
            click.echo(format_problem(report, problem, style))
    if not reports:
        where = ", ".join(str(p) for p in paths)
        if changed:
            click.echo(f"no leaves changed against {base} under {where}", err=True)
            return
        message = f"no leaves found under {where}"
        click.echo(f"::error::{message}" if style == "github" else f"error: {message} (no qna.yaml files)",
                   err=style != "github")
        raise click.exceptions.Exit(1)
    click.echo(summary_line(reports), err=True)
    if not all(report.valid for report in reports):
        raise click.exceptions.Exit(1)
