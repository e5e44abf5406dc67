"""The page cache: responses every visitor shares, kept whole and answered from memory.

A view marks a response that is the same for every visitor, whatever the query
string, with `response.shared_cache = <seconds>` (the petition page, the count).
Nothing else goes through the cache: a GET for any other page runs as if the cache
were not there, at the same time as any other request for the same path.

A marked response is kept in this process for its seconds, keyed by path and
language (never the query string), once it has been made fit for everyone:
* anything per visitor stripped (a stale CSRF or session cookie would otherwise
  bring Set-Cookie and Vary: Cookie, and a CDN would not keep the page, or keep it
  per visitor);
* an ETag, the view's own or a digest of the body (which says nothing about the
  rows behind it), and Content-Language;
* compressed once, here, with gzip and brotli,
  each encoding with its own ETag, `Vary: Accept-Encoding` on all of them.

Every answer from a kept page, whether just rendered or from memory, by the
middleware or at the WSGI door, comes from `KeptPage.answer`: the encoding the
client accepts, 304 for a matching If-None-Match, no body for HEAD.

While one thread renders an expired page again the others serve the old one, and
while the database is down (the view answers 503) the old one goes on being
served. Memory is bounded: at most MAX_KEPT_PAGES pages, no lock per path.

Each GET answered from a kept page is noted for the petition dashboard's views by
source (lib.visits: an in-process increment, flushed to the shared cache now and then).
"""

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from http.cookies import SimpleCookie

import brotli
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from chorus.languages import language_plan
from lib.i18n import languages_negotiated, path_language
from lib.localcache import LocalCache
from lib.visits import visit_note

MAX_KEPT_PAGES = 2000
# Smaller bodies gain less from compression than its header costs (as Django's GZipMiddleware).
MIN_COMPRESS_BYTES = 200
COMPRESSIBLE_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")
STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}

kept_pages = LocalCache(ttl=0, max_entries=MAX_KEPT_PAGES)
# (Host, X-Forwarded-Host) pairs Django has accepted (ALLOWED_HOSTS), so the door can
# answer without building a request. Hostile Host headers are refused by Django and
# never land here; the bound keeps a host-rotating client from growing it anyway.
accepted_hosts: set[tuple[str, str]] = set()
MAX_ACCEPTED_HOSTS = 100


@dataclass(frozen=True)
class Encoded:
    """One encoding of a kept page, with the headers of its 200 and its 304."""

    body: bytes
    etag: str
    headers: list[tuple[str, str]]
    not_modified_headers: list[tuple[str, str]]


