"""A tiny per-process cache with expiry, for the hottest reads.

A hit costs a dict lookup: no database, no Redis, no network. Entries expire
after `ttl` seconds, which is how edits reach every web process within
seconds without any cross-process invalidation message.

When an entry expires, one thread recomputes it while the others go on
serving the expired value, so a popular page is never rendered by every
thread at once. If recomputing fails (the database is down) and an expired
value exists, that value is served rather than an error.

Memory stays bounded whatever keys are asked for: at most `max_entries`
values, and no lock per key, only the set of keys some thread is computing
at this moment (at most one per thread).
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
        self._refreshing: set[Hashable] = set()
        self._lock = threading.Lock()
        self._refreshed = threading.Condition(self._lock)

    def get_or_set(
        self,
        key: Hashable,
        compute: Callable[[], Any],
        ttl_for: Callable[[Any], float] | None = None,
    ) -> Any:
        """The fresh value for `key`, computing it when missing or expired.

        `ttl_for`, if given, says how long a computed value may be kept (0: not at all).
        A first fill is computed once: other threads asking meanwhile wait for it.
        """
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        if entry is not None:
            if not self.refresh_claim(key):
                return entry[1]  # another thread is recomputing: serve the expired value
        else:
            entry = self._first_fill_claim(key)
            if entry is not None and entry[0] > time.monotonic():
                return entry[1]  # filled by the thread we waited for
        try:
            value = compute()
        except Exception:
            self.refresh_release(key)
            if entry is None:
                raise
            logger.warning("serving an expired value for %r: recomputing failed", key)
            return entry[1]
        self.set(key, value, self.ttl if ttl_for is None else ttl_for(value), release=True)
        return value

    def lookup(self, key: Hashable) -> tuple[Any, bool] | None:
        """(value, fresh) for `key`, expired values included; None if nothing is kept."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        return entry[1], entry[0] > time.monotonic()

    def get_fresh(self, key: Hashable) -> Any:
        """The value for `key` if it has not expired, else None; never computes."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def refresh_claim(self, key: Hashable) -> bool:
        """True if this thread may recompute `key`: no other thread is doing it.

        The claimant must end with `set(..., release=True)` or `refresh_release`.
        """
        with self._lock:
            if key in self._refreshing:
                return False
            self._refreshing.add(key)
            return True

    def refresh_release(self, key: Hashable) -> None:
        with self._lock:
            self._refreshing.discard(key)
            self._refreshed.notify_all()

    def set(self, key: Hashable, value: Any, ttl: float, release: bool = False) -> None:
        """Keep `value` for `ttl` seconds (not at all if 0), ending a claim if `release`."""
        with self._lock:
            self._entries.pop(key, None)  # re-inserted last: eviction takes the oldest first
            if ttl > 0:
                if len(self._entries) >= self.max_entries:
                    self._evict()
                self._entries[key] = (time.monotonic() + ttl, value)
            if release:
                self._refreshing.discard(key)
                self._refreshed.notify_all()

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def discard_matching(self, matches: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key `matches`; how many (a walk of at most max_entries)."""
        with self._lock:
            keys = [key for key in self._entries if matches(key)]
            for key in keys:
                del self._entries[key]
        return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def refreshing(self) -> int:
        """How many keys threads are computing now: the only per-key state besides values."""
        return len(self._refreshing)

    def _first_fill_claim(self, key: Hashable) -> tuple[float, Any] | None:
        """Wait while another thread fills `key`; its entry if it did, else claim it."""
        with self._lock:
            while key in self._refreshing:
                self._refreshed.wait()
            entry = self._entries.get(key)
            if entry is None or entry[0] <= time.monotonic():
                self._refreshing.add(key)
            return entry

    def _evict(self) -> None:
        """Make room: expired entries first, then the longest kept (a busy key is re-set often).

        Down to three quarters full, so a stream of new keys pays for the walk once in a while.
        """
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        room = self.max_entries * 3 // 4
        while len(self._entries) > room:
            del self._entries[next(iter(self._entries))]
