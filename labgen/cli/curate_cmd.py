"""`labgen curate OUT`: re-apply curation (critic thresholds, system prompt, dedup) to a finished run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from labgen.cli.common import handle_errors
from labgen.cli.teacher_options import teacher_options


@click.command("curate")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@teacher_options
@click.option("--no-teacher", is_flag=True, help="Ask the teacher nothing: judgments the settings need and the "
              "store lacks are reported (their candidates become rejects of stage curate).")
@click.option("--no-dedup", is_flag=True, help="No dedup or decontamination.")
@click.option("--decontaminate", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Evaluation JSONL whose items must not appear in the output (repeatable). [default: the run's]")
@click.option("--answer-store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Teacher-answer store to read (and fill with what is asked). [default OUT/.labgen/answers.sqlite]")
@handle_errors
def curate(out_dir: Path, no_teacher: bool, no_dedup: bool, decontaminate: tuple[str, ...],
           answer_store: Path | None, **kwargs: Any) -> None:
    """Curate the run in OUT_DIR again with the curation settings of labgen.yaml (critic thresholds, system
    prompt, dedup), as a fresh `labgen generate` with them would; settings the file does not name keep the
    run's values."""
    from labgen.cli.teacher_options import pop_teacher_values
    from labgen.config import find_config_file
    from labgen.curate.rerun import config_from_run, curate as run_curate, read_run
    from labgen.dedup.config import dedup_config_from_dict, dedup_config_from_file
    from labgen.generate.config import config_from_file

    teacher_values, config_path = pop_teacher_values(kwargs)
    config_file = find_config_file(config_path)
    run = read_run(out_dir)
    config = config_from_file(config_file, base=config_from_run(run.get("parameters") or {}))
    if no_dedup:
        config = replace(config, dedup=False)
    if decontaminate:
        config = replace(config, decontaminate=tuple(decontaminate))
    dedup = dedup_config_from_file(config_file, base=dedup_config_from_dict(run.get("dedup")))

    def teacher() -> Any:  # built only when a judgment must be asked
        import os

        from labgen.teachers.config import build_teacher, resolve_teacher_config

        return build_teacher(resolve_teacher_config(teacher_values, os.environ, config_file))

    result = run_curate(out_dir, config, dedup=dedup, teacher=None if no_teacher else teacher,
                        answer_store=answer_store or True)
    _print(result)


def _print(result: Any) -> None:
    passed = result.passed
    rows = [(path, str(leaf.counts.kept), str(leaf.counts.rejected), str(leaf.units_needing_generation),
             str(leaf.samples_needing_generation)) for path, leaf in passed.leaves.items()]
    header = ("leaf", "kept", "rejected", "units to generate", "samples to generate")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        click.echo("  ".join(cells))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{passed.judgments_asked} judgments asked of the teacher, {passed.judgments_missing} missing, "
               f"{passed.store_lookups} read from the answer store; in {result.elapsed_s:.1f}s")
    if result.needs_generation:
        click.echo("some units need generation under these settings: run `labgen generate` with the same settings "
                   "(it reuses every stored answer) to get exactly what it would keep")
    click.echo(f"output: {result.out_dir}/ (samples.jsonl, rejects.jsonl, stats.json per leaf; run.json)")
