"""Public JSON endpoints limited per client network, so a scraper cannot poll them freely.

Counted per /24 (IPv4) or /48 (IPv6) network with lib.ratelimit's fixed windows, in the
cache every process shares (Redis at scale); the limit fails open when the cache is down.
Answers the page cache keeps (chorus.pagecache) never reach the view, so they are not
counted: they are the same bytes for everyone, served from memory (docs/trust.md).
"""

import time
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

from lib.clientip import client_network
from lib.ratelimit import window_hit

WINDOW = 60


def json_rate_limited(view):
    """Answer 429 with Retry-After once the client's network passed PUBLIC_JSON_PER_MINUTE."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        network = client_network(request.META) or "unknown"
        now = time.time()
        if window_hit(f"json:{network}", window=WINDOW, now=now) > settings.PUBLIC_JSON_PER_MINUTE:
            return too_many_requests(retry_after=WINDOW - int(now) % WINDOW)
        return view(request, *args, **kwargs)

    limited.json_rate_limited = True
    return limited


def too_many_requests(*, retry_after: int) -> JsonResponse:
    response = JsonResponse({"error": "too many requests", "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response
