"""Which language a request is answered in, and where each language version lives.

The public pages (everything under `i18n_patterns` in chorus/urls.py) carry their
language in the URL: /fr/p/<slug>/, /de/..., /es/...; English, LANGUAGE_CODE, at the
unprefixed URL, so every link made before languages existed keeps working. Every
other path (the staff area, the admin, the API) is answered in the language the
visitor chose (the language cookie) or their browser prefers (Accept-Language).

A first visit to an unprefixed public page from a browser that prefers another of
LANGUAGES is sent to that language's URL (`language_redirect`), unless the visitor
came from one of this site's own pages (they chose English in the switcher) or their
language cookie says English. The page itself stays one copy per path: the redirect is
decided before the kept page is served (chorus.pagecache), never stored in it.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.urls import LocalePrefixPattern, URLResolver, get_resolver
from django.utils import translation
from django.utils.cache import patch_vary_headers

from lib.i18n import language_versions, path_language, translated_path


@lru_cache(maxsize=4)
def _public_segments(urlconf: str) -> frozenset[str]:
    """The first segments of the routes under i18n_patterns ("p", "your-data", "" ...)."""
    segments = set()

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            else:
                segments.add(route.lstrip("^").partition("/")[0])

    for entry in get_resolver(urlconf).url_patterns:
        if isinstance(entry, URLResolver) and isinstance(entry.pattern, LocalePrefixPattern):
            walk(entry.url_patterns, "")
    return frozenset(segments)


def is_public_path(path: str) -> bool:
    """Whether a path (without a language prefix) is one of the public, prefixed pages."""
    return path[1:].partition("/")[0] in _public_segments(settings.ROOT_URLCONF)


def negotiated_language(request) -> str:
    """The language cookie, then Accept-Language, then LANGUAGE_CODE: one of LANGUAGES."""
    if not settings.USE_I18N or len(settings.LANGUAGES) < 2:
        return settings.LANGUAGE_CODE
    return translation.get_language_from_request(request)


def url_language(request) -> str:
    """The language a request is answered in: the URL's, English for an unprefixed public
    page, the negotiated one elsewhere. Always one of LANGUAGES (a cache key part)."""
    path = request.path_info
    from_path = path_language(path)
    if from_path is not None:
        return from_path
    if is_public_path(path):
        return settings.LANGUAGE_CODE
    return negotiated_language(request)


def language_redirect(request) -> str | None:
    """Where a first visit to an unprefixed public page goes: the URL in the language the
    visitor prefers, or None to serve the English page."""
    path = request.path_info
    if request.method not in ("GET", "HEAD") or path_language(path) is not None:
        return None
    if not is_public_path(path) or _from_this_site(request):
        return None
    wanted = negotiated_language(request)
    if wanted == settings.LANGUAGE_CODE:
        return None
    query = request.META.get("QUERY_STRING", "")
    return translated_path(path, wanted) + (f"?{query}" if query else "")


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
