"""Charts as SVG drawn on the server: stacked columns, a line, a ring and horizontal bars, each
with axes, gridlines, labels and a text alternative. No JavaScript and nothing fetched.

Every chart is a `viewBox` scaled to its container; the page's CSS sets the fonts (classes
`ax`, `lbl`, `val`), and each mark carries a `<title>` that browsers show on hover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .layout import Markup, join

__all__ = [
    "BarRow",
    "Column",
    "Series",
    "bar_list",
    "column_chart",
    "line_chart",
    "nice_ticks",
    "ring_chart",
]

#: The default drawing size; give each chart the width it is shown at, so that its text
#: comes out at the page's text size.
WIDTH, HEIGHT = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 16, 30, 38
GRID, AXIS = "#e5e9f0", "#94a3b8"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    color: str


@dataclass(frozen=True, slots=True)
class Column:
    """One x position: its label, one value per series (stacked), and a hover text."""

    label: str
    values: tuple[float, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    value: float
    color: str
    note: str = ""


def nice_ticks(high: float, count: int = 4, *, whole: bool = True) -> list[float]:
    """Tick values from 0 past `high` in steps of 1, 2, 2.5 or 5 times a power of ten."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    top = math.ceil(high / step - 1e-9) * step
    return [i * step for i in range(round(top / step) + 1)]


def _num(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.9f}".rstrip("0")


def _svg(label: str, body: Markup, width: int, height: int = HEIGHT) -> Markup:
    return Markup(
        '<svg class="chart-svg" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">'
        "<title>{label}</title>{body}</svg>"
    ).format(w=width, h=height, label=label, body=body)


def _y_axis(ticks: Sequence[float], scale: float, unit: str, width: int) -> Markup:
    """Gridlines and value labels on the left, and the unit's name above them."""
    bottom, parts = HEIGHT - _BOTTOM, []
    for tick in ticks:
        y = bottom - tick * scale
        text = _num(tick)
        parts.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}"/>'
                '<text class="ax" x="{tx}" y="{ty:.1f}" text-anchor="end">{t}</text>'
            ).format(x1=_LEFT, x2=width - _RIGHT, y=y, c=GRID, tx=_LEFT - 6, ty=y + 4, t=text)
        )
    parts.append(
        Markup('<text class="ax" x="{}" y="{}" text-anchor="start">{}</text>').format(
            4, _TOP - 14, unit
        )
    )
    parts.append(
        Markup('<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="{c}"/>').format(
            l=_LEFT, r=width - _RIGHT, b=bottom, c=AXIS
        )
    )
    return join(parts)


