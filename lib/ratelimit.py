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


def window_hits(counters: list[tuple[str, int]], *, now: float | None = None) -> list[int]:
    """window_hit for several (key, window) counters at once: their new counts, in order.

    On Redis one pipelined round trip (INCR, and EXPIRE so an idle slot disappears) instead
    of two or three per counter; elsewhere window_hit for each. Fails open like it: 0s.
    """
    if not counters:
        return []
    backend = getattr(cache, "_cache", None)
    if not hasattr(backend, "get_client"):  # not django.core.cache's RedisCache
        return [window_hit(key, window=window, now=now) for key, window in counters]
    moment = time.time() if now is None else now
    names = [
        cache.make_and_validate_key(f"rl:{key}:{window}:{int(moment // window)}")
        for key, window in counters
    ]
    try:
        pipeline = backend.get_client(names[0], write=True).pipeline(transaction=False)
        for name, (_, window) in zip(names, counters, strict=True):
            pipeline.incr(name)
            pipeline.expire(name, window * 2)
        return [int(count) for count in pipeline.execute()[::2]]
    except Exception:  # noqa: BLE001 - the cache is down; limits must not stop signing
        log.exception("rate limit counters %s unavailable", [key for key, _ in counters])
        return [0] * len(counters)


def window_peek(key: str, *, window: int, now: float | None = None) -> int:
    """The count for `key` in the current window, without adding to it."""
    slot = int((time.time() if now is None else now) // window)
    try:
        return int(cache.get(f"rl:{key}:{window}:{slot}") or 0)
    except Exception:  # noqa: BLE001
        log.exception("rate limit counter %s unavailable", key)
        return 0
