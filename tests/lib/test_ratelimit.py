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
