"""`labgen mix`: phased training files from a run, by a recipe."""

from __future__ import annotations

import click

from labgen.cli.common import handle_errors


@click.command("mix")
@click.argument("run_dir", metavar="OUT", type=click.Path(file_okay=False, path_type=str))
@click.option("--recipe", "recipe_ref", default="default", show_default=True, metavar="FILE|NAME",
              help="A recipe YAML file, or a shipped recipe: default, lab-paper.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder for the phase files and mix_manifest.json.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override the recipe's seed.")
@click.option("--max-seq-len", type=click.IntRange(min=1), default=None,
              help="Keep only rows of fewer than N tokens (as instructlab-training does), counted with "
                   "--tokenizer, or else by an upper bound that no real tokenizer exceeds.")
@click.option("--tokenizer", "tokenizer_path", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=str),
              help="Count --max-seq-len tokens exactly with this local tokenizer: a .gguf model file or a "
                   "Hugging Face tokenizer.json (with tokenizer_config.json beside it).")
@handle_errors
def mix(run_dir: str, recipe_ref: str, out_dir: str, seed: int | None, max_seq_len: int | None,
        tokenizer_path: str | None) -> None:
    """Build phased training files (chat messages JSONL) from the samples of run OUT."""
    from labgen.mix import PhaseResult, load_recipe
    from labgen.mix import mix as run_mix

    from labgen.errors import UsageError

    if tokenizer_path is not None and max_seq_len is None:
        raise UsageError("--tokenizer only counts tokens for --max-seq-len", hint="add --max-seq-len N")
    recipe = load_recipe(recipe_ref)

    def report(phase: PhaseResult) -> None:
        dropped = sum(phase.dropped.values())
        note = f", dropped {dropped} ({_reasons(phase.dropped)})" if dropped else ""
        name = phase.file.name if phase.file is not None else f"phase '{phase.name}' (no file: empty)"
        click.echo(f"{name}: {phase.rows} rows, {phase.replayed} replayed{note}")

    result = run_mix(run_dir, recipe, out_dir, seed=seed, max_seq_len=max_seq_len, tokenizer=tokenizer_path,
                     on_phase=report)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if max_seq_len is not None:
        click.echo(f"dropped as longer than {max_seq_len} tokens: {result.dropped_too_long}")
    click.echo(f"manifest: {result.manifest}")


def _reasons(dropped: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in dropped.items())
