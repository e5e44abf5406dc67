"""Colour contrast as WCAG 2.1 measures it, and shades that reach a given contrast.

Colours are "#rrggbb" strings in sRGB. Nothing here knows Chorus's palette: callers
say which backgrounds and which ratios matter.
"""

import colorsys
import re

WHITE = "#ffffff"
# The pages' near-black text (chorus.css --ink): dark text on a light brand colour.
INK = "#1b1f1c"
# Normal text needs 4.5:1 for AA (success criterion 1.4.3); large text and the edges of
# controls and bars 3:1 (1.4.3, 1.4.11).
AA_TEXT = 4.5
AA_LARGE = 3.0

HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")


def hex_normalise(value: str) -> str | None:
    """'#RGB', '#RRGGBB' or the same without '#', as lower-case '#rrggbb'; None otherwise."""
    value = value.strip().lower().removeprefix("#")
    if len(value) == 3 and value.isascii():
        value = "".join(c * 2 for c in value)
    colour = "#" + value
    return colour if HEX_COLOUR.fullmatch(colour) else None


def _channels(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def _hex(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in (red, green, blue))


def _linear(channel: float) -> float:
    # WCAG 2.1 prints 0.03928 as the threshold, sRGB's own is 0.04045; no 8-bit value
    # lies between them (10/255 = 0.0392, 11/255 = 0.0431), so both give the same numbers.
    if channel <= 0.04045:
        return channel / 12.92
    return ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (_linear(c) for c in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """From 1 (the same) to 21 (black on white), whichever of the two is lighter.

    Not rounded: WCAG compares the exact ratio, so 4.499:1 fails 4.5:1.
    """
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str, *, light: str = WHITE, dark: str = INK) -> str:
    """White or near-black, whichever reads better on `background`."""
    if contrast_ratio(light, background) >= contrast_ratio(dark, background):
        return light
    return dark


def _with_lightness(colour: str, lightness: float) -> str:
    hue, _, saturation = colorsys.rgb_to_hls(*_channels(colour))
    return _hex(*colorsys.hls_to_rgb(hue, lightness, saturation))


def _lightness(colour: str) -> float:
    return colorsys.rgb_to_hls(*_channels(colour))[1]


def darker_until(colour: str, *, against: list[str], ratio: float) -> str:
    """The lightest shade of `colour` (same hue and saturation, less light) that reaches
    `ratio` against every colour in `against`; `colour` itself if it already does.

    Lowering HSL lightness never raises any RGB channel, so contrast against a lighter
    background only grows as lightness falls: a bisection finds the threshold. Black
    is the last resort, and reaches 4.5:1 on anything lighter than mid grey.
    """

    def passes(shade: str) -> bool:
        return all(contrast_ratio(shade, other) >= ratio for other in against)

    if passes(colour):
        return colour
    low, high = 0.0, _lightness(colour)  # passes at low (or nothing does), fails at high
    for _ in range(24):
        middle = (low + high) / 2
        if passes(_with_lightness(colour, middle)):
            low = middle
        else:
            high = middle
    shade = _with_lightness(colour, low)
    # Rounding to 8 bits may land a hair short: step down until it truly passes.
    while not passes(shade) and low > 0:
        low = max(0.0, low - 1 / 510)
        shade = _with_lightness(colour, low)
    return shade


def darker_shade(colour: str, *, by: float = 0.25) -> str:
    """`colour` with its HSL lightness lowered by the fraction `by` (a hover shade)."""
    return _with_lightness(colour, _lightness(colour) * (1 - by))
