"""A small real taxonomy in a temporary git repository: one freeform, one grounded, one knowledge leaf."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

FREEFORM = "compositional_skills/writing/freeform/riddles"
GROUNDED = "compositional_skills/extraction/invoices/totals"
KNOWLEDGE = "knowledge/science/tides"

DOCUMENT = """# Tides

Tides are the regular rise and fall of the sea. They are caused mainly by the gravity of the Moon, and
to a lesser extent by the Sun. Most coasts see two high tides and two low tides every lunar day, which
lasts about 24 hours and 50 minutes.

## Spring and neap tides

When the Sun, the Moon and the Earth line up, at new moon and full moon, their pulls add together and
the tidal range is largest. These are spring tides. When the Sun and the Moon are at right angles, at
the quarter moons, the range is smallest. These are neap tides.

## Tidal range

The tidal range is the height difference between high and low water. The Bay of Fundy in Canada has
the largest tidal range in the world, up to 16 metres. In the Mediterranean Sea the range is often
less than 30 centimetres.
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


def init_repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "Test")
    git(root, "config", "commit.gpgsign", "false")


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def write_leaf(root: Path, path: str, data: dict) -> Path:
    folder = root / path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qna.yaml").write_text(yaml.safe_dump(data, sort_keys=False, width=100), encoding="utf-8")
    (folder / "attribution.txt").write_text("Title of work: test\nLink to work: none\nRevision: 1\n"
                                            "License of the work: CC0-1.0\nCreator names: tests\n", encoding="utf-8")
    return folder / "qna.yaml"


def freeform_leaf(task: str = "Writing short riddles whose answer is an everyday object.") -> dict:
    objects = ["a candle", "a key", "a clock", "an umbrella", "a mirror"]
    return {"version": 2, "created_by": "tests", "task_description": task,
            "seed_examples": [{"question": f"Write a riddle whose answer is {o}.",
                               "answer": f"I have no voice but I tell you something every day. What am I? ({o})"}
                              for o in objects]}


def grounded_leaf() -> dict:
    seeds = []
    for i, (shop, total) in enumerate([("Bakery Lund", "42.50"), ("Hardware Oslo", "118.00"),
                                       ("Cafe Rome", "17.20"), ("Books Porto", "63.90"), ("Garden Delft", "29.99")]):
        seeds.append({"context": f"Invoice {100 + i} from {shop}. Items: bread 2.50, tools 10.00. Total due: {total} EUR.",
                      "question": f"What is the total due on invoice {100 + i}?",
                      "answer": f"The total due is {total} EUR."})
    return {"version": 2, "created_by": "tests", "task_description": "Reading the total due from an invoice.",
            "seed_examples": seeds}


def knowledge_leaf(commit: str) -> dict:
    contexts = [
        ("Tides are the regular rise and fall of the sea, caused mainly by the gravity of the Moon.",
         [("What causes tides?", "Mainly the gravity of the Moon."),
          ("What are tides?", "The regular rise and fall of the sea."),
          ("Does the Sun affect tides?", "Yes, to a lesser extent than the Moon.")]),
        ("Most coasts see two high tides and two low tides every lunar day.",
         [("How many high tides do most coasts see per lunar day?", "Two."),
          ("How many low tides do most coasts see per lunar day?", "Two."),
          ("How long is a lunar day?", "About 24 hours and 50 minutes.")]),
        ("Spring tides happen when the Sun, the Moon and the Earth line up.",
         [("When do spring tides happen?", "When the Sun, the Moon and the Earth line up."),
          ("Is the tidal range large at spring tides?", "Yes, it is largest."),
          ("At which moon phases do spring tides occur?", "At new moon and full moon.")]),
        ("Neap tides happen at the quarter moons, when the Sun and Moon are at right angles.",
         [("When do neap tides happen?", "At the quarter moons."),
          ("How are the Sun and Moon placed at neap tides?", "At right angles."),
          ("Is the tidal range small at neap tides?", "Yes, it is smallest.")]),
        ("The Bay of Fundy has the largest tidal range in the world, up to 16 metres.",
         [("Where is the largest tidal range?", "In the Bay of Fundy in Canada."),
          ("How large can the Bay of Fundy's range be?", "Up to 16 metres."),
          ("What is the tidal range?", "The height difference between high and low water.")]),
    ]
    return {"version": 3, "created_by": "tests", "domain": "Oceanography",
            "document_outline": "An introduction to tides: causes, spring and neap tides, tidal range.",
            "document": {"repo": ".", "commit": commit, "patterns": ["documents/tides/*.md"]},
            "seed_examples": [{"context": c, "questions_and_answers": [{"question": q, "answer": a} for q, a in qa]}
                              for c, qa in contexts]}


def build_taxonomy(root: Path, *, kinds: tuple[str, ...] = ("freeform", "grounded", "knowledge")) -> Path:
    """A git repository whose root is the taxonomy; returns the root."""
    init_repo(root)
    (root / "documents" / "tides").mkdir(parents=True)
    (root / "documents" / "tides" / "tides.md").write_text(DOCUMENT, encoding="utf-8")
    doc_commit = commit_all(root, "documents")
    if "freeform" in kinds:
        write_leaf(root, FREEFORM, freeform_leaf())
    if "grounded" in kinds:
        write_leaf(root, GROUNDED, grounded_leaf())
    if "knowledge" in kinds:
        write_leaf(root, KNOWLEDGE, knowledge_leaf(doc_commit))
    commit_all(root, "leaves")
    return root


@pytest.fixture
def taxonomy(tmp_path: Path) -> Path:
    return build_taxonomy(tmp_path / "taxonomy")
