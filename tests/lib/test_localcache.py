"""lib.localcache: the per-process cache in front of the hottest reads."""

import pytest

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


def test_while_one_thread_recomputes_an_expired_entry_the_others_serve_the_old_value(
    monkeypatch,
):
    import threading

    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    cache = LocalCache(ttl=3)
    cache.get_or_set("page", lambda: "v1")
    clock[0] += 5
    computing, release = threading.Event(), threading.Event()

    def slow_render():
        computing.set()
        release.wait(5)
        return "v2"

    worker = threading.Thread(target=cache.get_or_set, args=("page", slow_render))
    worker.start()
    computing.wait(5)
    renders = []
    served = cache.get_or_set("page", lambda: renders.append(1) or "other")
    release.set()
    worker.join(5)

    assert served == "v1"
    assert renders == []
    assert cache.get_or_set("page", lambda: "unused") == "v2"


def test_it_serves_the_expired_value_when_recomputing_fails(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    cache = LocalCache(ttl=3)
    cache.get_or_set("page", lambda: "v1")
    clock[0] += 5

    def database_down():
        raise ConnectionError("database down")

    assert cache.get_or_set("page", database_down) == "v1"


def test_with_nothing_to_fall_back_on_the_error_reaches_the_caller():
    cache = LocalCache(ttl=3)

    def database_down():
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        cache.get_or_set("page", database_down)


def test_keys_nobody_keeps_leave_nothing_behind():
    cache = LocalCache(ttl=60, max_entries=10)

    for n in range(10_000):
        cache.get_or_set(f"/c/{n}/", lambda: "for one visitor", ttl_for=lambda value: 0)

    assert len(cache) == 0
    assert cache.refreshing == 0


def test_discard_matching_drops_only_the_matching_keys():
    cache = LocalCache(ttl=60)
    for key in [("/p/a/", "en"), ("/p/a/signers/", "fr"), ("/p/ab/", "en"), ("/p/b/", "en")]:
        cache.set(key, key, 60)

    assert cache.discard_matching(lambda key: "/p/a/" in key[0]) == 2

    assert cache.get_fresh(("/p/a/", "en")) is None
    assert cache.get_fresh(("/p/a/signers/", "fr")) is None
    assert cache.get_fresh(("/p/ab/", "en")) == ("/p/ab/", "en")
    assert cache.get_fresh(("/p/b/", "en")) == ("/p/b/", "en")
