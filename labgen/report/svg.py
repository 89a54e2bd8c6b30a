"""Inline SVG charts (horizontal bars, line charts) built as strings; every label is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

_FONT = 'font-family="sans-serif" font-size="12"'


def horizontal_bars(items: Sequence[tuple[str, float]], *, title: str, css_class: str, width: int = 760,
                    color: str = "#4878a8") -> str:
    """One bar per (label, value), longest value the full width; labels cut to their last 48 characters."""
    label_width, bar_height, gap, top = 300, 18, 6, 28
    height = top + len(items) * (bar_height + gap) + 10
    largest = max((v for _, v in items), default=0) or 1
    span = width - label_width - 70
    parts = [f'<svg class="chart {escape(css_class)}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" {_FONT} font-weight="bold">{escape(title)}</text>']
    for row, (label, value) in enumerate(items):
        y = top + row * (bar_height + gap)
        short = label if len(label) <= 48 else "…" + label[-47:]  # a leaf path's end says the most
        length = max(1.0, span * value / largest) if value else 0.0
        parts.append(f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end" {_FONT}>'
                     f'<title>{escape(label)}</title>{escape(short)}</text>')
        parts.append(f'<rect class="bar" x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                     f'fill="{color}"/>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 13}" {_FONT}>{_number(value)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(points: Sequence[tuple[float, float]], *, title: str, x_label: str, y_label: str, css_class: str,
               y_max: float | None = None, width: int = 480, height: int = 300, color: str = "#c05030") -> str:
    """A polyline over (x, y) points; y from 0 with round gridlines, x from its minimum."""
    left, right, top, bottom = 60, 20, 30, 45
    xs = [p[0] for p in points] or [0.0, 1.0]
    x_min, x_max = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    highest = y_max if y_max is not None else max([p[1] for p in points] + [0.0])
    step = _nice_step(highest / 5)
    ticks = max(1, math.ceil(round(highest / step, 9)))
    top_y = step * ticks
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + plot_w * (x - x_min) / (x_max - x_min)

    def sy(y: float) -> float:
        return top + plot_h * (1 - y / top_y)

    parts = [f'<svg class="chart {escape(css_class)}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" {_FONT} font-weight="bold">{escape(title)}</text>']
    for tick in range(ticks + 1):
        value = step * tick
        y = sy(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{_tick(value, step)}</text>')
    for tick in range(6):
        value = x_min + (x_max - x_min) * tick / 5
        parts.append(f'<text x="{sx(value):.1f}" y="{top + plot_h + 16}" text-anchor="middle" {_FONT}>'
                     f'{_tick(value, (x_max - x_min) / 5)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" {_FONT}>'
                 f'{escape(x_label)}</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" {_FONT} '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    if points:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"><title>{_number(x)}: '
                  f'{_number(y)}</title></circle>' for x, y in points]
    parts.append("</svg>")
    return "\n".join(parts)


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least raw (axis ticks people can read)."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)


def _tick(value: float, step: float) -> str:
    return f"{value:,.0f}" if float(step).is_integer() else f"{value:.2f}"


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.2f}"