@dataclass(frozen=True)
class KeptPage:
    encodings: dict[str, Encoded]  # "identity", and "gzip", "br" when they pay
    html: bool = False  # a page a first visit may be sent to its language version of

    def answer(
        self, method: str, if_none_match: str, accept_encoding: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) for this request: the one place for 304, HEAD and encoding."""
        encoded = self.encodings[_encoding_for(accept_encoding, tuple(self.encodings))]
        if if_none_match and _etag_matches(if_none_match, encoded.etag):
            return 304, encoded.not_modified_headers, b""
        return 200, encoded.headers, b"" if method == "HEAD" else encoded.body


def page_keep(response: HttpResponse, *, language: str, by_language: bool = True) -> KeptPage:
    """The response as every visitor may be served it, encoded once in each way that pays.

    `by_language`: whether the same path may answer another language (an unprefixed
    URL: a browser preferring French is sent elsewhere), so a shared cache must vary.
    """
    _strip_per_visitor(response)
    body = response.content
    etag = response.get("ETag") or f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    vary = [v for v in vary if v.lower() != "accept-language"]
    if by_language and _negotiates_language():
        vary.append("Accept-Language")
    bodies = {"identity": body, **_compressed(body, response.get("Content-Type", ""))}
    if len(bodies) > 1:
        vary.append("Accept-Encoding")
    skipped = {"content-length", "etag", "vary", "content-encoding", "content-language"}
    common = [(name, value) for name, value in response.items() if name.lower() not in skipped]
    common.append(("Content-Language", language))
    if vary:
        common.append(("Vary", ", ".join(vary)))
    encodings = {}
    for encoding, content in bodies.items():
        tag = etag if encoding == "identity" else _etag_with_suffix(etag, encoding)
        headers = [*common, ("ETag", tag)]
        if encoding != "identity":
            headers.append(("Content-Encoding", encoding))
        # A 304 says which representation is still good, not what its body is like.
        not_modified = [(n, v) for n, v in headers if n.lower() not in ("content-type",)]
        headers.append(("Content-Length", str(len(content))))
        encodings[encoding] = Encoded(content, tag, headers, not_modified)
    return KeptPage(encodings, html=response.get("Content-Type", "").startswith("text/html"))


def _compressed(body: bytes, content_type: str) -> dict[str, bytes]:
    if len(body) < MIN_COMPRESS_BYTES or not content_type.startswith(COMPRESSIBLE_TYPES):
        return {}
    bodies = {
        "gzip": gzip.compress(body, compresslevel=9, mtime=0),
        # Quality 5 is within a few per cent of 11 on a page, at a tenth of the time.
        "br": brotli.compress(body, quality=5),
    }
    return {encoding: content for encoding, content in bodies.items() if len(content) < len(body)}


def _etag_with_suffix(etag: str, encoding: str) -> str:
    """Each encoding is its own representation, so it needs its own entity tag."""
    return f'{etag[:-1]}-{encoding}"' if etag.endswith('"') else f"{etag}-{encoding}"


@lru_cache(maxsize=256)
def _encoding_for(accept_encoding: str, available: tuple[str, ...]) -> str:
    """The best encoding the client accepts: brotli, then gzip, else the plain body."""
    accepted = set()
    refused = set()
    for item in accept_encoding.lower().split(","):
        name, _, params = item.partition(";")
        name = name.strip()
        quality = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
        try:
            (accepted if float(quality) > 0 else refused).add(name)
        except ValueError:
            continue
    for encoding in ("br", "gzip"):
        offered = encoding in available and encoding not in refused
        if offered and (encoding in accepted or "*" in accepted):
            return encoding
    return "identity"


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: the same tag, W/ or not, or *."""
    if if_none_match.strip() == "*":
        return True
    plain = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == plain for tag in if_none_match.split(","))


def _strip_per_visitor(response: HttpResponse) -> None:
    response.cookies.clear()
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    vary = [v for v in vary if v.lower() != "cookie"]
    if vary:
        response["Vary"] = ", ".join(vary)
    elif "Vary" in response:
        del response["Vary"]


def _negotiates_language() -> bool:
    return languages_negotiated()


def request_plan(request) -> tuple[str, str | None]:
    """The language a request is answered in and where a first visit goes instead
    (chorus.languages.language_plan): the URL's language for a public page, else the
    language cookie, then Accept-Language, then LANGUAGE_CODE; always one of LANGUAGES,
    so a made-up header cannot make a new cache key. With one language there is nothing
    to negotiate or redirect.
    """
    if not languages_negotiated():
        return settings.LANGUAGE_CODE, None
    return language_plan(request)


def request_language(request) -> str:
    return request_plan(request)[0]


# What the middleware below this one adds to every answer. A language redirect is made
# above them, so it takes these from the page it stands for.
_SECURITY_HEADERS = frozenset(
    name.lower()
    for name in (
        "Content-Security-Policy",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
        "Referrer-Policy",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
    )
)


def language_redirect_response(location: str, page_headers) -> HttpResponse:
    """A first visit sent to its language's URL: for this visitor only, never kept.

    It carries the security headers of the page it stands for (`page_headers`: name and
    value pairs), HSTS included, as every other answer does.
    """
    response = HttpResponseRedirect(location)
    for name, value in page_headers:
        if name.lower() in _SECURITY_HEADERS:
            response[name] = value
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    patch_cache_control(response, private=True, max_age=0)
    return response


class _EnvironRequest:
    """What language negotiation reads of a request, straight from the WSGI environ."""

    def __init__(self, environ):
        self.META = environ
        self.method = environ.get("REQUEST_METHOD")
        self.path_info = environ.get("PATH_INFO", "") or "/"

    @property
    def COOKIES(self) -> dict:  # noqa: N802 - the name HttpRequest gives it
        header = self.META.get("HTTP_COOKIE", "")
        if settings.LANGUAGE_COOKIE_NAME not in header:
            return {}
        cookie = SimpleCookie()
        cookie.load(header)
        return {name: morsel.value for name, morsel in cookie.items()}


