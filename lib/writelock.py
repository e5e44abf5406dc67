"""One writer at a time on SQLite, queued in the kernel instead of by sleeping.

SQLite lets one connection write at a time. A connection that finds the write lock
taken retries on a timer that backs off from 1 ms to 100 ms, so under a spike of
signatures the waiters sleep past the moments the lock is free: fewer signatures
per second, and the unlucky ones wait seconds. `write_transaction()` makes the busy
writers (signing, and the workers claiming and finishing jobs) queue on a lock file
first: `flock` wakes the next waiter the moment the holder lets go. Threads of one
process queue on a threading lock in front of it, because a file lock is held per
process, not per thread.

Only taken outside any transaction, so a holder never waits for a lock held by a
connection that waits for it. Elsewhere than SQLite it is a plain `atomic()`.
"""

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction

_thread_lock = threading.Lock()
_files: dict[tuple[int, str], int] = {}


def _database_path() -> str | None:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return None  # an in-memory database lives in this process: the thread lock is enough
    return name


def _lock_file(suffix: str = "writelock") -> int | None:
    name = _database_path()
    if name is None:
        return None
    # Per process: a descriptor inherited across fork() would share its lock.
    key = (os.getpid(), f"{name}-{suffix}")
    fd = _files.get(key)
    if fd is None:
        path = Path(key[1])
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        _files[key] = fd
    return fd


# Signers first. A process leading a batch of signatures holds this file shared while it
# waits for the write turn and writes; a worker about to write its "done" marks waits
# (up to YIELD_SECONDS) until no signer holds it, so during a spike people signing get
# the turns and the emails catch up after, as with the CPU (chorus_worker's SCHED_IDLE).
YIELD_SECONDS = 1.0


def _yield_to_signers() -> None:
    fd = _lock_file("signers")
    if fd is None:
        return
    deadline = time.monotonic() + YIELD_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return  # never starve: write anyway, at most once a YIELD_SECONDS
            time.sleep(0.02)
            continue
        fcntl.flock(fd, fcntl.LOCK_UN)
        return


@contextmanager
def write_transaction():
    """`transaction.atomic()`, entered only once this process holds the write turn."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with _thread_lock:
        fd = _lock_file()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with transaction.atomic():
                yield
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)


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
# Commits made and pieces of work they carried, for the log and the tests.
stats = {"commits": 0, "works": 0}


def grouped_write(work, *, urgent: bool = True):
    """Run `work()` in a write transaction shared with the writes queued beside it.

    SQLite has no group commit: each transaction waits for its own fsync, so one
    process's writers get through one at a time. Here the first waiting thread leads:
    it takes the write turn, runs every piece of work queued by then, each in its own
    savepoint, commits once and wakes the others. `work()` has returned when its
    transaction is durable; an error in one piece undoes only that piece, and an
    error committing reaches every piece of the batch. Inside a transaction already,
    or elsewhere than SQLite, `work()` simply runs in a savepoint of the caller's.
    Work that can wait (`urgent=False`: a worker's bookkeeping) lets signers go first.
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
        _lead(urgent)
    else:
        waiter.done.wait()
        if waiter.lead:  # the leader handed the next batch over to us
            _lead(urgent)
    if waiter.error is not None:
        raise waiter.error
    return waiter.result


def _take_queue() -> list[_Waiter]:
    with _queue_lock:
        batch = _queue[:]
        _queue.clear()
    return batch


def _lead(urgent: bool) -> None:
    """Commit one batch: everything queued once this process holds the write turn."""
    global _leading
    batch: list[_Waiter] = []
    signers = _lock_file("signers") if urgent else None
    if signers is not None:
        fcntl.flock(signers, fcntl.LOCK_SH)
    elif not urgent:
        _yield_to_signers()
    try:
        with write_transaction():
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
        if signers is not None:
            fcntl.flock(signers, fcntl.LOCK_UN)
        stats["commits"] += 1
        stats["works"] += len(batch)
        with _queue_lock:
            if _queue:  # arrived while we wrote: the first of them leads the next batch
                _queue[0].lead = True
                _queue[0].done.set()
            else:
                _leading = False
        for waiter in batch:
            waiter.done.set()
