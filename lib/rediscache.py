"""Django's Redis cache backend, keeping one client object per connection pool.

Django's client makes a new `redis.Redis` for every cache operation, over the same pool.
redis-py builds its table of reply handlers in each one, about 75 us: with the fraud
limits' counters and the page's visit count that was an eighth of a sign request's CPU
(docs/benchmarks.md, "PostgreSQL signing"). A `redis.Redis` is safe to share between
threads (each command takes its own connection from the pool), so one is kept per pool.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
