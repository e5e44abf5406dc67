"""Language tags: what a browser's Accept-Language header says, reduced to one clean tag."""

import re
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation

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


# Language versions of a page: /fr/p/x/ is the French version of /p/x/ (English,
# LANGUAGE_CODE, is unprefixed). Which paths have versions is the project's business
# (chorus.languages); these only spell the paths.


# Read from settings once, not on every request (the kept-page door asks on each one);
# forgotten when a test changes the settings.
_from_settings: dict[str, object] = {}


def from_settings(name: str, compute):
    """`compute()`'s answer, kept until a language or URL setting changes."""
    try:
        return _from_settings[name]
    except KeyError:
        found = _from_settings[name] = compute()
        return found


def prefixed_languages() -> frozenset[str]:
    """The languages whose pages sit under /<code>/: every one of LANGUAGES but the default."""
    return from_settings(
        "prefixed",
        lambda: frozenset(c for c, _ in settings.LANGUAGES if c != settings.LANGUAGE_CODE),
    )


def languages_negotiated() -> bool:
    """Whether there is more than one language to choose from."""
    return from_settings("negotiated", lambda: settings.USE_I18N and len(settings.LANGUAGES) > 1)


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "USE_I18N", "ROOT_URLCONF"):
        _from_settings.clear()


def path_language(path: str) -> str | None:
    """The language a path names in its first segment ("fr" for /fr/p/x/), else None."""
    segment = path[1:].partition("/")[0]
    return segment if segment in prefixed_languages() else None


def translated_path(path: str, language: str) -> str:
    """The same page in `language`: /fr/p/x/ for ("/p/x/", "fr"), /p/x/ for the default."""
    current = path_language(path)
    bare = path[len(current) + 1 :] if current else path
    if language == settings.LANGUAGE_CODE:
        return bare
    return f"/{language}{bare}"


def language_versions(path: str) -> list[dict]:
    """Every language version of a page, for a language switcher and hreflang links."""
    current = path_language(path) or settings.LANGUAGE_CODE
    return [
        {
            "code": code,
            "name": name,
            "path": translated_path(path, code),
            "url": settings.BASE_URL + translated_path(path, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]


def same_language(tag: str, other: str) -> bool:
    """Whether two tags name the same language, whatever their regions ("fr-CA", "fr")."""
    return tag.partition("-")[0].lower() == other.partition("-")[0].lower()


def supported_language(*tags: str) -> str:
    """The first of `tags` Chorus speaks, as one of LANGUAGES ("fr" for "fr-CA"), else
    LANGUAGE_CODE. For an email: its links must name a language the site has pages in."""
    for tag in tags:
        if tag:
            try:
                return translation.get_supported_language_variant(tag)
            except LookupError:
                continue
    return settings.LANGUAGE_CODE
