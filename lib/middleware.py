import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("chorus.db")


def service_unavailable() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "10"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """When the database is unreachable, say "please try again" with a 503.

    Never a 500, and never a success page for something that was not stored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) or _is_pool_timeout(
            exception
        ):
            logger.warning("database unavailable: %s", exception)
            return service_unavailable()
        if isinstance(exception, DatabaseError) and "connection" in str(exception).lower():
            return service_unavailable()
        return None


def _is_pool_timeout(exception) -> bool:
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is a locked dependency
        return False
    return isinstance(exception, PoolTimeout)


class SharedCacheMiddleware:
    """Keep responses meant for shared caches free of anything per visitor.

    Views mark such responses with `shared_cache = True`. A browser carrying a
    stale CSRF or session cookie would otherwise get Set-Cookie (and Vary:
    Cookie) on them, and a CDN would refuse to cache the page or cache it per
    visitor. Listed first in MIDDLEWARE, so it sees the final response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "shared_cache", False):
            response.cookies.clear()
            vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
            vary = [v for v in vary if v.lower() != "cookie"]
            if vary:
                response["Vary"] = ", ".join(vary)
            elif "Vary" in response:
                del response["Vary"]
        return response
