"""Charts drawn by Chorus itself: small, accessible SVG made on the server.

No script and no third-party host: the SVG is part of the page (or the PDF, which
WeasyPrint draws from the same markup). Each chart names itself for assistive
technology (role="img" with a <title> and a <desc> that states the figures in words),
scales with its container through its viewBox, and uses presentation attributes
rather than inline styles, so the Content-Security-Policy needs no exception.
A page shows the same numbers in a table beside each chart (DESIGN.md).

The palette is Okabe and Ito's, chosen to stay distinguishable with the common forms
of colour blindness.
"""

import math
from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000"]
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d1d9e0"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"

# Room around the plot for the axes' labels, in viewBox units.
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 12, 36


def nice_ticks(maximum: int, count: int = 4) -> list[int]:
    """Round steps from 0 to at least `maximum`: 0, 250, 500, 750, 1000 for 900."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    top = step * math.ceil(maximum / step)
    return list(range(0, top + 1, step))


def number(value: int | float) -> str:
    """1234567 as "1,234,567"; 12500 on an axis stays exact."""
    return f"{value:,.0f}"


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> SafeString:
    return format_html(
        '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'xmlns="http://www.w3.org/2000/svg" font-family="{font}" font-size="12">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=width,
        h=height,
        font=FONT,
        title=title,
        desc=desc,
        # Every piece of the body was made by format_html, which escaped its values.
        body=mark_safe(body),  # noqa: S308
    )


def _y_axis(ticks: list[int], plot_top: float, plot_bottom: float, left: float, right: float):
    scale = (plot_bottom - plot_top) / (ticks[-1] or 1)
    parts = []
    for tick in ticks:
        y = round(plot_bottom - tick * scale, 1)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" dy="4" text-anchor="end" fill="{}">{}</text>',
                left,
                right,
                y,
                y,
                GRID,
                left - 6,
                y,
                MUTED,
                number(tick),
            )
        )
    return "".join(parts), scale


def _x_labels(labels: Sequence[str], xs: Sequence[float], baseline: float, most: int) -> str:
    """At most `most` labels along the bottom, evenly picked, the last always shown."""
    if not labels:
        return ""
    every = max(1, math.ceil(len(labels) / most))
    picked = set(range(len(labels) - 1, -1, -every))
    return "".join(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
            round(xs[i], 1),
            baseline + 18,
            MUTED,
            labels[i],
        )
        for i in sorted(picked)
    )


def _series_desc(points: Sequence[tuple[str, int]], unit: str) -> str:
    if not points:
        return f"No {unit} yet."
    total = sum(v for _, v in points)
    peak_label, peak = max(points, key=lambda p: p[1])
    return (
        f"From {points[0][0]} to {points[-1][0]}: {number(total)} {unit} in all; "
        f"the most, {number(peak)}, in {peak_label}."
    )


def column_chart(
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    unit: str = "signatures",
    width: int = 640,
    height: int = 240,
    most_labels: int = 8,
    colour: str = PALETTE[0],
) -> SafeString:
    """A count per period (hour or day) as columns, oldest on the left.

    `points` are (label, value) in time order with every period present (zero where
    nothing happened), so gaps in the series show as gaps, not as joined lines.
    """
    plot_top, plot_bottom = _TOP, height - _BOTTOM
    left, right = _LEFT, width - _RIGHT
    ticks = nice_ticks(max((v for _, v in points), default=0))
    axis, scale = _y_axis(ticks, plot_top, plot_bottom, left, right)
    slot = (right - left) / max(1, len(points))
    gap = min(2.0, slot * 0.2)
    columns, xs = [], []
    for i, (label, value) in enumerate(points):
        x = left + i * slot
        xs.append(x + slot / 2)
        bar = value * scale
        columns.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                "<title>{}: {}</title></rect>",
                round(x + gap / 2, 2),
                round(plot_bottom - bar, 2),
                round(max(0.5, slot - gap), 2),
                round(bar, 2),
                colour,
                label,
                number(value),
            )
        )
    labels = _x_labels([p[0] for p in points], xs, plot_bottom, most_labels)
    body = axis + "".join(columns) + labels
    return _svg(chart_id, title, _series_desc(points, unit), width, height, body)


def line_chart(
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    unit: str = "signatures",
    width: int = 640,
    height: int = 240,
    most_labels: int = 8,
    colour: str = PALETTE[0],
    goal: int | None = None,
) -> SafeString:
    """A running figure (the total so far, day by day) as a line, with an optional goal."""
    plot_top, plot_bottom = _TOP, height - _BOTTOM
    left, right = _LEFT, width - _RIGHT
    top_value = max([v for _, v in points] + [goal or 0], default=0)
    ticks = nice_ticks(top_value)
    axis, scale = _y_axis(ticks, plot_top, plot_bottom, left, right)
    step = (right - left) / max(1, len(points) - 1)
    xs = [left + i * step for i in range(len(points))]
    coords = " ".join(
        f"{round(x, 1)},{round(plot_bottom - v * scale, 1)}"
        for x, (_, v) in zip(xs, points, strict=True)
    )
    body = axis
    if goal:
        y = round(plot_bottom - goal * scale, 1)
        body += format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="6 4"/>'
            '<text x="{}" y="{}" dy="-4" text-anchor="end" fill="{}">Goal {}</text>',
            left,
            right,
            y,
            y,
            PALETTE[5],
            right,
            y,
            INK,
            number(goal),
        )
    if points:
        body += format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" '
            'stroke-linejoin="round"/>',
            coords,
            colour,
        )
    body += _x_labels([p[0] for p in points], xs, plot_bottom, most_labels)
    if points:
        desc = f"From {points[0][0]} to {points[-1][0]}, rising to {number(points[-1][1])} {unit}."
    else:
        desc = f"No {unit} yet."
    if goal:
        desc += f" The goal is {number(goal)}."
    return _svg(chart_id, title, desc, width, height, body)


def bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    unit: str = "signatures",
    width: int = 640,
    row: int = 26,
    label_width: int = 160,
) -> SafeString:
    """Named figures (countries, sources) as horizontal bars, in the order given."""
    height = _TOP + row * max(1, len(items)) + 8
    left, right = label_width, width - 72
    largest = max((v for _, v in items), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        y = _TOP + i * row
        length = (right - left) * value / largest
        rows.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" fill="{}">{}</text>',
                left - 8,
                y + row / 2 + 4,
                INK,
                label,
                left,
                y + 4,
                round(max(0.5, length), 2),
                row - 8,
                PALETTE[i % len(PALETTE)] if len(items) <= len(PALETTE) else PALETTE[0],
                round(left + length + 6, 2),
                y + row / 2 + 4,
                INK,
                number(value),
            )
        )
    if items:
        described = "; ".join(f"{label} {number(value)}" for label, value in items[:10])
        more = f"; and {len(items) - 10} more" if len(items) > 10 else ""
        desc = f"{unit.capitalize()} by {title.lower()}: {described}{more}."
    else:
        desc = f"No {unit} yet."
    return _svg(chart_id, title, desc, width, height, "".join(rows))
