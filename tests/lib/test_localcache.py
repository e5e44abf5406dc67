"""lib.localcache: the per-process cache in front of the hottest reads."""

from lib.localcache import LocalCache


def test_it_computes_once_while_fresh():
    cache = LocalCache(ttl=60)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get_or_set("k", compute) == 1
    assert cache.get_or_set("k", compute) == 1
    assert len(calls) == 1


def test_it_computes_again_once_expired(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    cache = LocalCache(ttl=3)
    values = iter(["old", "new"])

    assert cache.get_or_set("k", lambda: next(values)) == "old"
    clock[0] += 3.5
    assert cache.get_or_set("k", lambda: next(values)) == "new"


def test_it_caches_none_so_missing_pages_cannot_hammer_the_database():
    cache = LocalCache(ttl=60)
    calls = []
    cache.get_or_set("missing", lambda: calls.append(1))
    cache.get_or_set("missing", lambda: calls.append(1))
    assert calls == [1]


def test_it_stays_bounded_however_many_keys_are_asked_for():
    cache = LocalCache(ttl=60, max_entries=10)
    for n in range(100):
        cache.get_or_set(n, lambda n=n: n)
    assert len(cache._entries) <= 10
