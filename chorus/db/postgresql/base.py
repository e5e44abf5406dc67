"""Django's PostgreSQL backend, with pooled connections checked only after sitting idle.

Django's pool can check every connection it hands out with a round trip to
PostgreSQL. Under a spike that round trip was a fifth of the sign path. A
connection handed out moments ago was healthy moments ago, so only one that has
sat unused for a while is checked. A connection that breaks in between (the
server restarting) fails its request with a 503 "please try again", and the pool
drops it when it comes back broken.

Django hands psycopg_pool its own `check` callback (every time, or none), so the
pool is made here, as Django makes it, with this one as the `check`.
"""

import time
import weakref

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base
from django.db.backends.postgresql.base import NO_DB_ALIAS
from psycopg_pool import ConnectionPool

IDLE_BEFORE_CHECK = 2.0  # seconds

_last_handed_out: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def check_if_idle(connection) -> None:
    """psycopg_pool's `check`: a round trip only for a connection idle for a while."""
    now = time.monotonic()
    last = _last_handed_out.get(connection)
    _last_handed_out[connection] = now
    if last is None or now - last > IDLE_BEFORE_CHECK:
        ConnectionPool.check_connection(connection)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            checks = self.settings_dict["CONN_HEALTH_CHECKS"]
            pool = ConnectionPool(
                kwargs={**self.get_connection_params(), "autocommit": True},
                open=False,  # opened on first use, as Django does
                configure=self._configure_connection,
                check=check_if_idle if checks else None,
                **({} if options is True else options),
            )
            # Threads racing here make a pool each; the first one stored wins.
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
