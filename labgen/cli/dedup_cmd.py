"""`labgen dedup OUT`: exact and near-duplicate removal (and decontamination) over a run directory."""

from __future__ import annotations

from pathlib import Path

import click

from labgen.cli.common import handle_errors


@click.command("dedup")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--threshold", type=float, default=None, help="Jaccard similarity of a near-duplicate (default 0.5).")
@click.option("--decontaminate", "eval_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Evaluation JSONL ({\"text\"} or {\"messages\"} rows); samples overlapping an item are removed. Repeatable.")
@click.option("--shingle", type=click.Choice(["auto", "char", "word"]), default=None,
              help="Shingles: char 5-grams, word 3-grams, or auto (char for short texts).")
@click.option("--within-leaf-only", is_flag=True, help="Do not compare samples of different leaves.")
@click.option("--no-seeds", is_flag=True, help="Do not compare samples with their leaf's seed examples.")
@handle_errors
def dedup(out_dir: Path, threshold: float | None, eval_files: tuple[Path, ...], shingle: str | None,
          within_leaf_only: bool, no_seeds: bool) -> None:
    """Remove duplicate samples of the run in OUT_DIR; they move to each leaf's rejects.jsonl."""
    from labgen.dedup import DedupConfig, dedup_run, load_eval_items
    from labgen.errors import OutputError

    defaults = DedupConfig()
    config = DedupConfig(threshold=threshold if threshold is not None else defaults.threshold,
                         shingle=shingle or defaults.shingle, across_leaves=not within_leaf_only,
                         against_seeds=not no_seeds)
    eval_items = load_eval_items(eval_files) if eval_files else None
    if out_dir.is_dir() and next(out_dir.rglob("samples.jsonl"), None) is None:
        raise OutputError("no <leaf>/samples.jsonl in this folder", path=out_dir,
                          hint="pass the OUT folder of `labgen generate`")
    report = dedup_run(out_dir, config, eval_items=eval_items)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    width = max([len(leaf.leaf) for leaf in report.leaves] + [4])
    click.echo(f"{'leaf':<{width}}  {'before':>7}  {'removed':>7}  {'kept':>7}")
    for leaf in report.leaves:
        click.echo(f"{leaf.leaf:<{width}}  {leaf.before:>7}  {sum(leaf.removed.values()):>7}  {leaf.kept:>7}")
    summary = report.as_dict()["totals"]
    for reason, count in summary["removed_by"].items():
        click.echo(f"  {reason}: {count}")
    click.echo(f"removed {report.removed} of {summary['before']} samples; kept {summary['kept']} "
               f"(details in {out_dir / 'dedup.json'})")
