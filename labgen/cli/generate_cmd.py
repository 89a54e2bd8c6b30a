"""`labgen generate`: the main job, a thin layer over labgen.generate.generate."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from labgen.cli.common import handle_errors
from labgen.cli.teacher_options import teacher_options
from labgen.errors import UsageError

def _parse_max_tokens(values: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        stage, sep, number = value.partition("=")
        if not sep or not number.strip().isdigit():
            raise UsageError(f"--max-tokens {value!r} must look like STAGE=N", hint="e.g. --max-tokens freeform_response=400")
        out[stage.strip()] = int(number)
    return out


@click.command()
@click.argument("taxonomy", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (created; reruns reuse its finished work units).")
@teacher_options
@click.option("--seed", type=int, default=None, help="Run seed: same taxonomy, teacher, parameters and seed give the "
              "same samples. [default 42]")
@click.option("--changed", is_flag=True, help="Generate only the leaves changed against --base; outputs of "
              "deleted leaves are removed.")
@click.option("--base", default=None, help="Git ref to diff against with --changed. [default origin/main, "
              "else main]")
@click.option("--skip-invalid", is_flag=True, help="Generate the valid leaves and list the invalid ones (with "
              "their first error) in the summary and run.json, instead of stopping before any teacher call.")
@click.option("--dry-run", is_flag=True, help="Print per-leaf requests and token estimates; call no teacher.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--target-per-seed", type=float, default=None, help="Kept samples wanted per seed example of "
              "each leaf. [default 0.5]")
@click.option("--per-request", type=int, default=None, help="Items asked of one generation request. [default 5]")
@click.option("--max-rounds", type=int, default=None, help="Generation rounds a unit may use to reach its "
              "target: the request cap that stops a leaf whose outputs keep failing. [default 4; 1 on the "
              "embedded teacher]")
@click.option("--max-units-per-leaf", type=int, default=None, help="Hard cap on work units per leaf.")
@click.option("--prompt-seeds", type=int, default=None, help="Seed examples shown per skill prompt (fewer when the context window is small). [default 10]")
@click.option("--chunk-tokens", type=int, default=None, help="Most tokens of document per knowledge chunk "
              "(less when the context window is small). [default 700]")
@click.option("--context-window", type=int, default=None, help="The teacher's context window, used when the "
              "server does not report one (vLLM and llama.cpp do, in /v1/models). [default 4096]")
@click.option("--max-tokens", "max_tokens", multiple=True, metavar="STAGE=N",
              help="Max output tokens of a generation stage (repeatable).")
@click.option("--judge-logprobs/--no-judge-logprobs", default=None,
              help="Ask judges for token probabilities (confidence from logprobs); cheap on vLLM, about 7x slower on "
              "the embedded teacher. [default off]")
@click.option("--max-active-units", type=int, default=None, help="Work units in progress at once "
              "(default: 3/4 of the teacher's in-flight limit, at least 1).")
@click.option("--check-process/--no-check-process", default=None, help="Run the critic's checks of each "
              "candidate (and the dedup of top-up decisions) in a second process, where their CPU does not hold up "
              "the requests to the teacher; same output either way. [default: on when labgen may use 2 cores or more, "
              "except with the embedded teacher]")
@click.option("--no-dedup", is_flag=True, help="Skip exact and near-duplicate removal at the end.")
@click.option("--decontaminate", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Evaluation JSONL whose items must not appear in the output (repeatable).")
@click.option("--answer-store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Teacher-answer store to read and fill (share one between runs). [default "
              "OUT/.labgen/answers.sqlite]")
@click.option("--no-answer-store", is_flag=True, help="Ask the teacher for every request; store nothing.")
@click.option("--executor", type=click.Choice(["local", "ray"], case_sensitive=False), default="local",
              help="Where the work units run: local (this process) or ray (each leaf a Ray task on a cluster, "
              "same output; needs pip install 'labgen[ray]' and --out on storage every node shares). [default local]")
@click.option("--ray-address", default=None, help="The Ray cluster of --executor ray: the head's HOST:PORT "
              "(`ray start --head`), ray://HOST:10001, or auto. [default: RAY_ADDRESS, a `ray start` cluster on "
              "this machine, else a new local one]")
@click.option("--ray-teacher-actors", type=int, default=None, help="Ray actors that hold the teacher (--executor "
              "ray). [default: none for --teacher openai (each task its own client); vllm: one per GPU group; "
              "local: one per node]")
@click.option("--ray-gpus-per-teacher", type=int, default=None, help="GPUs of each vLLM engine actor (its "
              "tensor-parallel size; --executor ray --teacher vllm). [default 1]")
@handle_errors
def generate(taxonomy: Path, out_dir: Path, seed: int | None, changed: bool, base: str | None, skip_invalid: bool,
             dry_run: bool, quiet: bool, max_tokens: tuple[str, ...], judge_logprobs: bool | None, no_dedup: bool,
             decontaminate: tuple[str, ...], answer_store: Path | None, no_answer_store: bool, executor: str,
             ray_address: str | None, ray_teacher_actors: int | None, ray_gpus_per_teacher: int | None,
             **kwargs: Any) -> None:
    """Generate synthetic training data for every leaf of TAXONOMY into --out."""
    from labgen.cli.teacher_options import teacher_config_from_cli, teacher_from_cli
    from labgen.config import find_config_file
    from labgen.generate.config import config_from_file, teacher_defaults

    if base is not None and not changed:
        raise UsageError("--base needs --changed", hint="add --changed to generate only the changed leaves")
    ray_options = {"--ray-address": ray_address, "--ray-teacher-actors": ray_teacher_actors,
                   "--ray-gpus-per-teacher": ray_gpus_per_teacher}
    given = [name for name, value in ray_options.items() if value is not None]
    if given and executor.lower() != "ray":
        raise UsageError(f"{given[0]} needs --executor ray", hint="add --executor ray to run on a Ray cluster")
    scale = {name: kwargs.pop(name) for name in ("target_per_seed", "per_request", "max_rounds", "max_units_per_leaf",
                                                 "prompt_seeds", "chunk_tokens", "context_window", "max_active_units",
                                                 "check_process")}
    from labgen.dedup.config import dedup_config_from_file

    cluster = None
    if executor.lower() == "ray" and not dry_run:
        from labgen.generate.ray_executor import RayExecutor, import_ray, probe_address

        import_ray()  # a missing ray or an unreachable cluster is said before the teacher is asked anything
        # What every worker builds its teacher from (read from a copy: teacher_from_cli takes the options).
        cluster = RayExecutor(teacher=teacher_config_from_cli(dict(kwargs)), address=ray_address,
                              teacher_actors=ray_teacher_actors, gpus_per_teacher=ray_gpus_per_teacher or 1).validated()
        if ray_address:
            probe_address(ray_address)
    config_file = find_config_file(kwargs.get("config_path"))  # before teacher_from_cli takes the option
    teacher = teacher_from_cli(kwargs)  # constructing it loads nothing
    config = config_from_file(config_file, teacher_defaults(teacher.backend))
    dedup = dedup_config_from_file(config_file)
    changes: dict[str, Any] = {name: value for name, value in scale.items() if value is not None}
    if seed is not None:
        changes["seed"] = seed
    if no_dedup:
        changes["dedup"] = False
    if decontaminate:
        changes["decontaminate"] = tuple(decontaminate)
    config = replace(config, **changes)
    if judge_logprobs is not None:
        config = replace(config, critic=config.critic.with_overrides(judge_logprobs=judge_logprobs))
    if max_tokens:
        config = config.with_max_tokens(_parse_max_tokens(max_tokens))
    config = config.validated()
    changed_base = (base or "origin/main") if changed else None  # the diff falls back to main by itself
    try:
        config = _with_teacher_context_window(config, teacher)
        if dry_run:
            _print_dry_run(taxonomy, teacher, config, changed_base, skip_invalid)
            return
        from labgen.generate import generate as run_generate
        from labgen.generate.progress import default_progress

        result = run_generate(taxonomy, out_dir, teacher, config, changed_base=changed_base,
                              progress=default_progress(quiet=quiet), skip_invalid=skip_invalid,
                              answer_store=False if no_answer_store else (answer_store or True), dedup=dedup,
                              executor=cluster)
    finally:
        teacher.close()
    _print_summary(result)


def _with_teacher_context_window(config: Any, teacher: Any) -> Any:
    """The window the teacher reports (an OpenAI-compatible server's /models, asked here once) wins over
    --context-window and labgen.yaml, which are the fallback for servers that do not say."""
    window = getattr(teacher, "context_window", None)
    if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
        return config
    if config.context_window and config.context_window != window:
        click.echo(f"note: the teacher's context window is {window} tokens; --context-window "
                   f"{config.context_window} is not used", err=True)
    return replace(config, context_window=window)


def _print_dry_run(taxonomy: Path, teacher: Any, config: Any, changed_base: str | None, skip_invalid: bool) -> None:
    from labgen.generate.estimate import dry_run

    estimates = dry_run(taxonomy, teacher, config, changed_base=changed_base, skip_invalid=skip_invalid)
    rows = [(e.leaf, e.kind, str(e.units), str(e.requests_round), str(e.requests_max),
             str(e.prompt_tokens_round), str(e.completion_tokens_round), str(e.completion_tokens_max))
            for e in estimates]
    header = ("leaf", "kind", "units", "requests", "max requests", "prompt tok", "completion tok ≤",
              "max completion tok")
    totals = ("total", "", str(sum(e.units for e in estimates)), str(sum(e.requests_round for e in estimates)),
              str(sum(e.requests_max for e in estimates)), str(sum(e.prompt_tokens_round for e in estimates)),
              str(sum(e.completion_tokens_round for e in estimates)),
              str(sum(e.completion_tokens_max for e in estimates)))
    _table(header, rows + [totals])
    click.echo("requests and tokens: one round per unit with every candidate passing; max: every unit "
               "using all its rounds. No teacher was called.")


def _print_summary(result: Any) -> None:
    targets = result.targets
    rows = [(path, str(c.generated), str(c.kept), str(targets.get(path, "")), str(c.rejected))
            for path, c in result.leaves.items()]
    totals = ("total", str(sum(c.generated for c in result.leaves.values())),
              str(sum(c.kept for c in result.leaves.values())), str(sum(targets.get(p, 0) for p in result.leaves)),
              str(sum(c.rejected for c in result.leaves.values())))
    _table(("leaf", "generated", "kept", "target", "rejected"), rows + [totals])
    short = {path: targets[path] - c.kept for path, c in result.leaves.items() if c.kept < targets.get(path, 0)}
    if short:
        click.echo(f"{len(short)} {'leaf is' if len(short) == 1 else 'leaves are'} short of the target "
                   f"(their units used --max-rounds; run.json has each leaf's `short`)", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for path in result.removed:
        click.echo(f"removed the outputs of deleted leaf {path}")
    if result.skipped:
        click.echo(f"skipped {len(result.skipped)} invalid {'leaf' if len(result.skipped) == 1 else 'leaves'} "
                   "(--skip-invalid; see `labgen validate`):")
        for leaf in result.skipped:
            where = f"{leaf.file}:{leaf.line}" if leaf.line else leaf.file
            click.echo(f"  {leaf.path}: {where}: {leaf.error}")
    click.echo(f"{result.units_generated} work units generated, {result.units_reused} reused, "
               f"in {result.elapsed_s:.1f}s")
    click.echo(f"output: {result.out_dir}/ (samples.jsonl, rejects.jsonl, stats.json per leaf; run.json)")
    sys.stdout.flush()


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in
                         enumerate(zip(row, widths)))

    click.echo(line(header))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(line(row))
