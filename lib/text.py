"""Text that means what it shows: one line or several, nothing hidden, nothing reordered.

A name with a line break in it can forge an email header or a CSV row; a right-to-left
override turns the public signer list backwards; a zero-width space makes two names
look alike. These rules refuse such characters by their Unicode category, so new ones
are covered the day Python's Unicode tables learn them.
"""

import unicodedata

from django.utils.translation import gettext_lazy as _

# Control (Cc), format (Cf: bidi embeddings, overrides and isolates, zero-width spaces,
# the byte-order mark, soft hyphen, tags), line and paragraph separators (Zl, Zp),
# private use (Co), surrogates (Cs) and unassigned code points (Cn).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})

# Letters, numbers, punctuation and symbols: something a reader can see.
VISIBLE_CATEGORY_CLASSES = frozenset("LNPS")

# Zero-width non-joiner and joiner. Persian, Hindi, Malayalam and Sinhala spelling needs
# them between two letters (the rule IDNA applies, RFC 5892 appendix A); elsewhere they
# only hide a difference, so they are refused like every other format character.
JOINERS = frozenset("\u200c\u200d")

LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class TextRefused(ValueError):
    """Text that cannot be kept as typed; the message speaks to the person who typed it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


MESSAGES = {
    "line_break": _("Please keep it on one line."),
    "hidden": (
        _(
            "It has invisible or control characters we cannot store. "
            "Please type it again without them."
        )
    ),
    "invisible": _("Please type at least one letter or number."),
}


def _refuse(code: str):
    raise TextRefused(MESSAGES[code], code)


def _is_letter_or_mark(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _check(value: str, allowed: str) -> None:
    """Refuse a character from REFUSED_CATEGORIES unless it is in `allowed`."""
    for index, char in enumerate(value):
        if char in allowed or unicodedata.category(char) not in REFUSED_CATEGORIES:
            continue
        if char in LINE_BREAKS and "\n" not in allowed:
            _refuse("line_break")
        if char in JOINERS and _joins_letters(value, index):
            continue
        _refuse("hidden")


def _joins_letters(value: str, index: int) -> bool:
    before, after = value[index - 1 : index], value[index + 1 : index + 2]
    return bool(before and after) and all(
        not c.isascii() and _is_letter_or_mark(c) for c in before + after
    )


def _require_visible(value: str) -> None:
    if not any(unicodedata.category(c)[0] in VISIBLE_CATEGORY_CLASSES for c in value):
        _refuse("invisible")


def single_line_clean(value: str) -> str:
    """One line of text, trimmed and in NFC, or TextRefused.

    Empty stays empty (whether it may be empty is the field's business); anything else
    must show at least one letter, number, punctuation mark or symbol.
    """
    value = value.strip()
    # The common case: printable ASCII, already NFC, visible once trimmed. isprintable()
    # is false for every category refused here, so one C-speed pass clears it.
    if value.isascii() and value.isprintable():
        return value
    value = unicodedata.normalize("NFC", value)
    _check(value, allowed="")
    if value:
        _require_visible(value)
    return value


def multi_line_clean(value: str) -> str:
    """Text of several lines, with line breaks as \\n, trimmed and in NFC, or TextRefused.

    Line feeds and tabs are kept (a comment has paragraphs, a Markdown story indents);
    every other control or format character is refused as in single_line_clean.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if value.isascii() and value.replace("\n", "").replace("\t", "").isprintable():
        return value
    value = unicodedata.normalize("NFC", value)
    _check(value, allowed="\n\t")
    if value:
        _require_visible(value)
    return value
