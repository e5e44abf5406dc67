"""lib.text: one line or several, nothing hidden, nothing reordered, something visible."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.text import REFUSED_CATEGORIES, TextRefused, multi_line_clean, single_line_clean

# One of each kind of character that hides, reorders or breaks text.
HOSTILE = {
    "carriage return and line feed (header injection)": "Ada\r\nBcc: victim@example.org",
    "line feed": "Ada\nLovelace",
    "carriage return": "Ada\rLovelace",
    "vertical tab": "Ada\x0bLovelace",
    "form feed": "Ada\x0cLovelace",
    "next line (U+0085)": "Ada\x85Lovelace",
    "line separator (U+2028)": "Ada\u2028Lovelace",
    "paragraph separator (U+2029)": "Ada\u2029Lovelace",
    "NUL": "Ada\x00",
    "escape": "Ada\x1b[31m",
    "delete": "Ada\x7f",
    "tab": "Ada\tLovelace",
    "right-to-left override (U+202E)": "\u202eecalevoL adA",
    "left-to-right embedding (U+202A)": "\u202aAda",
    "pop directional formatting (U+202C)": "Ada\u202c",
    "right-to-left isolate (U+2067)": "\u2067Ada\u2069",
    "first strong isolate (U+2068)": "\u2068Ada",
    "right-to-left mark (U+200F)": "Ada\u200f",
    "zero-width space (U+200B)": "A\u200bda",
    "zero-width joiner between Latin letters": "A\u200dda",
    "zero-width non-joiner at the end": "Ada\u200c",
    "byte-order mark (U+FEFF)": "\ufeffAda",
    "soft hyphen (U+00AD)": "Ada\u00ad",
    "word joiner (U+2060)": "Ada\u2060",
    "Arabic letter mark (U+061C)": "Ada\u061c",
    "tag character (U+E0041)": "Ada\U000e0041",
    "private use (U+E000)": "Ada\ue000",
    "unassigned (U+0378)": "Ada\u0378",
    "lone surrogate": "Ada\ud800",
}
INVISIBLE = {
    "a combining accent alone": "\u0301",
    "combining marks alone": "\u0300\u0301\u0302",
    "ideographic space between combining marks": "\u0301\u3000\u0301",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_one_line_refuses_line_breaks_controls_and_format_characters(value):
    with pytest.raises(TextRefused) as refused:
        single_line_clean(value)

    assert refused.value.code in {"line_break", "hidden"}


@pytest.mark.parametrize("value", ["Ada\nLovelace", "Ada\r\nBcc: x", "Ada\u2028L"])
def test_a_line_break_in_one_line_is_named_as_such(value):
    with pytest.raises(TextRefused) as refused:
        single_line_clean(value)

    assert refused.value.message == "Please keep it on one line."


@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_text_without_anything_visible_is_refused(value):
    for clean in (single_line_clean, multi_line_clean):
        with pytest.raises(TextRefused) as refused:
            clean(value)
        assert refused.value.code == "invisible"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Ada", "Ada"),
        ("  Ada Lovelace  ", "Ada Lovelace"),
        ("Zoë", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # decomposed as typed on some keyboards: stored composed
        ("Ørsted-Łukasz 李", "Ørsted-Łukasz 李"),
        ("O'Brien", "O'Brien"),
        ("Jean\u00a0Paul", "Jean\u00a0Paul"),  # a no-break space is a space
        ("محمد", "محمد"),
        ("שרה", "שרה"),
        ("मनोज", "मनोज"),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",) * 2,  # a Persian joiner
        ("क्\u200dष", "क्\u200dष"),  # Devanagari half form with a joiner
        ("!", "!"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_one_line_keeps_names_as_people_write_them(typed, kept):
    assert single_line_clean(typed) == unicodedata.normalize("NFC", kept)


def test_multi_line_keeps_paragraphs_as_line_feeds():
    assert multi_line_clean("First.\r\n\r\nSecond.\rThird.\n") == "First.\n\nSecond.\nThird."


def test_multi_line_keeps_tabs_for_indented_markdown():
    assert multi_line_clean("* one\n\t* nested") == "* one\n\t* nested"


@pytest.mark.parametrize(
    "value",
    [v for k, v in HOSTILE.items() if not any(c in v for c in "\r\n\t")],
    ids=[k for k, v in HOSTILE.items() if not any(c in v for c in "\r\n\t")],
)
def test_multi_line_refuses_every_other_control_and_format_character(value):
    with pytest.raises(TextRefused):
        multi_line_clean(value)


refused_characters = st.characters(categories=sorted(REFUSED_CATEGORIES)).filter(
    lambda c: c not in "\u200c\u200d"  # joiners between letters are their own rule, above
)


@given(before=st.text(max_size=20), bad=refused_characters, after=st.text(max_size=20))
def test_no_refused_character_survives_one_line(before, bad, after):
    try:
        cleaned = single_line_clean(before + bad + after)
    except TextRefused:
        return
    # Only trimming can remove it (a control character at either end that is also space).
    assert bad not in cleaned
    assert bad.isspace()


@given(value=st.text(max_size=60))
def test_whatever_one_line_keeps_is_trimmed_nfc_visible_and_free_of_refused_characters(value):
    try:
        cleaned = single_line_clean(value)
    except TextRefused:
        return
    assert cleaned == cleaned.strip()
    assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned == "" or any(unicodedata.category(c)[0] in "LNPS" for c in cleaned)
    for index, char in enumerate(cleaned):
        if char in "\u200c\u200d":
            assert 0 < index < len(cleaned) - 1
            continue
        assert unicodedata.category(char) not in REFUSED_CATEGORIES


@given(value=st.text(max_size=60))
def test_whatever_several_lines_keep_has_only_line_feeds_and_tabs_among_controls(value):
    try:
        cleaned = multi_line_clean(value)
    except TextRefused:
        return
    assert "\r" not in cleaned
    assert all(
        c in "\n\t\u200c\u200d" or unicodedata.category(c) not in REFUSED_CATEGORIES
        for c in cleaned
    )


@given(value=st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=60))
def test_visible_text_on_one_line_is_kept_as_typed_up_to_trimming_and_nfc(value):
    expected = unicodedata.normalize("NFC", value.strip())
    if not expected:
        assert single_line_clean(value) == ""
    else:
        assert single_line_clean(value) == expected
