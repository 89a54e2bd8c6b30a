"""render_html: one self-contained HTML page (inline CSS and SVG, no script, no network) for a run."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from labgen.report.score_sweep import SWEEP_COLUMNS, sweep_rows, sweep_title
from labgen.report.summary import LEAF_COLUMNS, RunSummary
from labgen.report.svg import horizontal_bars, line_chart

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #999; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.meta { color: #555; }
"""


def render_html(summary: RunSummary, *, max_reasons: int = 25) -> str:
    total = summary.total
    reasons = list(summary.rejects_by_reason.items())[:max_reasons]
    teacher = summary.run.get("teacher")
    teacher_text = (teacher.get("model") or teacher.get("backend")) if isinstance(teacher, dict) else teacher
    body = [
        f"<h1>labgen run report</h1>",
        f'<p class="meta">{escape(summary.out_dir)} · teacher {escape(str(teacher_text or "-"))} · '
        f'taxonomy commit {escape(str(summary.run.get("taxonomy_commit") or "-"))} · '
        f'{total.kept:,} kept of {total.generated:,} generated · {total.tokens:,} teacher tokens'
        + (f" · {total.tokens_per_kept:,.1f} tokens per kept sample" if total.tokens_per_kept is not None else "")
        + "</p>",
        "<h2>Leaves</h2>",
        _table(LEAF_COLUMNS, [leaf.table_row() for leaf in summary.leaves], total=total.table_row()),
        '<div class="charts">',
        horizontal_bars([(leaf.leaf, leaf.kept) for leaf in summary.leaves], title="Kept samples per leaf",
                        css_class="kept-per-leaf"),
        "</div>",
        "<h2>Rejects</h2>",
        '<div class="charts">',
        horizontal_bars(list(summary.rejects_by_stage.items()), title="Rejected by stage",
                        css_class="rejects-by-stage", color="#a85048"),
        horizontal_bars(reasons, title="Rejected by reason (stage/reason)", css_class="rejects-by-reason",
                        color="#a85048"),
        "</div>",
    ]
    if summary.rejects_by_stage:
        stages = list(summary.rejects_by_stage)
        body += ["<h3>Rejected by leaf and stage</h3>",
                 _table(["leaf", *stages], [[leaf.leaf, *(leaf.rejected_in(s) for s in stages)]
                                            for leaf in summary.leaves])]
    if summary.contamination:
        body.append(f"<p>{summary.contamination:,} samples overlapped an evaluation item (see dedup.json).</p>")
    body += [
        "<h2>Distribution</h2>",
        _table(["kind", "kept", "share"],
               [[k, c, f"{c / total.kept:.1%}" if total.kept else "-"] for k, c in summary.by_kind.counts.items()]),
        f"<p>Entropy over leaves: {summary.by_leaf.entropy_bits:.3f} bits (normalized "
        f"{summary.by_leaf.normalized:.3f}, {len(summary.by_leaf.counts)} leaves). Entropy over kinds: "
        f"{summary.by_kind.entropy_bits:.3f} bits (normalized {summary.by_kind.normalized:.3f}).</p>",
        "<h2>Critic threshold sweep</h2>",
        "<p>What would be kept if only samples with a critic score at or above the threshold were kept.</p>",
        '<div class="charts">',
        line_chart([(p.threshold, p.kept) for p in summary.sweep], title="Kept samples vs threshold",
                   x_label="critic score threshold", y_label="kept samples", css_class="sweep-kept"),
        line_chart([(p.threshold, p.normalized_entropy) for p in summary.sweep], title="Leaf entropy vs threshold",
                   x_label="critic score threshold", y_label="normalized entropy", css_class="sweep-entropy",
                   y_max=1.0, color="#3a8a50"),
        "</div>",
        _table(["threshold", "kept", "leaves", "entropy bits", "normalized"],
               [[p.threshold, p.kept, p.leaves_with_samples, p.entropy_bits, p.normalized_entropy]
                for p in summary.sweep]),
    ]
    if summary.score_sweeps:
        body += ["<h2>Threshold sweep per score</h2>",
                 "<p>For each check or judge score, what a rule &ldquo;drop when score &lt; threshold&rdquo; would do: "
                 "<b>kept</b> and <b>drops</b>, the kept samples it keeps and newly drops (a sample without the "
                 "score is kept); <b>caught</b>, the rejects of other checks carrying the score that it would also "
                 "have caught, and their share; <b>let through</b>, its own rejects scoring at or above it. "
                 "Rows with equal counts are folded; * marks the run's configured threshold.</p>"]
        for sweep in summary.score_sweeps:
            body += [f"<h3>{escape(sweep_title(sweep))}</h3>", _table(SWEEP_COLUMNS, sweep_rows(sweep))]
    title = f"labgen report: {summary.out_dir}"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], total: Sequence[object] | None = None) -> str:
    def cells(row: Sequence[object], tag: str) -> str:
        return "".join(f'<{tag} class="num">{_fmt(v)}</{tag}>' if isinstance(v, (int, float)) or v is None
                       else f"<{tag}>{escape(str(v))}</{tag}>" for v in row)

    lines = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>"]
    lines += ["<tr>" + cells(row, "td") + "</tr>" for row in rows]
    if total is not None:
        lines.append('<tr class="total">' + cells(total, "td") + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return escape(str(value))
