"""A tiny per-process cache with expiry, for the hottest reads.

A hit costs a dict lookup: no database, no Redis, no network. Entries expire
after `ttl` seconds, which is how edits reach every web process within
seconds without any cross-process invalidation message.

When an entry expires, one thread recomputes it while the others go on
serving the expired value, so a popular page is never rendered by every
thread at once. If recomputing fails (the database is down) and an expired
value exists, that value is served rather than an error.
"""

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

logger = logging.getLogger("chorus.cache")


class LocalCache:
    def __init__(self, ttl: float, max_entries: int = 1000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._refreshing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get_or_set(
        self,
        key: Hashable,
        compute: Callable[[], Any],
        ttl_for: Callable[[Any], float] | None = None,
    ) -> Any:
        """The fresh value for `key`, computing it when missing or expired.

        `ttl_for`, if given, says how long a computed value may be kept (0: not at all).
        """
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        refreshing = self._refresh_lock(key)
        if entry is not None and not refreshing.acquire(blocking=False):
            return entry[1]  # another thread is recomputing: serve the expired value meanwhile
        if entry is None:
            refreshing.acquire()  # first fill: wait for whoever is computing it
            entry = self._entries.get(key)
            if entry is not None and entry[0] > time.monotonic():
                refreshing.release()
                return entry[1]
        try:
            value = compute()
        except Exception:
            if entry is None:
                raise
            logger.warning("serving an expired value for %r: recomputing failed", key)
            return entry[1]
        finally:
            refreshing.release()
        self._store(key, value, self.ttl if ttl_for is None else ttl_for(value))
        return value

    def _refresh_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            lock = self._refreshing.get(key)
            if lock is None:
                lock = self._refreshing[key] = threading.Lock()
            return lock

    def _store(self, key: Hashable, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
                self._refreshing = {k: v for k, v in self._refreshing.items() if v.locked()}
            self._entries[key] = (time.monotonic() + ttl, value)

    def get_fresh(self, key: Hashable) -> Any:
        """The value for `key` if it has not expired, else None; never computes."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
