"""Reads that may lag: marked where they happen, sent to the read replica while it is fit.

Code marks the reads it can take a few seconds stale with the context manager
`reads_may_lag()`, a read-only view with the decorator `lagging_view`; either sets a
contextvar, and the database router (chorus/db/router.py) asks `read_alias()` where each
read goes. The replica serves such a read only when all of these hold:

* DATABASE_REPLICA_URL is set (the `replica` alias exists);
* the read is not inside a transaction on the primary, and nothing was written earlier in
  the same marked block (a read of what the request just wrote must see it);
* the replica answered its last check, at most CHECK_SECONDS ago, behind the primary by no
  more than DATABASE_REPLICA_MAX_LAG seconds.

Otherwise the read goes to the primary, as it would with no replica at all. A replica that
cannot be reached, or fails a read, is tried again only after CHECK_SECONDS, so requests
do not each wait for its connect timeout, and the change is logged once each way.
"""

import logging
import threading
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)

REPLICA = "replica"
CHECK_SECONDS = 5.0

logger = logging.getLogger("chorus.replica")

# The state of the innermost marked block, or None outside any: whether it wrote, and
# whether it read from the replica.
_marked: ContextVar[dict | None] = ContextVar("chorus_reads_may_lag", default=None)

# Lag in seconds; 0 on a primary (a replica URL that names one, as in the tests) and when
# the replica has replayed all it received from a primary it still streams from.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 'Infinity')
END
"""


@contextmanager
def reads_may_lag():
    """Reads in this block may come from the replica (up to its allowed lag behind).

    A connection error in a block that read from the replica marks it unfit at once (it
    may have died since its last check), so the reads after go to the primary.
    """
    marked = {"wrote": False, "replica": False}
    token = _marked.set(marked)
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        if marked["replica"]:
            _health.failed(error)
        raise
    finally:
        _marked.reset(token)


def replica_failed(error: Exception) -> None:
    """A read on the replica failed outside a marked block (a streamed export's later
    page): leave the replica alone until its next check."""
    _health.failed(error)


def lagging_view(view):
    """A read-only view (GET and HEAD) whose reads may lag: run under `reads_may_lag()`
    and, if the replica fails under it, once more on the primary, so the visitor sees the
    page rather than a 503."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            with reads_may_lag():
                return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError):
            if _health.fit_now is not False or request.method not in ("GET", "HEAD"):
                raise  # not the replica's doing
            return view(request, *args, **kwargs)

    return wrapped


def replica_configured() -> bool:
    return REPLICA in connections.settings


def write_noted() -> None:
    """A write in a marked block: the block's later reads go to the primary."""
    marked = _marked.get()
    if marked is not None:
        marked["wrote"] = True


def read_alias() -> str:
    """Where a read goes now: the replica for a marked read while it is fit, else the primary."""
    marked = _marked.get()
    if marked is None or marked["wrote"] or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block or not _health.fit():
        return DEFAULT_DB_ALIAS
    marked["replica"] = True
    return REPLICA


def replica_lag_seconds() -> float:
    """How far the replica is behind, from its own clock; raises DatabaseError when down."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


class _Health:
    """The replica's fitness, checked at most every CHECK_SECONDS by one thread at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.fit_now: bool | None = None  # unknown: the primary, until the first check
        self.next_check = 0.0

    def fit(self) -> bool:
        if time.monotonic() >= self.next_check and self.lock.acquire(blocking=False):
            try:
                self._check()
            finally:
                self.lock.release()
        return bool(self.fit_now)

    def _check(self) -> None:
        reason = _unfit_reason()
        self.next_check = time.monotonic() + CHECK_SECONDS
        if reason and self.fit_now is not False:
            logger.warning("Replica not used: %s; reads that may lag go to the primary.", reason)
        elif not reason and self.fit_now is False:
            logger.warning("Replica back: reads that may lag go to it again.")
        self.fit_now = not reason

    def failed(self, error: Exception) -> None:
        with self.lock:
            if self.fit_now is not False:
                logger.warning(
                    "Replica not used: a read on it failed (%s); reads that may lag go to "
                    "the primary.",
                    type(error).__name__,
                )
            self.fit_now = False
            self.next_check = time.monotonic() + CHECK_SECONDS
        _close_quietly()

    def forget(self) -> None:
        self.fit_now, self.next_check = None, 0.0


def _unfit_reason() -> str:
    try:
        lag = replica_lag_seconds()
    except DatabaseError as error:
        _close_quietly()
        return f"it cannot be reached ({type(error).__name__})"
    limit = settings.DATABASE_REPLICA_MAX_LAG
    return f"it is {lag:.1f} s behind, more than {limit:g} s" if lag > limit else ""


def _close_quietly() -> None:
    with suppress(DatabaseError):  # a broken connection is dropped all the same
        connections[REPLICA].close()


_health = _Health()


def replica_forget() -> None:
    """Check the replica afresh at the next marked read (tests, and after a settings change)."""
    _health.forget()
