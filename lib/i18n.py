"""Language tags: what a browser's Accept-Language header says, reduced to one clean tag."""

import re
from functools import lru_cache

# One entry of the header, as BCP 47 (RFC 5646) spells it: a 2 or 3 letter language
# and subtags of 1 to 8 letters or digits. 35 characters hold every tag RFC 5646 asks
# an implementation to keep; longer is not a browser's preference.
_ENTRY = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_SCRIPT = re.compile(r"[A-Za-z]{4}")
_REGION = re.compile(r"[A-Za-z]{2}|[0-9]{3}")
TAG_MAX_LENGTH = 35
# Signature.language holds 10 characters.
STORED_MAX_LENGTH = 10
# Enough for any honest header (browsers send a handful of entries).
HEADER_MAX_LENGTH = 500


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def _normalised(entry: str, max_length: int) -> str:
    """language[-Script][-REGION]: extlangs, variants, extensions and private use dropped."""
    language, *rest = entry.split("-")
    parts = [language.lower()]
    if rest and _SCRIPT.fullmatch(rest[0]):
        parts.append(rest.pop(0).title())
    if rest and _REGION.fullmatch(rest[0]):
        parts.append(rest[0].upper())
    # Too long for the column: shed the script first (the region says more), then the region.
    while len("-".join(parts)) > max_length and len(parts) > 1:
        parts.pop(1)
    return "-".join(parts)


def language_tag(accept_language: str, max_length: int = STORED_MAX_LENGTH) -> str:
    """The most preferred well-formed tag in an Accept-Language header, or "".

    "*", q=0 and malformed entries are skipped; the quality values themselves are not kept.
    """
    return _language_tag(accept_language[:HEADER_MAX_LENGTH], max_length)


# Cached: browsers send few distinct headers, and the sign path asks on every request. The
# key is the header cut to HEADER_MAX_LENGTH, so hostile headers cannot make entries large.
@lru_cache(maxsize=1024)
def _language_tag(accept_language: str, max_length: int) -> str:
    candidates = []
    for position, item in enumerate(accept_language.split(",")):
        entry, _, parameters = item.partition(";")
        entry = entry.strip()
        if len(entry) > TAG_MAX_LENGTH or not _ENTRY.fullmatch(entry):
            continue
        quality = _quality(parameters) if parameters else 1.0
        if quality > 0:
            candidates.append((-quality, position, entry))
    if not candidates:
        return ""
    return _normalised(min(candidates)[2], max_length)
