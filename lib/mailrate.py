"""How fast mail may go out: an overall rate and one per receiving provider.

Every process that sends (each worker thread, transactional or bulk) takes its turn
from the same per-second counters in the Django cache (Redis in production, so the
limits hold across processes and machines; per process with the local-memory cache).
A counter is one key per provider per second: approximate (a burst may straddle two
seconds), cheap (one INCR), and nothing to clean up (the keys expire).

A temporary refusal (SMTP 4xx) from one provider halves that provider's rate; the
rate then doubles back every MAILING_PROVIDER_RECOVER_SECONDS until it is whole
again. Other providers are untouched. A provider with no rate of its own is slowed
from the overall rate, or from SLOW_BASE_RATE messages a second when that too is
unlimited.
"""

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache

PROVIDERS = ("gmail", "microsoft", "yahoo", "other")
# A provider that refuses with no configured rate is slowed from this many per second.
SLOW_BASE_RATE = 100
# A refusing provider's rate halves at most this many times (1/64 of its rate).
SLOW_FLOOR = 1 / 64

_local = threading.local()
_slow_seen: dict[str, tuple[float, float, float]] = {}  # provider -> (read at, factor, since)
_slow_lock = threading.Lock()


def provider_of(address: str) -> str:
    """The receiving provider of an address (mailings.sending has the same rule in SQL)."""
    domain = address.rpartition("@")[2].strip().lower()
    if domain in ("gmail.com", "googlemail.com"):
        return "gmail"
    if domain in ("outlook.com", "live.com", "msn.com") or domain.startswith("hotmail."):
        return "microsoft"
    if domain in ("ymail.com", "aol.com") or domain.startswith("yahoo."):
        return "yahoo"
    return "other"


def _slow_key(provider: str) -> str:
    return f"mailrate:slow:{provider}"


def provider_factor(provider: str, now: float | None = None) -> float:
    """The share of its rate a provider gets now: 1 unless it refused lately.

    Read from the cache at most once a second per process.
    """
    now = time.time() if now is None else now
    seen = _slow_seen.get(provider)
    if seen is None or now - seen[0] > 1.0:
        stored = cache.get(_slow_key(provider))
        factor, since = stored if stored else (1.0, now)
        seen = (now, factor, since)
        with _slow_lock:
            _slow_seen[provider] = seen
    _, factor, since = seen
    if factor >= 1.0:
        return 1.0
    recover = max(settings.MAILING_PROVIDER_RECOVER_SECONDS, 1)
    return min(1.0, factor * 2 ** ((now - since) // recover))


def provider_slow(provider: str) -> float:
    """A provider refused for now (4xx): halve its rate; the new share of its rate."""
    now = time.time()
    factor = max(provider_factor(provider, now) / 2, SLOW_FLOOR)
    cache.set(_slow_key(provider), (factor, now), timeout=3600 * 6)
    with _slow_lock:
        _slow_seen[provider] = (now, factor, now)
    return factor


def provider_rate(provider: str) -> float:
    """Messages a second this provider may take now; 0 is unlimited."""
    base = settings.MAILING_PROVIDER_RATES.get(provider, 0)
    factor = provider_factor(provider)
    if factor >= 1.0:
        return base
    if not base:
        base = settings.MAILING_RATE_PER_SECOND or SLOW_BASE_RATE
    return max(base * factor, 0.5)


def _take(key: str, rate: float, second: int) -> bool:
    """One message from this second's allowance under `key`; False if it is spent.

    A rate below one a second allows one message every 1/rate seconds.
    """
    if rate < 1:
        period = math.ceil(1 / rate)
        second -= second % period
        allowance = 1
    else:
        allowance = int(rate)
    name = f"mailrate:{key}:{second}"
    cache.add(name, 0, timeout=10)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: a new second
        cache.add(name, 1, timeout=10)
        count = 1
    return count <= allowance


def mail_rate_wait(provider: str) -> float:
    """Take a turn to send one message to `provider`: 0 if it may go now, else seconds to wait.

    The overall rate is taken first; a provider's refusal costs that provider only.
    """
    overall = settings.MAILING_RATE_PER_SECOND
    rate = provider_rate(provider)
    if not overall and not rate:
        return 0.0
    now = time.time()
    second = int(now)
    wait = (second + 1) - now
    if rate and not _take(f"p:{provider}", rate, second):
        return wait if rate >= 1 else max(wait, 1 / rate - (now % (1 / rate)))
    if overall and not _take("all", overall, second):
        return wait
    return 0.0


def provider_blocked(provider: str) -> bool:
    """Whether `provider` has spent this second's allowance (claims skip it meanwhile)."""
    rate = provider_rate(provider)
    if not rate or rate < 1:
        return False
    count = cache.get(f"mailrate:p:{provider}:{int(time.time())}")
    return count is not None and count >= int(rate)


def mail_rates_forget() -> None:
    """Forget this process's view of slowed providers (tests)."""
    with _slow_lock:
        _slow_seen.clear()
