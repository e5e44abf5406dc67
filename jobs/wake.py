"""Waking workers through the task queue, at most once a second per process.

The ledger holds the work; this only shortens the wait. Losing a wake-up costs
nothing but latency, because workers also poll the ledger.
"""

import logging
import threading
import time

logger = logging.getLogger("chorus.jobs")
WAKE_INTERVAL = 1.0
_last_wake = 0.0
_lock = threading.Lock()


def wake_workers() -> None:
    global _last_wake
    with _lock:
        now = time.monotonic()
        if now - _last_wake < WAKE_INTERVAL:
            return
        _last_wake = now
    from jobs.tasks import drain_jobs

    try:
        drain_jobs.enqueue()
    except Exception:  # a queue outage must never fail a signature
        logger.warning("could not wake workers", exc_info=True)
