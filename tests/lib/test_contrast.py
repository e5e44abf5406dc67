"""lib.contrast: WCAG 2.1 contrast, and shades that reach a ratio."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.contrast import (
    INK,
    WHITE,
    contrast_ratio,
    darker_shade,
    darker_until,
    hex_normalise,
    relative_luminance,
    text_colour_on,
)

colours = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06x}")


@pytest.mark.parametrize(
    ("foreground", "background", "expected"),
    [
        # Published values (WebAIM's contrast checker, the WCAG understanding documents).
        ("#ffffff", "#767676", 4.54),
        ("#777777", "#ffffff", 4.48),
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.0),
        ("#008000", "#ffffff", 5.14),
        ("#595959", "#ffffff", 7.0),
    ],
)
def test_it_measures_contrast_as_wcag_publishes_it(foreground, background, expected):
    assert contrast_ratio(foreground, background) == pytest.approx(expected, abs=0.005)


def test_it_does_not_round_a_ratio_up_to_pass():
    # #777777 on white is 4.478: shown as 4.48 by checkers, and a failure of 4.5:1.
    assert contrast_ratio("#777777", WHITE) < 4.5 <= contrast_ratio("#767676", WHITE)


def test_relative_luminance_runs_from_black_to_white():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert relative_luminance("#808080") == pytest.approx(0.2159, abs=0.0001)


@pytest.mark.parametrize(
    ("typed", "colour"),
    [
        ("#0B5D1E", "#0b5d1e"),
        ("0b5d1e", "#0b5d1e"),
        ("  #abc ", "#aabbcc"),
        ("#abcd", None),
        ("#gggggg", None),
        ("", None),
        ("#0b5d1e\n", "#0b5d1e"),
        ("#٠١٢٣٤٥", None),  # Arabic-Indic digits are digits, not hex
        ("red", None),
    ],
)
def test_it_reads_a_hex_colour_or_refuses_it(typed, colour):
    assert hex_normalise(typed) == colour


def test_it_puts_white_on_dark_colours_and_ink_on_light_ones():
    assert text_colour_on("#0b5d1e") == WHITE
    assert text_colour_on("#ffcc00") == INK
    assert text_colour_on("#ffffff") == INK


@given(colours, colours)
def test_contrast_is_symmetric_and_between_1_and_21(first, second):
    ratio = contrast_ratio(first, second)

    assert ratio == contrast_ratio(second, first)
    assert 1 <= ratio <= 21.0000001


@given(colours)
def test_the_text_colour_chosen_is_the_more_readable_of_the_two(background):
    chosen = text_colour_on(background)
    other = INK if chosen == WHITE else WHITE

    assert contrast_ratio(chosen, background) >= contrast_ratio(other, background)


@given(colours, st.sampled_from([3.0, 4.5, 7.0]))
def test_a_shade_darkened_for_a_ratio_reaches_it_on_white(colour, ratio):
    shade = darker_until(colour, against=[WHITE], ratio=ratio)

    assert contrast_ratio(shade, WHITE) >= ratio
    assert relative_luminance(shade) <= relative_luminance(colour)
    if contrast_ratio(colour, WHITE) >= ratio:
        assert shade == colour


@given(colours)
def test_a_shade_darkened_for_several_backgrounds_reaches_the_ratio_on_each(colour):
    backgrounds = ["#ffffff", "#eef2ec", "#dde5da"]

    shade = darker_until(colour, against=backgrounds, ratio=4.5)

    assert all(contrast_ratio(shade, b) >= 4.5 for b in backgrounds)


@given(colours)
def test_the_darkened_shade_is_the_lightest_that_passes_give_or_take_a_step(colour):
    shade = darker_until(colour, against=[WHITE], ratio=4.5)
    if shade == colour:
        return
    # A noticeably lighter shade of the same hue would fail: the suggestion is not
    # needlessly dark.
    lighter = darker_shade(shade, by=-0.04)

    assert contrast_ratio(lighter, WHITE) < 4.5 or lighter == shade


@given(colours)
def test_a_darker_shade_is_never_lighter(colour):
    assert relative_luminance(darker_shade(colour)) <= relative_luminance(colour)
