from django.core.cache import cache

from lib.ratelimit import window_hit, window_peek


def test_counts_within_a_window_and_starts_again_in_the_next():
    cache.clear()
    assert [window_hit("net:a", window=60, now=120.0) for _ in range(3)] == [1, 2, 3]
    assert window_peek("net:a", window=60, now=150.0) == 3
    assert window_hit("net:a", window=60, now=180.0) == 1
    assert window_hit("net:b", window=60, now=180.0) == 1


def test_a_broken_cache_fails_open(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    assert window_hit("net:c", window=60) == 0


def test_several_counters_count_at_once_each_in_its_own_window():
    from lib.ratelimit import window_hits

    cache.clear()
    counters = [("net:d", 60), ("dom:d", 3600), ("net:d", 3600)]
    assert window_hits(counters, now=120.0) == [1, 1, 1]
    assert window_hits(counters, now=130.0) == [2, 2, 2]
    assert window_hits(counters, now=180.0) == [1, 3, 3]
    assert window_peek("dom:d", window=3600, now=180.0) == 3
    assert window_hit("net:d", window=60, now=180.0) == 2
    assert window_hits([]) == []


def test_several_counters_fail_open_together(monkeypatch):
    from django.conf import settings

    from lib.ratelimit import window_hits

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    if settings.REDIS_URL:
        monkeypatch.setattr(cache._cache, "get_client", broken)
    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    assert window_hits([("net:e", 60), ("dom:e", 60)]) == [0, 0]
