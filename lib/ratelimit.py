"""Fixed-window counters in Django's cache: Redis at scale, shared by every process.

With the embedded default (LocMemCache) each process counts on its own, so a limit holds
per web process; with REDIS_URL set it holds across every process and machine.
"""

import logging
import time

from django.core.cache import cache

log = logging.getLogger(__name__)


def window_hit(key: str, *, window: int, now: float | None = None) -> int:
    """Count one event for `key` in the current `window`-second window; the new count.

    Never raises: when the cache cannot be reached the answer is 0, so a limit fails open
    and signing goes on (the error is logged).
    """
    slot = int((time.time() if now is None else now) // window)
    name = f"rl:{key}:{window}:{slot}"
    try:
        try:
            return cache.incr(name)
        except ValueError:  # no such key yet: the first event of this window
            if cache.add(name, 1, timeout=window * 2):
                return 1
            return cache.incr(name)
    except Exception:  # noqa: BLE001 - the cache is down; limits must not stop signing
        log.exception("rate limit counter %s unavailable", key)
        return 0


def window_peek(key: str, *, window: int, now: float | None = None) -> int:
    """The count for `key` in the current window, without adding to it."""
    slot = int((time.time() if now is None else now) // window)
    try:
        return int(cache.get(f"rl:{key}:{window}:{slot}") or 0)
    except Exception:  # noqa: BLE001
        log.exception("rate limit counter %s unavailable", key)
        return 0
