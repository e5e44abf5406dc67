"""The Redis cache backend (lib/rediscache.py): Django's, keeping its client objects."""

import threading

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the cache is Redis only with REDIS_URL"
)


def test_with_redis_the_cache_is_the_backend_that_keeps_its_clients():
    from django.core.cache import caches

    from lib.rediscache import RedisCache

    assert type(caches["default"]) is RedisCache


def test_every_operation_uses_the_same_client_over_the_same_pool():
    client = cache._cache.get_client("a", write=True)

    assert cache._cache.get_client("b") is client
    assert cache._cache.get_client(write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(True)


def test_the_kept_client_still_does_everything_the_cache_does():
    cache.delete_many(["kept:a", "kept:b"])

    assert cache.add("kept:a", 1, timeout=30)
    assert not cache.add("kept:a", 5, timeout=30)
    assert cache.incr("kept:a", 2) == 3
    cache.set("kept:b", {"petition": 1}, timeout=30)
    assert cache.get_many(["kept:a", "kept:b"]) == {"kept:a": 3, "kept:b": {"petition": 1}}
    cache.delete("kept:a")
    assert cache.get("kept:a") is None


def test_threads_sharing_the_client_lose_no_count():
    cache.set("kept:shared", 0, timeout=30)
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("kept:shared")

    def count():
        for _ in range(200):
            client.incr(key)

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert cache.get("kept:shared") == 800
