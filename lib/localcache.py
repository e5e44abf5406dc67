"""A tiny per-process cache with expiry, for the hottest reads.

A hit costs a dict lookup: no database, no Redis, no network. Entries expire
after `ttl` seconds, which is how edits reach every web process within
seconds without any cross-process invalidation message.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class LocalCache:
    def __init__(self, ttl: float, max_entries: int = 1000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_set(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        entry = self._entries.get(key, _MISSING)
        now = time.monotonic()
        if entry is not _MISSING and entry[0] > now:
            return entry[1]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
