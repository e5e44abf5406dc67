"""Which language a request is answered in, and where each language version lives.

The public pages (everything under `i18n_patterns` in chorus/urls.py) carry their
language in the URL: /fr/p/<slug>/, /de/..., /es/...; English, LANGUAGE_CODE, at the
unprefixed URL, so every link made before languages existed keeps working. Every
other path (the staff area, the admin, the API) is answered in the language the
visitor chose (the language cookie) or their browser prefers (Accept-Language).

A first visit to an unprefixed public page from a browser that prefers another of
LANGUAGES is sent to that language's URL (`language_plan`), unless the visitor
came from one of this site's own pages (they chose English in the switcher) or their
language cookie says English. The page itself stays one copy per path: the redirect is
decided before the kept page is served (chorus.pagecache), never stored in it.
`language_plan` makes both decisions in one pass: the kept-page door asks it on every
request, so what it reads of the settings is read once (lib.i18n.from_settings).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.urls import LocalePrefixPattern, URLResolver, get_resolver
from django.utils import translation
from django.utils.cache import patch_vary_headers

from lib.i18n import (
    from_settings,
    language_versions,
    languages_negotiated,
    path_language,
    prefixed_languages,
    translated_path,
)


def _public_segments() -> frozenset[str]:
    """The first segments of the routes under i18n_patterns ("p", "your-data", "" ...)."""
    segments = set()

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            else:
                segments.add(route.lstrip("^").partition("/")[0])

    for entry in get_resolver(settings.ROOT_URLCONF).url_patterns:
        if isinstance(entry, URLResolver) and isinstance(entry.pattern, LocalePrefixPattern):
            walk(entry.url_patterns, "")
    return frozenset(segments)


def is_public_path(path: str) -> bool:
    """Whether a path (without a language prefix) is one of the public, prefixed pages."""
    return path[1:].partition("/")[0] in from_settings("public_segments", _public_segments)


def negotiated_language(request) -> str:
    """The language cookie, then Accept-Language, then LANGUAGE_CODE: one of LANGUAGES."""
    if not languages_negotiated():
        return settings.LANGUAGE_CODE
    return translation.get_language_from_request(request)


def language_plan(request) -> tuple[str, str | None]:
    """(the language a request is answered in, where to send it instead or None).

    The language: the URL's; English for an unprefixed public page; the negotiated one
    elsewhere. Always one of LANGUAGES (a part of the page cache's key). The redirect:
    for a first visit to an unprefixed public page (GET or HEAD) from a browser that
    prefers another language, that page in it; whether the page is HTML is for the
    caller to check (count.json is never sent elsewhere).
    """
    # Written out rather than through path_language and is_public_path: the door asks
    # this on every request, and each call was a measurable share of its time.
    path = request.path_info
    segment = path[1:].partition("/")[0]
    if segment in from_settings("prefixed", prefixed_languages):
        return segment, None
    if segment not in from_settings("public_segments", _public_segments):
        return negotiated_language(request), None
    default = settings.LANGUAGE_CODE
    if request.method not in ("GET", "HEAD") or _from_this_site(request):
        return default, None
    wanted = translation.get_language_from_request(request)  # the caller checked there is a choice
    if wanted == default:
        return default, None
    query = request.META.get("QUERY_STRING", "")
    return default, translated_path(path, wanted) + (f"?{query}" if query else "")


def url_language(request) -> str:
    """The language a request is answered in (language_plan's first half)."""
    path = request.path_info
    from_path = path_language(path)
    if from_path is not None:
        return from_path
    if is_public_path(path):
        return settings.LANGUAGE_CODE
    return negotiated_language(request)


def _from_this_site(request) -> bool:
    """Whether the visitor followed a link on this site (the switcher's English link, say).

    Only ever keeps a visitor on the English page, so a forged Referer gains nothing.
    """
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return False
    meta = request.META
    host = meta.get("HTTP_X_FORWARDED_HOST") or meta.get("HTTP_HOST") or meta.get("SERVER_NAME")
    return bool(host) and urlsplit(referer).netloc.lower() == host.lower()


class PathLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware with Chorus's rule for which language a path takes.

    Django's own answers every unprefixed URL in LANGUAGE_CODE once i18n_patterns is
    used; the staff area, outside them, keeps the visitor's choice here.
    """

    def process_request(self, request):
        language = url_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        if path_language(request.path_info) is None and "Accept-Language" not in response.get(
            "Vary", ""
        ):
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def languages_context(request) -> dict:
    """The language versions of the page being drawn, for base.html's switcher and
    hreflang links: only on the public pages, which have them, and not on a page reached
    by an emailed link (a token in its URL), which would repeat the secret in the page
    and make one link's page differ from another's."""
    path = request.path_info
    if path_language(path) is None and not is_public_path(path):
        return {}
    match = getattr(request, "resolver_match", None)
    if match is not None and "token" in match.kwargs:
        return {}
    return {"language_versions": language_versions(path)}
