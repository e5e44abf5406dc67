"""What a hostile client types into a field, and what must never come back raw.

Each payload is a string put into one field at a time; `RAW_MARKERS` are the fragments
that would be live HTML or script if a page echoed a payload without escaping it.
"""

SCRIPT = "<script>alert('chorus')</script>"
IMG_ONERROR = '"><img src=x onerror=alert(1)>'

MARKUP = [
    SCRIPT,
    IMG_ONERROR,
    "<b onmouseover=alert(1)>bold</b><iframe src=//evil.example></iframe>",
    "</textarea><svg/onload=alert(1)>",
]
MARKDOWN = [
    "[click me](javascript:alert(1))",
    '![x](https://evil.example/x.png" onerror="alert(1))',
    "[reference][evil]\n\n[evil]: javascript:alert(1)",
    "<a href='javascript:alert(1)'>raw html link</a>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]
SQL = ["'; DROP TABLE petitions_signature; --", "1 OR 1=1", '" OR ""="', "%' OR '1'='1"]
CONTROL = ["a\x00b", "\x00", "line\r\nbreak\rcarriage", "\x1b[31mred\x1b[0m", "\x7f\x08"]
UNICODE = [
    "\u202eevil.exe\u202c",  # right-to-left override
    "a\u200bb\u200cc\u200dd\ufeff",  # zero-width characters and a BOM
    "\U0001f600\u0301\u0301\u0301",  # an emoji with stacked accents
    "Ｓｃｒｉｐｔ　ｆｕｌｌｗｉｄｔｈ",
]
CSV_FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
ADDRESSES = [
    "not-an-address",
    "@example.org",
    "a@@example.org",
    "user@münchen.de",  # an IDN domain: valid
    '"quoted local"@example.org',  # a quoted local part: valid
    "grace+petitions@example.org",  # a plus tag: valid
    "a@example.org\x00",
    "x" * 250 + "@example.org",
    "a@b",
    "a@[127.0.0.1]",
]

# Fragments that are live markup when they appear unescaped in an HTML page.
RAW_MARKERS = [
    "<script>alert('chorus')",
    "<img src=x onerror",
    "<b onmouseover",
    "<iframe src=//evil",
    "<svg/onload",
    'href="javascript:',
    "href='javascript:",
    'src="https://evil.example/x.png" onerror',
    'href="data:text/html',
]


def overlong(max_length: int | None) -> str:
    """Ten times a field's maximum length, or 10,000 characters when it has none."""
    return "x" * (10 * max_length if max_length else 10_000)


def battery(field_name: str, *, max_length: int | None = None) -> list[str]:
    """The payloads one field gets: everything, plus addresses for address-like fields."""
    payloads = [*MARKUP, *MARKDOWN, *SQL, *CONTROL, *UNICODE, *CSV_FORMULAS]
    if "email" in field_name or field_name in ("reply_to", "preview_as", "to"):
        payloads += ADDRESSES
    payloads.append(overlong(max_length))
    return payloads


def raw_markers_in(html: str) -> list[str]:
    lowered = html.lower()
    return [marker for marker in RAW_MARKERS if marker.lower() in lowered]
