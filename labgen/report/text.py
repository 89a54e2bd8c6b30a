"""render_text: the run summary as terminal tables."""

from __future__ import annotations

from labgen.report.score_sweep import SWEEP_COLUMNS, sweep_rows, sweep_title
from labgen.report.summary import LEAF_COLUMNS, RunSummary
from labgen.report.table import format_table

_BAR_WIDTH = 30


def render_text(summary: RunSummary, *, max_reasons: int = 20) -> str:
    total = summary.total
    run = summary.run
    teacher = run.get("teacher")
    teacher_text = (teacher.get("model") or teacher.get("backend")) if isinstance(teacher, dict) else teacher
    out = [f"Run {summary.out_dir}",
           f"  teacher {teacher_text or '-'}  taxonomy commit {str(run.get('taxonomy_commit') or '-')[:12]}"
           f"  elapsed {run.get('elapsed_s') or '-'} s", ""]

    out.append("Leaves")
    rows = [leaf.table_row() for leaf in summary.leaves] + [total.table_row()]
    out.append(format_table(LEAF_COLUMNS, rows, indent="  "))
    out.append("")

    out.append("Rejected by stage")
    out.append(_histogram(summary.rejects_by_stage, "stage") if summary.rejects_by_stage else "  (no rejects)")
    if summary.rejects_by_stage:
        stages = list(summary.rejects_by_stage)
        out += ["", "Rejected by leaf and stage"]
        out.append(format_table(["leaf", *stages], [[leaf.leaf, *(leaf.rejected_in(s) for s in stages)]
                                                    for leaf in summary.leaves], indent="  "))
    if summary.rejects_by_reason:
        out += ["", "Rejected by reason"]
        reasons = dict(list(summary.rejects_by_reason.items())[:max_reasons])
        out.append(_histogram(reasons, "stage/reason"))
        if len(summary.rejects_by_reason) > max_reasons:
            out.append(f"  ... and {len(summary.rejects_by_reason) - max_reasons} more reasons")
    if summary.contamination:
        out.append(f"  {summary.contamination} samples overlapped an evaluation item (see dedup.json)")
    out.append("")

    out.append("Distribution of kept samples")
    kind_rows = [[kind, count, count / total.kept if total.kept else 0.0] for kind, count in summary.by_kind.counts.items()]
    out.append(format_table(["kind", "kept", "share"], kind_rows, indent="  "))
    out.append(f"  entropy over leaves: {summary.by_leaf.entropy_bits:.3f} bits, normalized "
               f"{summary.by_leaf.normalized:.3f} ({len(summary.by_leaf.counts)} leaves)")
    out.append(f"  entropy over kinds:  {summary.by_kind.entropy_bits:.3f} bits, normalized "
               f"{summary.by_kind.normalized:.3f} ({len(summary.by_kind.counts)} kinds)")
    out.append(f"  tokens: {total.prompt_tokens:,} prompt + {total.completion_tokens:,} completion; "
               f"per kept sample {total.tokens_per_kept:,.1f}" if total.tokens_per_kept is not None
               else f"  tokens: {total.prompt_tokens:,} prompt + {total.completion_tokens:,} completion")
    out.append("")

    out.append("Critic threshold sweep (kept if critic score >= threshold)")
    combined_rows = [[p.threshold, p.kept, p.leaves_with_samples, p.entropy_bits, p.normalized_entropy]
                     for p in summary.sweep]
    out.append(format_table(["threshold", "kept", "leaves", "entropy bits", "normalized"], combined_rows,
                            indent="  "))
    if summary.score_sweeps:
        out += ["", "Threshold sweep per score (drop when score < threshold; equal rows folded, * = configured)",
                "  kept/drops: kept samples it keeps/newly drops; caught: rejects of other checks it would also",
                "  have caught (share of those carrying the score); let through: its own rejects scoring >= threshold"]
        for sweep in summary.score_sweeps:
            out += ["", "  " + sweep_title(sweep), format_table(SWEEP_COLUMNS, sweep_rows(sweep), indent="    ")]
    return "\n".join(out) + "\n"


def _histogram(counts: dict[str, int], label: str) -> str:
    top = max(counts.values()) if counts else 1
    rows = [[key, count, "#" * max(1, round(_BAR_WIDTH * count / top))] for key, count in counts.items()]
    return format_table([label, "count", ""], rows, indent="  ")