class PageCacheMiddleware:
    """First in MIDDLEWARE: negotiates the language, keeps marked pages, answers from memory.

    The language is settled here, for every request, because it is part of the key
    and must be known before the view runs; the view then renders in that language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language, redirect_to = request_plan(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        if request.method != "GET" and request.method != "HEAD":
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS holds for kept pages too
        _remember_host(request.META)
        key = (request.path, language)
        found = kept_pages.lookup(key)
        if found is None:
            return self._render(request, key, language, stale=None, redirect_to=redirect_to)
        kept, fresh = found
        if redirect_to and kept.html:
            return language_redirect_response(redirect_to, kept.encodings["identity"].headers)
        if fresh or not kept_pages.refresh_claim(key):
            return _response(kept, request)  # fresh, or another thread is rendering it again
        try:
            return self._render(request, key, language, stale=kept, redirect_to=redirect_to)
        finally:
            kept_pages.refresh_release(key)

    def _render(self, request, key, language, stale: KeptPage | None, redirect_to=None):
        response = self.get_response(request)
        if response.status_code == 503 and stale is not None:
            return _response(stale, request)  # the database is down: the old copy will do
        seconds = getattr(response, "shared_cache", 0)
        is_page = response.status_code == 200 and not response.streaming
        if redirect_to and is_page and response.get("Content-Type", "").startswith("text/html"):
            if seconds:
                kept_pages.set(key, page_keep(response, language=language), seconds)
            return language_redirect_response(redirect_to, response.items())
        if not seconds or not is_page:
            if stale is not None:
                kept_pages.discard(key)  # no longer for everyone: unpublished, gone
            return response
        by_language = path_language(request.path_info) is None
        kept = page_keep(response, language=language, by_language=by_language)
        kept_pages.set(key, kept, seconds)
        return _response(kept, request)


def petition_pages_forget(sender, petition=None, **kwargs) -> None:
    """Receives petitions.signals.petition_page_changed: drop this process's copies of
    every page under the petition's path (its page, signers, updates, widget...) in every
    language, so the next visitor sees the change at once."""
    if petition is None:
        return
    path = petition.get_absolute_url()
    kept_pages.discard_matching(lambda key: path in key[0])


def _remember_host(meta) -> None:
    if len(accepted_hosts) < MAX_ACCEPTED_HOSTS:
        accepted_hosts.add((meta.get("HTTP_HOST", ""), meta.get("HTTP_X_FORWARDED_HOST", "")))


def _response(kept: KeptPage, request) -> HttpResponse:
    if request.method == "GET":
        visit_note(request.path, request.META.get("QUERY_STRING", ""))
    status, headers, body = kept.answer(
        request.method,
        request.META.get("HTTP_IF_NONE_MATCH", ""),
        request.META.get("HTTP_ACCEPT_ENCODING", ""),
    )
    response = HttpResponse(body, status=status)
    del response["Content-Type"]  # a 304 has none; a 200 brings its own
    for name, value in headers:
        response[name] = value
    return response


class KeptPagesDoor:
    """Kept pages answered at the WSGI door, before Django builds a request.

    By the middleware, a page from memory still costs Django's request handling (a
    request object, signals, the middleware above, a new response); here it costs a
    dict lookup. Served only for a Host (and X-Forwarded-Host) Django has accepted
    before, so ALLOWED_HOSTS holds, and keyed and answered exactly as the middleware
    keys and answers it. Everything else, an expired page included, goes to Django.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            kept = _kept_for(environ)
            if kept is not None:
                if method == "GET":
                    visit_note(_path(environ), environ.get("QUERY_STRING", ""))
                status, headers, body = kept.answer(
                    method,
                    environ.get("HTTP_IF_NONE_MATCH", ""),
                    environ.get("HTTP_ACCEPT_ENCODING", ""),
                )
                start_response(STATUS_LINES[status], list(headers))
                return [body]
        return self.application(environ, start_response)


def _path(environ) -> str:
    return environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")


def _kept_for(environ) -> KeptPage | None:
    path = _path(environ)
    if not path.isascii():  # Django decodes other paths its own way: leave them to it
        return None
    hosts = (environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", ""))
    if hosts not in accepted_hosts:
        return None
    language, redirect_to = request_plan(_EnvironRequest(environ))
    kept = kept_pages.get_fresh((path, language))
    if kept is not None and kept.html and redirect_to:
        return None  # a first visit to be sent to its language: Django answers it
    return kept
