"""`labgen diff`: list the taxonomy leaves changed against a git base."""

from __future__ import annotations

import json
from pathlib import Path

import click

from labgen.cli.common import handle_errors


@click.command("diff")
@click.option("--base", default="origin/main", show_default=True, metavar="REF",
              help="Git ref to diff against (its merge-base with HEAD); 'empty' lists every leaf.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: 'status<TAB>path' lines; json: one object per line.")
@click.argument("taxonomy", type=click.Path(exists=True, file_okay=False, path_type=Path))
@handle_errors
def diff(base: str, output_format: str, taxonomy: Path) -> None:
    """List leaves of TAXONOMY changed since the merge-base with REF: committed, staged, unstaged, untracked."""
    from labgen.taxonomy.diff import RENAMED, changed_leaves

    result = changed_leaves(taxonomy, base=base)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for change in result.changes:
        if output_format == "json":
            row = {"path": change.path, "status": change.status}
            if change.old_path is not None:
                row["old_path"] = change.old_path
            click.echo(json.dumps(row, ensure_ascii=False))
        elif change.status == RENAMED:
            click.echo(f"{change.status}\t{change.old_path} -> {change.path}")
        else:
            click.echo(f"{change.status}\t{change.path}")
