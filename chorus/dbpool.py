"""Connection-pool health checks that cost nothing under load.

Django's pool can check every connection it hands out with a round trip to
PostgreSQL. Under a spike that round trip was a fifth of the sign path. A
connection handed out moments ago was healthy moments ago, so only one that has
sat unused for a while is checked. A connection that breaks in between (the
server restarting) fails its request with a 503 "please try again", and the pool
drops it when it comes back broken.
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


def pool_check_install(sender, connection, **kwargs) -> None:
    """On `connection_created`: give the connection's pool the idle-only check.

    Done on first use rather than at start-up, because the pool must be made
    from the final settings (the test runner renames the database first).
    """
    pool = connection.pool if connection.vendor == "postgresql" else None
    if pool is not None and pool._check is not check_if_idle:
        pool._check = check_if_idle  # psycopg_pool 3.3: the check callback's attribute
