"""lib.charts: server-drawn SVG charts that state their numbers in words."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.charts import bar_chart, column_chart, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (Chorus's own output, in a test)


@given(st.integers(min_value=0, max_value=10**9))
def test_the_ticks_start_at_zero_rise_evenly_and_cover_the_maximum(maximum):
    ticks = nice_ticks(maximum)

    assert ticks[0] == 0
    assert ticks[-1] >= maximum
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and steps.pop() > 0
    assert len(ticks) <= 6


def test_a_column_chart_draws_one_column_per_period_with_its_figure():
    points = [("09:00", 3), ("10:00", 0), ("11:00", 12)]

    root = _parse(column_chart(points, chart_id="hourly", title="Signatures per hour"))

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "hourly-title hourly-desc"
    assert root.find(f"{SVG}title").text == "Signatures per hour"
    assert root.find(f"{SVG}desc").text == (
        "From 09:00 to 11:00: 15 signatures in all; the most, 12, in 11:00."
    )
    columns = root.findall(f"{SVG}rect")
    assert [c.find(f"{SVG}title").text for c in columns] == ["09:00: 3", "10:00: 0", "11:00: 12"]
    heights = [float(c.get("height")) for c in columns]
    assert heights[1] == 0 and heights[2] == pytest.approx(heights[0] * 4)


def test_labels_are_escaped_and_never_become_markup():
    svg = bar_chart([("<script>alert(1)</script>", 5)], chart_id="c", title="Country")

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    _parse(svg)


def test_a_bar_chart_keeps_the_order_given_and_sizes_bars_by_value():
    root = _parse(bar_chart([("France", 40), ("Spain", 10)], chart_id="c", title="Country"))

    bars = root.findall(f"{SVG}rect")
    assert float(bars[0].get("width")) == pytest.approx(float(bars[1].get("width")) * 4)
    assert root.find(f"{SVG}desc").text == "Signatures by country: France 40; Spain 10."


def test_a_line_chart_draws_the_goal_and_says_where_the_line_ends():
    root = _parse(
        line_chart([("1 Dec", 10), ("2 Dec", 250)], chart_id="t", title="Total", goal=500)
    )

    assert root.find(f"{SVG}polyline") is not None
    assert root.find(f"{SVG}desc").text == (
        "From 1 Dec to 2 Dec, rising to 250 signatures. The goal is 500."
    )


@pytest.mark.parametrize("chart", [column_chart, line_chart, bar_chart])
def test_an_empty_chart_says_so(chart):
    root = _parse(chart([], chart_id="e", title="Nothing"))

    assert root.find(f"{SVG}desc").text == "No signatures yet."
