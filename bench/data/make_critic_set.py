"""Write bench/data/critic_labeled.jsonl from the hand-written items in critic_texts_*.py.

Each row: {"id", "domain", "context", "question", "answer", "label"}, label one of grounded, ungrounded,
unsafe, low-quality. Rows are shuffled with a fixed seed so neighbouring rows do not share a label.
Run: python bench/data/make_critic_set.py
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import critic_texts_a  # noqa: E402
import critic_texts_b  # noqa: E402
import critic_texts_c  # noqa: E402

from labgen.hashing import short_id  # noqa: E402
from labgen.jsonl import write_jsonl_atomic  # noqa: E402

LABELS = ("grounded", "ungrounded", "unsafe", "low-quality")


def build_rows() -> list[dict[str, str]]:
    rows = []
    for module in (critic_texts_a, critic_texts_b, critic_texts_c):
        for domain, context, items in module.CONTEXTS:
            for question, answer, label in items:
                rows.append({"domain": domain, "context": context, "question": question, "answer": answer,
                             "label": label})
    for domain, context, question, answer, label in critic_texts_c.EXTRA_ITEMS:
        rows.append({"domain": domain, "context": context, "question": question, "answer": answer, "label": label})
    for row in rows:
        assert row["label"] in LABELS, row
        row["id"] = "c-" + short_id([row["context"], row["question"], row["answer"]], 12)
    assert len({r["id"] for r in rows}) == len(rows), "duplicate items"
    random.Random(20261121).shuffle(rows)
    return [{k: r[k] for k in ("id", "domain", "label", "context", "question", "answer")} for r in rows]


def main() -> None:
    rows = build_rows()
    count = write_jsonl_atomic(HERE / "critic_labeled.jsonl", rows)
    labels = Counter(r["label"] for r in rows)
    contexts = len({r["context"] for r in rows})
    print(f"{count} items, {contexts} distinct contexts: {dict(sorted(labels.items()))}")
    for label in LABELS:
        lengths = [len(r["answer"].split()) for r in rows if r["label"] == label]
        print(f"  {label:<12} mean answer length {sum(lengths) / len(lengths):.1f} words")


if __name__ == "__main__":
    main()
