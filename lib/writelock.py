"""Group commit for SQLite: the writes of one moment share one transaction.

SQLite has no group commit: each transaction waits for its own fsync, one writer at
a time (the backend, chorus/db/sqlite3, queues them on the write turn). For the sign
insert that is the ceiling under a spike, so signing groups its writes: the first
waiting thread leads, runs every piece of work queued by the time it holds the turn,
each in its own savepoint, commits once and wakes the others. docs/benchmarks.md has
what it buys. Other writers do not group: they are few, and queue on the turn alone.
"""

import threading

from django.db import connection, transaction


class _Waiter:
    __slots__ = ("work", "result", "error", "done", "lead")

    def __init__(self, work):
        self.work = work
        self.result = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.lead = False


_queue: list[_Waiter] = []
_queue_lock = threading.Lock()
_leading = False


def grouped_write(work):
    """Run `work()` in a write transaction shared with the writes queued beside it.

    `work()` has returned when its transaction is durable; an error in one piece
    undoes only that piece, and an error committing reaches every piece of the
    batch. Inside a transaction already, or elsewhere than SQLite, `work()` simply
    runs in a savepoint of the caller's (PostgreSQL groups commits itself).
    """
    global _leading
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            return work()
    waiter = _Waiter(work)
    with _queue_lock:
        _queue.append(waiter)
        lead = not _leading
        _leading = True
    if lead:
        _lead()
    else:
        waiter.done.wait()
        if waiter.lead:  # the leader handed the next batch over to us
            _lead()
    if waiter.error is not None:
        raise waiter.error
    return waiter.result


def writes_waiting() -> int:
    """How many grouped writes wait for the next commit (for logs and tests)."""
    with _queue_lock:
        return len(_queue)


def _take_queue() -> list[_Waiter]:
    with _queue_lock:
        batch = _queue[:]
        _queue.clear()
    return batch


def _lead() -> None:
    """Commit one batch: everything queued once this thread holds the write turn."""
    global _leading
    batch: list[_Waiter] = []
    try:
        with transaction.atomic():  # waits for the write turn (chorus/db/sqlite3)
            batch = _take_queue()
            for waiter in batch:
                try:
                    with transaction.atomic():
                        waiter.result = waiter.work()
                except Exception as exc:  # undone by its savepoint; the rest go on
                    waiter.error = exc
    except BaseException as exc:  # no turn, no transaction or no commit: nothing is stored
        batch = batch or _take_queue()
        for waiter in batch:
            if waiter.error is None:
                waiter.error = exc
    finally:
        with _queue_lock:
            if _queue:  # arrived while we wrote: the first of them leads the next batch
                _queue[0].lead = True
                _queue[0].done.set()
            else:
                _leading = False
        for waiter in batch:
            waiter.done.set()
