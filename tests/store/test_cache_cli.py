"""`labgen generate` with the answer store, and `labgen cache stats|prune`, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from labgen.cli import cli
from tests.generate.conftest import taxonomy  # noqa: F401  (the fixture)
from tests.generate.stage_server import StageServer


def _generate(taxonomy: Path, out: Path, server: StageServer, *extra: str) -> None:
    result = CliRunner().invoke(cli, ["generate", str(taxonomy), "--out", str(out), "--teacher", "openai",
                                      "--teacher-url", server.base_url, "--max-in-flight", "2", "--quiet",
                                      "--no-dedup", *extra])
    assert result.exit_code == 0, result.output


def test_generate_fills_the_store_and_a_rerun_reads_it(taxonomy: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "out"
    with StageServer(latency_s=0.0) as server:
        _generate(taxonomy, out, server)
        first = len(server.log)
        shutil.rmtree(out / ".labgen" / "units")  # every unit must be redone
        _generate(taxonomy, out, server)
        assert len(server.log) == first  # ... from stored answers alone
        _generate(taxonomy, tmp_path / "nostore", server, "--no-answer-store")
        assert len(server.log) == 2 * first
        assert not (tmp_path / "nostore" / ".labgen" / "answers.sqlite").exists()
    stats = CliRunner().invoke(cli, ["cache", "stats", str(out), "--json"])
    assert stats.exit_code == 0, stats.output
    report = json.loads(stats.output)
    assert report["answers"] == first and sum(report["by_stage"].values()) == first
    pruned = CliRunner().invoke(cli, ["cache", "prune", str(out), "--unused-days", "0"])
    assert pruned.exit_code == 0 and f"removed {first} answers" in pruned.output


def test_cache_commands_name_a_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cache", "stats", str(tmp_path)])
    assert result.exit_code != 0 and "no answer store" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["cache", "prune", str(tmp_path)])
    assert result.exit_code != 0
