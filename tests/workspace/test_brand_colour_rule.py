"""The brand colour's rule (orgs.brand): what it refuses, what it suggests, and that every
colour it accepts keeps the public pages and the workspace within WCAG AA."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import assume, given
from hypothesis import strategies as st

from lib.contrast import WHITE, contrast_ratio
from orgs.brand import (
    LIGHT_BACKGROUNDS,
    brand_colour_problem,
    brand_palette,
    brand_stylesheet,
)
from orgs.models import DEFAULT_PRIMARY_COLOUR

colours = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06x}")


def _channels(low: int, high: int):
    channel = st.integers(min_value=low, max_value=high)
    return st.tuples(channel, channel, channel).map(
        lambda rgb: "#" + "".join(f"{c:02x}" for c in rgb)
    )


# Most colours are refused or most accepted depending on where they are drawn from; these
# keep the `assume` below from throwing most draws away (Hypothesis's health check).
light_colours = st.one_of(colours, _channels(0x80, 0xFF))
dark_colours = st.one_of(colours, _channels(0x00, 0x60))
STATIC = Path(settings.BASE_DIR) / "static" / "chorus"


def _root_colours(stylesheet: str) -> dict[str, str]:
    root = re.search(r":root\s*{([^}]*)}", (STATIC / stylesheet).read_text()).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})", root))


def _pairs_with_the_brand(stylesheet: str, palette) -> list[tuple[str, str, str, str, float]]:
    """The brand pairs tests/test_templates_a11y.py checks on the built-in green, for
    any brand colour: text 4.5:1, the count's bar against its track 3:1."""
    colours = {
        **_root_colours(stylesheet),
        "--brand": palette.brand,
        "--brand-dark": palette.brand_dark,
        "--on-brand": palette.on_brand,
    }
    pairs = [
        ("--brand", "--bg", 4.5),
        ("--brand", "--soft", 4.5),
        ("--brand-dark", "--bg", 4.5),
        ("--brand-dark", "--soft", 4.5),
        ("--on-brand", "--brand", 4.5),
        ("--on-brand", "--brand-dark", 4.5),
        ("--brand", "--track", 3.0),
        ("--brand", "--canvas", 4.5),
    ]
    return [(a, b, colours[a], colours[b], m) for a, b, m in pairs if b in colours]


def test_the_built_in_green_passes():
    assert brand_colour_problem(DEFAULT_PRIMARY_COLOUR) is None


def test_the_light_backgrounds_it_checks_are_those_the_stylesheets_use():
    public, staff = _root_colours("chorus.css"), _root_colours("staff.css")

    used = {public["--bg"], public["--soft"], staff["--bg"], staff["--soft"], staff["--canvas"]}

    assert used <= set(LIGHT_BACKGROUNDS)


@given(colours)
def test_it_accepts_exactly_the_colours_that_pass_both_ways(colour):
    as_text = min(contrast_ratio(colour, b) for b in LIGHT_BACKGROUNDS)
    text_on_it = max(contrast_ratio(WHITE, colour), contrast_ratio("#1b1f1c", colour))

    accepted = brand_colour_problem(colour) is None

    assert accepted == (as_text >= 4.5 and text_on_it >= 4.5)


@given(light_colours)
def test_the_shade_it_suggests_for_a_refused_colour_is_accepted(colour):
    problem = brand_colour_problem(colour)
    assume(problem is not None)

    [suggestion] = re.findall(r"Try (#[0-9a-f]{6}),", problem)

    assert brand_colour_problem(suggestion) is None


@pytest.mark.parametrize("stylesheet", ["chorus.css", "staff.css"])
@given(colour=dark_colours)
def test_every_accepted_colour_keeps_the_pages_within_aa(stylesheet, colour):
    assume(brand_colour_problem(colour) is None)
    palette = brand_palette(colour)

    for foreground, background, first, second, minimum in _pairs_with_the_brand(
        stylesheet, palette
    ):
        ratio = contrast_ratio(first, second)
        assert ratio >= minimum, f"{colour}: {foreground} on {background} is {ratio:.2f}:1"


@given(colours)
def test_the_stylesheet_is_the_palette_and_nothing_a_colour_could_break_out_of(colour):
    palette = brand_palette(colour)

    css = brand_stylesheet(colour)

    assert css.startswith(
        f":root{{--brand:{palette.brand};--brand-dark:{palette.brand_dark};"
        f"--on-brand:{palette.on_brand}}}\n"
    )
    assert css.count("{") == css.count("}") == 2


@pytest.mark.parametrize("junk", ["red", "#12345", "#0b5d1e;}", "", "#GGGGGG", "#0B5D1E"])
def test_anything_but_a_lower_case_hex_colour_is_refused_with_the_format(junk):
    assert brand_colour_problem(junk).startswith("Enter the colour as # and six")
