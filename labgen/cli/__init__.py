"""The `labgen` command line: a thin layer over the library.

Each subcommand lives in its own module and is imported only when it runs, so `labgen --help`
and `labgen validate` start fast and never import llama_cpp, vllm or langchain.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from labgen import __version__

# name -> (module, attribute, one-line help shown by `labgen --help` without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("labgen.cli.validate_cmd", "validate", "Check taxonomy leaves: schema, lint, documents."),
    "diff": ("labgen.cli.diff_cmd", "diff", "List the leaves changed against a git base."),
    "generate": ("labgen.cli.generate_cmd", "generate", "Generate synthetic data for every leaf."),
    "curate": ("labgen.cli.curate_cmd", "curate", "Re-apply curation (thresholds, dedup) to a finished run."),
    "dedup": ("labgen.cli.dedup_cmd", "dedup", "Remove exact and near-duplicate samples from a run."),
    "critique": ("labgen.cli.critique_cmd", "critique", "Run the critic over question-answer JSONL."),
    "report": ("labgen.cli.report_cmd", "report", "Summarise a run in tables or an HTML page."),
    "mix": ("labgen.cli.mix_cmd", "mix", "Build phased training files from a run."),
    "teacher": ("labgen.cli.teacher_cmd", "teacher", "Inspect and check the teacher model."),
    "cache": ("labgen.cli.cache_cmd", "cache", "See and trim the teacher-answer store."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _, _) in COMMANDS.items() if _module_exists(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _module_exists(entry[0]):
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = getattr(module, entry[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labgen")
def cli() -> None:
    """labgen turns a taxonomy of skills and knowledge into LAB-style synthetic training data."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point. LabgenError becomes a one-line message and its exit code."""
    from labgen.cli.common import run_cli

    return run_cli(cli, argv if argv is not None else sys.argv[1:])
