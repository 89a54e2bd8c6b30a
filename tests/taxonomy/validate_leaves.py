"""qna.yaml texts and tree builders for the validate tests (imported as `validate_leaves`)."""

from __future__ import annotations

from pathlib import Path


def skill_text(count: int = 5, *, version: int | None = 3, grounded: bool = False, description: bool = True,
               topic: str = "rain") -> str:
    lines = []
    if version is not None:
        lines.append(f"version: {version}")
    lines.append("created_by: alice")
    if description:
        lines.append("task_description: Write a short haiku")
    lines.append("seed_examples:")
    for index in range(count):
        if grounded:
            lines.append(f"  - context: The {topic} report number {index} says the sky is grey.")
            lines.append(f"    question: What does report {index} say about {topic}?")
        else:
            lines.append(f"  - question: Write a haiku about {topic} number {index}")
        lines.append(f"    answer: Haiku {index} about {topic}, calm and brief.")
    return "\n".join(lines) + "\n"


def knowledge_text(count: int = 5, *, version: int = 3, repo: str = "https://example.invalid/docs.git") -> str:
    lines = [f"version: {version}", "created_by: bob", "domain: Astronomy",
             "document_outline: Facts about the Moon", "document:", f"  repo: {repo}",
             "  commit: 0123456789abcdef", "  patterns:", "    - moon.md", "seed_examples:"]
    for index in range(count):
        lines.append(f"  - context: The Moon fact number {index} is about its orbit and its phases.")
        lines.append("    questions_and_answers:")
        for qa in range(3):
            lines.append(f"      - question: Question {qa} about Moon fact {index}?")
            lines.append(f"        answer: Answer {qa} about Moon fact {index}.")
    return "\n".join(lines) + "\n"


def write_leaf(root: Path, folder: str, text: str, *, attribution: str | None = "Title: test\nLicense: CC-BY\n",
               name: str = "qna.yaml") -> Path:
    """Write a leaf under `root`; returns the qna file."""
    leaf = root / folder
    leaf.mkdir(parents=True, exist_ok=True)
    file = leaf / name
    file.write_text(text, encoding="utf-8")
    if attribution is not None:
        (leaf / "attribution.txt").write_text(attribution, encoding="utf-8")
    return file


def messages(report: object) -> list[str]:
    return [p.message for p in report.problems]  # type: ignore[attr-defined]


def errors(report: object) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in report.problems if p.severity == "error"]  # type: ignore[attr-defined]
