import logging
import time
from dataclasses import asdict, dataclass

from csp.constants import HEADER
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.utils import translation

from lib.localcache import LocalCache

logger = logging.getLogger("chorus.db")


def service_unavailable() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "10"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """When the database is unreachable, say "please try again" with a 503.

    Never a 500, and never a success page for something that was not stored.
    Once a request has found the database gone, the process answers 503 at once
    for the next BREAKER_SECONDS instead of letting every request wait out the
    connection timeouts: during an outage under load, waiting requests would
    fill every thread and nobody would get an answer at all. Pages kept by
    SharedCacheMiddleware (listed before this one) go on being served.
    """

    BREAKER_SECONDS = 1.0
    _unavailable_until = 0.0

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if time.monotonic() < DatabaseUnavailableMiddleware._unavailable_until:
            return service_unavailable()
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_unavailable(exception):
            return None
        logger.warning("database unavailable: %s", exception)
        if "locked" not in str(exception):  # SQLite's busy writers are not an outage
            DatabaseUnavailableMiddleware._unavailable_until = (
                time.monotonic() + self.BREAKER_SECONDS
            )
        return service_unavailable()


def _is_unavailable(exception) -> bool:
    if isinstance(exception, (OperationalError, InterfaceError)) or _is_pool_timeout(exception):
        return True
    return isinstance(exception, DatabaseError) and "connection" in str(exception).lower()


def _is_pool_timeout(exception) -> bool:
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is a locked dependency
        return False
    return isinstance(exception, PoolTimeout)


# Responses kept per process by SharedCacheMiddleware, each for the seconds its view chose.
kept_responses = LocalCache(ttl=0, max_entries=2000)
# (Host, X-Forwarded-Host) pairs Django has accepted (ALLOWED_HOSTS), so lib.wsgi can
# serve kept responses without building a request. Bounded: hostile Host headers are
# refused by Django and never land here.
accepted_hosts: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class _KeptResponse:
    status: int
    headers: tuple
    content: bytes
    seconds: float


class SharedCacheMiddleware:
    """Serve what shared caches may keep straight from memory, and keep it clean.

    A view marks a response that is the same for every visitor with
    `shared_cache = <seconds>` (the petition page, the count). This middleware,
    first in MIDDLEWARE, then
    * strips anything per visitor from it: a browser carrying a stale CSRF or
      session cookie would otherwise get Set-Cookie (and Vary: Cookie), and a
      CDN would not cache the page, or cache it per visitor;
    * keeps it in this process for that many seconds, keyed by path and language
      (never the query string), and answers later GETs for it before any other
      middleware or view runs: no database, no Redis, no session, no cookie.
      While one thread renders an expired page the others serve the old one, and
      while the database is down (the view answers 503) the old one goes on
      being served, so the people watching a petition never see an error page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS holds on the fast path too
        if len(accepted_hosts) < 100:
            accepted_hosts.add(
                (request.META.get("HTTP_HOST", ""), request.META.get("HTTP_X_FORWARDED_HOST", ""))
            )
        key = (request.path, translation.get_language())
        passed_through = []

        def respond():
            response = self.get_response(request)
            passed_through.append(response)
            if response.status_code == 503:
                raise _Unavailable(response)  # keep serving the old copy, if there is one
            seconds = getattr(response, "shared_cache", 0)
            if not seconds or response.status_code != 200 or response.streaming:
                return None
            _strip_per_visitor(response)
            return _KeptResponse(
                response.status_code, tuple(response.items()), response.content, float(seconds)
            )

        try:
            kept = kept_responses.get_or_set(key, respond, ttl_for=lambda k: k.seconds if k else 0)
        except _Unavailable as outage:
            return outage.response  # the database is down and nothing was kept
        if kept is not None:
            return _replay(kept, request)
        if passed_through:  # not for sharing: a 404, a 304, a page for one visitor
            return passed_through[0]
        return self.get_response(request)  # another request found this path not for sharing


class _Unavailable(Exception):
    def __init__(self, response):
        super().__init__("service unavailable")
        self.response = response


def _strip_per_visitor(response) -> None:
    response.cookies.clear()
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    vary = [v for v in vary if v.lower() != "cookie"]
    if vary:
        response["Vary"] = ", ".join(vary)
    elif "Vary" in response:
        del response["Vary"]


def _replay(kept: _KeptResponse, request) -> HttpResponse:
    headers = dict(kept.headers)
    etag = headers.get("ETag")
    if etag and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(
            b"" if request.method == "HEAD" else kept.content, status=kept.status
        )
    for name, value in kept.headers:
        if name.lower() != "content-length" or request.method != "HEAD":
            response[name] = value
    return response


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp with the policy header built once rather than for every response.

    Chorus sets one policy for the whole site (settings.CONTENT_SECURITY_POLICY)
    and uses no nonces; a response that asks for a change through django-csp's
    decorators still goes the library's own way.
    """

    _header = None

    def process_response(self, request, response):
        if any(
            hasattr(response, a)
            for a in ("_csp_update", "_csp_replace", "_csp_config", "_csp_exempt")
        ):
            return super().process_response(request, response)
        if HEADER not in response:
            if CSPMiddleware._header is None:
                parts = self.get_policy_parts(request=request, response=response)
                CSPMiddleware._header = build_policy(**asdict(parts))
            response[HEADER] = CSPMiddleware._header
        return response
