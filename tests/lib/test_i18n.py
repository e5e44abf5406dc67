"""lib.i18n.language_tag: a browser's Accept-Language header, reduced to one clean tag."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.i18n import STORED_MAX_LENGTH, language_tag

WELL_FORMED = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?")


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("en-GB,en;q=0.9", "en-GB"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr-CH"),
        ("EN-us", "en-US"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de;q=0.2, pt-BR;q=0.9", "pt-BR"),  # the preferred one, wherever it stands
        ("*, nl;q=0.5", "nl"),
        ("en-US-x-twain", "en-US"),  # private use dropped
        ("sl-rozaj-biske", "sl"),  # variants dropped
        ("yue-Hant-HK", "yue-HK"),  # too long for the column: the script goes first
        ("", ""),
        ("*", ""),
    ],
)
def test_it_keeps_the_most_preferred_well_formed_tag(header, tag):
    assert language_tag(header) == tag


@pytest.mark.parametrize(
    "header",
    [
        "<script>alert(1)</script>",
        "en\r\nSet-Cookie: x=1",
        "en\u202e",
        "e",
        "english",
        "en-",
        "en--GB",
        "en_GB",
        "x-klingon",
        "i-default",
        "fr;q=0",
        "de;q=abc",
        "a" * 5000,
        "en-" + "-".join(["abcdefgh"] * 10),  # longer than any real tag
        "' OR 1=1 --",
        ";q=1",
        ",,,,",
        "\x00",
    ],
)
def test_a_hostile_or_malformed_header_gives_no_tag(header):
    assert language_tag(header) == ""


def test_a_malformed_entry_is_skipped_for_the_next_well_formed_one():
    assert language_tag("<b>, en\u202e, de-AT;q=0.5") == "de-AT"


@given(header=st.text(max_size=200))
def test_whatever_arrives_the_tag_is_well_formed_or_empty(header):
    tag = language_tag(header)

    assert tag == "" or WELL_FORMED.fullmatch(tag)
    assert len(tag) <= STORED_MAX_LENGTH
