"""render_html: a self-contained page that parses, holds the charts, and escapes text; the CLI."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from labgen.cli import cli
from labgen.report import render_html, summarize_run

from dedup.run_builder import make_reject, make_sample, write_run

LEAF = "compositional_skills/writing/<script>alert(1)</script>"


class PageParser(HTMLParser):
    """Collects tags and text; fails on unbalanced svg/table/div nesting."""

    VOID = {"meta", "br", "img", "input", "link", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def build(tmp_path: Path) -> Path:
    return write_run(tmp_path, {LEAF: [make_sample(LEAF, f"Write about {i}", score=i / 5) for i in range(5)]},
                     rejects={LEAF: [make_reject(LEAF, "judge_pair", 'rated "1" <of> 3 & worse')]})


def test_html_parses_has_charts_and_escapes_text(tmp_path: Path) -> None:
    page = render_html(summarize_run(build(tmp_path)))
    parser = PageParser()
    parser.feed(page)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    classes = {attrs.get("class") for tag, attrs in parser.tags if tag == "svg"}
    assert classes == {"chart kept-per-leaf", "chart rejects-by-stage", "chart rejects-by-reason",
                       "chart sweep-kept", "chart sweep-entropy"}
    assert sum(1 for tag, attrs in parser.tags if tag == "rect" and attrs.get("class") == "bar") >= 3
    assert sum(1 for tag, _ in parser.tags if tag == "polyline") == 2
    assert not any(tag == "script" for tag, _ in parser.tags)  # the leaf name's <script> stayed text
    assert "<script>" not in page and "&lt;script&gt;" in page
    text = "".join(parser.text)
    assert LEAF in text and 'rated "1" <of> 3 & worse' in text
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch


def test_report_command_prints_tables_and_writes_html(tmp_path: Path) -> None:
    out = build(tmp_path / "run")
    html_file = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(out), "--html", str(html_file), "--steps", "6"])
    assert result.exit_code == 0, result.output
    assert "Critic threshold sweep" in result.output and "TOTAL" in result.output
    assert f"HTML report written to {html_file}" in result.output
    assert html_file.read_text().startswith("<!DOCTYPE html>")
    missing = CliRunner().invoke(cli, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "run directory not found" in missing.output


def test_installed_entry_point_runs_dedup_then_report(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    out = build(tmp_path / "run")
    labgen = shutil.which("labgen", path=str(Path(sys.executable).parent))
    assert labgen is not None, "the labgen console script is not installed next to this python"
    dedup = subprocess.run([labgen, "dedup", str(out)], capture_output=True, text=True, timeout=120)
    assert dedup.returncode == 0, dedup.stderr
    assert "removed 4 of 5 samples" in dedup.stdout  # "Write about 0".."Write about 4" are near-duplicates
    report = subprocess.run([labgen, "report", str(out)], capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert "dedup/near duplicate" in report.stdout and "Traceback" not in report.stderr
    total = next(line for line in report.stdout.splitlines() if line.strip().startswith("TOTAL"))
    assert total.split()[1:7] == ["6", "1", "5", "4", "1,200", "1,200.0"]  # generated kept rejected dedup tokens per-kept
