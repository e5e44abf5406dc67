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
from django.utils.translation import gettext

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
    last = len(labels) - 1
    return "".join(
        format_html(
            '<text x="{}" y="{}" text-anchor="{}" fill="{}">{}</text>',
            round(xs[i], 1),
            baseline + 18,
            # The last label ends at its point rather than running off the right edge.
            "end" if i == last and last > 0 else "middle",
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
            '<text x="{}" y="{}" dy="{}" text-anchor="end" fill="{}">Goal {}</text>',
            left,
            right,
            y,
            y,
            PALETTE[5],
            right,
            y,
            # Above the line, unless that is off the top of the chart.
            -4 if y > 16 else 14,
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


# A tile-grid world map: each country one square at its approximate place, row by row
# from the north, west to east (".." is sea or nothing). Written for Chorus, not traced
# from any map: positions are only roughly right, so neighbours stay neighbours. Small
# territories are left out; a country with no tile still appears in the page's table.
WORLD_TILES_GRID = """
.. .. .. .. GL .. .. .. .. .. IS .. .. NO SE FI .. .. .. .. .. .. .. .. .. .. .. ..
.. CA .. .. .. .. .. .. .. .. .. IE GB .. DK .. EE RU .. .. .. .. .. .. .. .. .. ..
.. US .. .. .. .. .. .. .. .. .. .. BE NL DE PL LV BY .. KZ .. MN .. .. .. .. .. ..
.. .. MX .. .. .. .. .. .. .. .. FR LU CH CZ SK LT UA .. UZ KG .. CN KP JP .. .. ..
.. .. .. CU BS .. .. .. .. .. PT ES AD LI AT HU .. MD .. TM TJ .. .. KR .. .. .. ..
.. .. GT BZ HT DO .. .. .. .. .. .. MC IT SI HR RS RO .. AF .. NP BT TW .. .. .. ..
.. .. SV HN JM PR .. .. .. .. .. .. SM VA BA ME .. BG .. PK IN BD MM HK .. .. .. ..
.. .. .. NI .. AG KN .. .. .. .. .. .. MT AL MK GR TR GE AM AZ .. LA VN .. .. .. ..
.. .. .. CR .. LC DM .. .. .. .. .. MA DZ TN LY CY SY IQ IR .. .. TH KH PH .. .. ..
.. .. .. PA .. VC BB TT .. .. .. .. EH MR ML NE EG LB JO KW .. LK .. MY .. .. .. ..
.. .. .. .. CO VE GY SR GF .. .. CV SN GM BF TD SD IL SA BH QA MV .. SG BN .. .. ..
.. .. .. .. EC BR .. .. .. .. .. .. GW GN CI NG ER PS YE AE OM .. .. ID TL PG .. ..
.. .. .. .. PE BO PY .. .. .. .. .. SL LR GH CM CF SS ET DJ .. .. .. .. .. .. SB ..
.. .. .. .. .. CL AR UY .. .. .. .. .. TG BJ GQ CG CD UG KE SO .. .. .. AU .. VU FJ WS
.. .. .. .. .. .. .. .. .. .. .. .. .. ST GA AO ZM RW BI TZ SC .. .. .. .. NC .. TO ..
.. .. .. .. .. .. .. .. .. .. .. .. .. .. NA BW ZW MW MZ KM .. .. .. .. .. NZ .. .. ..
.. .. .. .. .. .. .. .. .. .. .. .. .. .. .. ZA LS SZ MG MU .. .. .. .. .. .. .. .. ..
"""


def _tiles(grid: str) -> dict[str, tuple[int, int]]:
    tiles = {}
    for row, line in enumerate(grid.strip().splitlines()):
        for column, code in enumerate(line.split()):
            if code != "..":
                tiles[code] = (column, row)
    return tiles


WORLD_TILES: dict[str, tuple[int, int]] = _tiles(WORLD_TILES_GRID)

# A sequential blue scale (ColorBrewer's Blues): one hue from light to dark, which reads
# the same with every common form of colour blindness. Countries with none are grey.
MAP_SCALE = ["#c6dbef", "#9ecae1", "#6baed6", "#2171b5", "#08519c"]
MAP_NONE = "#eef1f4"


def map_bins(largest: int, steps: int = len(MAP_SCALE)) -> list[tuple[int, int]]:
    """Ranges (low, high) for the shades, even on a log scale: 1-2, 3-9, 10-40... up to `largest`.

    A log scale because signatures by country are skewed: one or two countries usually
    hold most of them, and an even split would paint every other country the same.
    """
    if largest <= 0:
        return []
    highs = []
    for step in range(1, steps + 1):
        high = max(1, math.ceil(largest ** (step / steps)))
        if not highs or high > highs[-1]:
            highs.append(high)
    highs[-1] = largest
    lows = [1] + [high + 1 for high in highs[:-1]]
    return list(zip(lows, highs, strict=True))


def _shade(value: int, bins: list[tuple[int, int]]) -> tuple[str, str]:
    """(fill, text colour) for a count: the shade of its bin, ink that stays readable on it."""
    if value <= 0 or not bins:
        return MAP_NONE, MUTED
    index = next(i for i, (_, high) in enumerate(bins) if value <= high)
    # Spread fewer bins across the whole scale, so the largest is always the darkest.
    darkest, above = len(MAP_SCALE) - 1, len(bins) - 1 - index
    shade = darkest - round(above * darkest / max(1, len(bins) - 1))
    return MAP_SCALE[shade], "#ffffff" if shade >= 3 else INK


def tile_map(
    counts: dict[str, int],
    *,
    chart_id: str,
    title: str,
    names: dict[str, str],
    unit: str = "signatures",
    tile: int = 24,
) -> SafeString:
    """Counts by country (ISO 3166 alpha-2) on the tile-grid world map, with a legend.

    `names` gives each code its name for the tiles' tooltips and the description. A code
    with no tile is not drawn; the page's table lists every country.
    """
    columns = max(column for column, _ in WORLD_TILES.values()) + 1
    rows = max(row for _, row in WORLD_TILES.values()) + 1
    pitch = tile + 2
    width, legend_top = columns * pitch, rows * pitch + 8
    bins = map_bins(max(counts.values(), default=0))
    parts = []
    for code, (column, row) in WORLD_TILES.items():
        value = counts.get(code, 0)
        fill, ink = _shade(value, bins)
        x, y = column * pitch, row * pitch
        parts.append(
            format_html(
                '<g><rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}">'
                "<title>{}: {}</title></rect>"
                '<text x="{}" y="{}" text-anchor="middle" font-size="9" fill="{}">{}</text></g>',
                x,
                y,
                tile,
                tile,
                fill,
                names.get(code, code),
                number(value),
                x + tile / 2,
                y + tile / 2 + 3,
                ink,
                code,
            )
        )
    parts.append(_map_legend(bins, legend_top, unit))
    return _svg(
        chart_id,
        title,
        _map_desc(counts, names, unit),
        width,
        legend_top + 28,
        "".join(parts),
    )


def _map_legend(bins: list[tuple[int, int]], top: int, unit: str) -> str:
    keys = [(MAP_NONE, gettext("none"))]
    for low, high in bins:
        keys.append(
            (
                _shade(high, bins)[0],
                number(low) if low == high else f"{number(low)}–{number(high)}",
            )
        )
    parts, x = [], 0
    for fill, label in keys:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="14" height="14" fill="{}" stroke="{}"/>'
                '<text x="{}" y="{}" fill="{}">{}</text>',
                x,
                top,
                fill,
                GRID,
                x + 18,
                top + 11,
                INK,
                label,
            )
        )
        x += 26 + 7 * len(label)
    return "".join(parts)


def _map_desc(counts: dict[str, int], names: dict[str, str], unit: str) -> str:
    present = sorted(
        ((code, value) for code, value in counts.items() if value > 0), key=lambda p: -p[1]
    )
    if not present:
        return gettext("A world map with no %(unit)s from any country yet.") % {"unit": unit}
    leaders = "; ".join(f"{names.get(code, code)} {number(value)}" for code, value in present[:5])
    return gettext(
        "A world map, one square per country, darker for more %(unit)s: %(countries)d "
        "countries in all; the most from %(leaders)s. Every figure is in the table."
    ) % {"unit": unit, "countries": len(present), "leaders": leaders}
