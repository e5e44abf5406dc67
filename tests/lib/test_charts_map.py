"""lib.charts.tile_map: the tile-grid world map, its shades, its legend and its words."""

import xml.etree.ElementTree as ET

import pytest
from django_countries import countries
from hypothesis import given
from hypothesis import strategies as st

from lib.charts import MAP_NONE, MAP_SCALE, WORLD_TILES, WORLD_TILES_GRID, map_bins, tile_map

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {code: countries.name(code) for code in WORLD_TILES}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (Chorus's own output, in a test)


def _tiles(root: ET.Element) -> dict[str, tuple[str, str]]:
    """{code: (fill, tooltip)} for every tile drawn."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        rect, text = group.find(f"{SVG}rect"), group.find(f"{SVG}text")
        found[text.text] = (rect.get("fill"), rect.find(f"{SVG}title").text)
    return found


def test_every_tile_is_a_real_country_drawn_once_at_its_own_place():
    codes = WORLD_TILES_GRID.split()
    codes = [code for code in codes if code != ".."]

    assert len(codes) == len(set(codes)) == len(WORLD_TILES)
    assert [code for code in codes if not countries.name(code)] == []
    assert len(set(WORLD_TILES.values())) == len(WORLD_TILES)
    assert len(WORLD_TILES) > 180


def test_each_country_is_shaded_by_its_count_and_named_with_it():
    root = _parse(tile_map({"DE": 900, "FR": 3, "BM": 50}, chart_id="m", title="Map", names=NAMES))

    tiles = _tiles(root)
    assert tiles["DE"] == (MAP_SCALE[-1], "Germany: 900")
    assert tiles["FR"][1] == "France: 3"
    assert tiles["FR"][0] in MAP_SCALE[:-1]
    assert tiles["ES"] == (MAP_NONE, "Spain: 0")
    assert "BM" not in tiles  # Bermuda has no tile; the page's table lists it


def test_the_description_names_the_leading_countries_and_the_legend_the_ranges():
    root = _parse(tile_map({"DE": 900, "FR": 3}, chart_id="m", title="Map", names=NAMES))

    desc = root.find(f"{SVG}desc").text
    assert "2 countries in all" in desc
    assert "Germany 900; France 3" in desc
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text and not t.text.isupper()]
    assert legend[0] == "none"
    assert legend[-1].endswith("900")


def test_an_empty_map_says_so():
    root = _parse(tile_map({}, chart_id="m", title="Map", names=NAMES))

    assert "no signatures from any country yet" in root.find(f"{SVG}desc").text
    assert {fill for fill, _ in _tiles(root).values()} == {MAP_NONE}


def test_names_and_codes_are_escaped():
    svg = tile_map({"DE": 1}, chart_id="m", title="<b>", names={"DE": "<script>x</script>"})

    assert "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;: 1" in svg


@given(st.integers(min_value=1, max_value=10**8))
def test_the_bins_cover_one_to_the_largest_without_gap_or_overlap(largest):
    bins = map_bins(largest)

    assert bins[0][0] == 1
    assert bins[-1][1] == largest
    assert all(low <= high for low, high in bins)
    assert all(b[0] == a[1] + 1 for a, b in zip(bins, bins[1:], strict=False))
    assert len(bins) <= len(MAP_SCALE)


@pytest.mark.parametrize("largest", [1, 2, 7, 1_000_000])
def test_the_largest_country_always_gets_the_darkest_shade(largest):
    tiles = _tiles(_parse(tile_map({"KE": largest}, chart_id="m", title="Map", names=NAMES)))

    assert tiles["KE"][0] == MAP_SCALE[-1]
