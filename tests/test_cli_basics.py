"""The CLI's shell: help, version, lazy subcommands, lean imports."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from labgen import __version__
from labgen.cli import cli

HEAVY = ("llama_cpp", "xllamacpp", "vllm", "langchain_core", "langchain_openai", "torch", "openai", "ray")


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    assert "validate" in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2


def _imported_after(args: list[str]) -> list[str]:
    code = (
        "import sys, json\n"
        "from labgen.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_imports_no_heavy_library() -> None:
    assert _imported_after(["--help"]) == []


def test_generate_and_the_library_import_no_ray() -> None:
    """ray is imported by `--executor ray` only (its module, labgen.generate.ray_executor, imports it late)."""
    assert "ray" not in _imported_after(["generate", "--help"])
    code = "import sys, labgen.generate, labgen.generate.ray_executor, labgen.store.remote; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