def _x_labels(labels: Sequence[str], band: float, width: int) -> Markup:
    """As many labels under the axis as fit (about one per 64 pixels)."""
    every = max(1, math.ceil(len(labels) / max(1, (width - _LEFT - _RIGHT) // 64)))
    return join(
        Markup('<text class="ax" x="{:.1f}" y="{}" text-anchor="middle">{}</text>').format(
            _LEFT + band * (i + 0.5), HEIGHT - _BOTTOM + 18, label
        )
        for i, label in enumerate(labels)
        if i % every == 0
    )


def _legend(series: Sequence[Series], width: int) -> Markup:
    parts, x = [], width - _RIGHT
    for s in reversed(series):
        x -= 14 + 7 * len(s.name)
        parts.append(
            Markup(
                '<rect x="{x}" y="6" width="10" height="10" rx="2" fill="{c}"/>'
                '<text class="lbl" x="{tx}" y="15">{n}</text>'
            ).format(x=x, c=s.color, tx=x + 14, n=s.name)
        )
        x -= 12
    return join(parts)


def column_chart(
    label: str,
    columns: Sequence[Column],
    series: Sequence[Series],
    unit: str,
    *,
    width: int = WIDTH,
) -> Markup:
    """Stacked columns, one per x position (calls per hour: answered and not)."""
    plot_h = HEIGHT - _TOP - _BOTTOM
    ticks = nice_ticks(max((sum(c.values) for c in columns), default=0))
    scale = plot_h / ticks[-1]
    band = (width - _LEFT - _RIGHT) / max(1, len(columns))
    bar = min(40.0, band * 0.72)
    marks = []
    for i, column in enumerate(columns):
        x, y = _LEFT + band * i + (band - bar) / 2, float(HEIGHT - _BOTTOM)
        for value, s in zip(column.values, series, strict=True):
            if value <= 0:
                continue
            tall = value * scale
            y -= tall
            marks.append(
                Markup(
                    '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}">'
                    "<title>{t}</title></rect>"
                ).format(x=x, y=y, w=bar, h=tall, c=s.color, t=column.note or column.label)
            )
    body = join(
        [
            _y_axis(ticks, scale, unit, width),
            *marks,
            _x_labels([c.label for c in columns], band, width),
            _legend(series, width),
        ]
    )
    return _svg(label, body, width)


def line_chart(
    label: str,
    labels: Sequence[str],
    points: Sequence[float | None],
    unit: str,
    color: str,
    *,
    width: int = WIDTH,
) -> Markup:
    """A line with a dot per known value; a missing value breaks the line."""
    plot_h = HEIGHT - _TOP - _BOTTOM
    known = [p for p in points if p is not None]
    ticks = nice_ticks(max(known, default=0), whole=False)
    scale = plot_h / ticks[-1]
    band = (width - _LEFT - _RIGHT) / max(1, len(points))
    segments: list[list[tuple[float, float]]] = [[]]
    dots = []
    for i, (text, value) in enumerate(zip(labels, points, strict=True)):
        if value is None:
            segments.append([])
            continue
        x, y = _LEFT + band * (i + 0.5), HEIGHT - _BOTTOM - value * scale
        segments[-1].append((x, y))
        dots.append(
            Markup(
                '<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#fff" stroke="{c}" '
                'stroke-width="2"><title>{t}: {v} {u}</title></circle>'
            ).format(x=x, y=y, c=color, t=text, v=_num(round(value, 1)), u=unit)
        )
    lines = join(
        Markup(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" '
            'stroke-linejoin="round"/>'
        ).format(" ".join(f"{x:.1f},{y:.1f}" for x, y in segment), color)
        for segment in segments
        if len(segment) > 1
    )
    axes = _y_axis(ticks, scale, unit, width)
    return _svg(label, join([axes, lines, *dots, _x_labels(labels, band, width)]), width)


def ring_chart(
    label: str, fraction: float | None, caption: str, color: str, *, width: int = 360
) -> Markup:
    """A ring filled to `fraction` (0..1), the percentage in its middle, a caption under it."""
    cx, cy, r, thick = width / 2, 112.0, 84.0, 24.0
    circumference = 2 * math.pi * r
    filled = circumference * (fraction or 0.0)
    middle = "—" if fraction is None else f"{fraction * 100:.0f}%"
    body = Markup(
        '<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{grid}" stroke-width="{w}"/>'
        '<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{c}" stroke-width="{w}" '
        'stroke-dasharray="{f:.1f} {rest:.1f}" transform="rotate(-90 {cx} {cy})" '
        'stroke-linecap="butt"><title>{m}</title></circle>'
        '<text class="big" x="{cx}" y="{ty}" text-anchor="middle" font-size="34" '
        'font-weight="700">{m}</text>'
        '<text class="lbl" x="{cx}" y="{cy2}" text-anchor="middle">{cap}</text>'
    ).format(
        cx=cx,
        cy=cy,
        r=r,
        grid=GRID,
        w=thick,
        c=color,
        f=filled,
        rest=circumference - filled,
        m=middle,
        ty=cy + 12,
        cy2=HEIGHT - 14,
        cap=caption,
    )
    return _svg(label, body, width)


def bar_list(label: str, rows: Sequence[BarRow], unit: str, *, width: int = WIDTH) -> Markup:
    """Horizontal bars, one row each, with a value axis along the bottom."""
    left, row_h = 190, 28
    height = _TOP + row_h * max(1, len(rows)) + _BOTTOM
    ticks = nice_ticks(max((r.value for r in rows), default=0))
    span = width - _RIGHT - left - 36
    scale = span / ticks[-1]
    bottom = height - _BOTTOM
    parts = []
    for tick in ticks:
        x = left + tick * scale
        parts.append(
            Markup(
                '<line x1="{x:.1f}" x2="{x:.1f}" y1="{t}" y2="{b}" stroke="{c}"/>'
                '<text class="ax" x="{x:.1f}" y="{ty}" text-anchor="middle">{v}</text>'
            ).format(x=x, t=_TOP - 6, b=bottom, c=GRID, ty=bottom + 16, v=_num(tick))
        )
    parts.append(
        Markup('<text class="ax" x="{}" y="{}" text-anchor="end">{}</text>').format(
            width - _RIGHT, height - 4, unit
        )
    )
    for i, row in enumerate(rows):
        y = _TOP + row_h * i
        length = row.value * scale
        parts.append(
            Markup(
                '<text class="lbl" x="{lx}" y="{ty}" text-anchor="end">{l}</text>'
                '<rect x="{x}" y="{y}" width="{w:.1f}" height="{h}" rx="3" fill="{c}">'
                "<title>{t}</title></rect>"
                '<text class="val" x="{vx:.1f}" y="{ty}">{v}</text>'
            ).format(
                lx=left - 10,
                ty=y + row_h / 2 + 4,
                l=row.label,
                x=left,
                y=y + 4,
                w=length,
                h=row_h - 8,
                c=row.color,
                t=row.note or f"{row.label}: {_num(row.value)}",
                vx=left + length + 6,
                v=_num(row.value),
            )
        )
    parts.append(
        Markup('<line x1="{l}" x2="{l}" y1="{t}" y2="{b}" stroke="{c}"/>').format(
            l=left, t=_TOP - 6, b=bottom, c=AXIS
        )
    )
    return _svg(label, join(parts), width, height)
