"""Connection-pool health checks that cost nothing under load.

Django's pool can check every connection it hands out with a round trip to
PostgreSQL. Under a spike that round trip was a fifth of the sign path. A
connection handed out moments ago was healthy moments ago, so only one that has
sat unused for a while is checked. A connection that breaks in between (the
server restarting) fails its request with a 503 "please try again", and the pool
drops it when it comes back broken.

Settings give it to the pool as psycopg_pool's `check` callback (OPTIONS["pool"]).
"""

import time
import weakref

from psycopg_pool import ConnectionPool

IDLE_BEFORE_CHECK = 2.0  # seconds

_last_handed_out: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def check_if_idle(connection) -> None:
    now = time.monotonic()
    last = _last_handed_out.get(connection)
    _last_handed_out[connection] = now
    if last is None or now - last > IDLE_BEFORE_CHECK:
        ConnectionPool.check_connection(connection)
