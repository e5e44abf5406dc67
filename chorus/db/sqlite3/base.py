"""Django's SQLite backend, with writers queued in the process instead of on SQLite's timer.

SQLite lets one connection write at a time. A connection that finds the write lock
taken retries on a timer that backs off from 1 ms to 100 ms, so under a spike the
waiters sleep past the moments the lock is free: fewer writes per second, and the
unlucky ones wait seconds. Here every write transaction (every `atomic()`, which
begins IMMEDIATE, and every write outside one) first takes the write turn: a
threading lock shared by the process's connections, then a lock file shared with
the other processes on the same database (the web server and the worker). Both
wake the next waiter the moment the holder lets go, so no caller has to remember to
queue: confirming, resending, state changes, recounts, members and the job ledger
all do.

Reads outside a transaction take no turn: WAL lets them run beside the writer.

A writer at lowered priority (niceness above 0: chorus_worker, whose job threads run
on idle CPU only) first lets the writers at normal priority go, waiting up to
YIELD_SECONDS while any of them holds or waits for the turn. One that took the turn
in a spike would hold it while the kernel runs everything else before it, and every
signer would wait behind it (docs/benchmarks.md: 191 to 383 signatures/s without
this, against 565 to 799 with it, in the same hour).
"""

import fcntl
import os
import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_turns: dict[str, "_WriteTurn"] = {}
_turns_lock = threading.Lock()


# The longest a writer at lowered priority waits for the others before writing anyway.
YIELD_SECONDS = 1.0


class _WriteTurn:
    """One database's write turn: one thread of one process at a time."""

    def __init__(self, path: str | None):
        self.path = path  # None for an in-memory database: it lives in this process
        self.thread_lock = threading.Lock()
        self.files: dict[tuple[int, str], int] = {}
        self.foreground_held = False

    def _file(self, suffix: str) -> int | None:
        if self.path is None:
            return None
        # One descriptor per process: one inherited across fork() would share its lock.
        key = (os.getpid(), suffix)
        fd = self.files.get(key)
        if fd is None:
            fd = os.open(f"{self.path}-{suffix}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self.files[key] = fd
        return fd

    def take(self, timeout: float) -> None:
        foreground = os.nice(0) <= 0
        if not foreground:
            self._let_foreground_go()
        # As long as SQLite's own busy timeout: a turn held longer (a test's open
        # transaction, a stuck writer) gives the error SQLite would have given.
        if not self.thread_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked (no write turn within the timeout)")
        try:
            foreground_fd = self._file("signers") if foreground else None
            if foreground_fd is not None:
                fcntl.flock(foreground_fd, fcntl.LOCK_SH)
                self.foreground_held = True
            fd = self._file("writelock")
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._release_foreground()
            self.thread_lock.release()
            raise

    def give(self) -> None:
        try:
            fd = self._file("writelock")
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._release_foreground()
            self.thread_lock.release()

    def _release_foreground(self) -> None:
        if self.foreground_held:
            self.foreground_held = False
            fcntl.flock(self._file("signers"), fcntl.LOCK_UN)

    def _let_foreground_go(self) -> None:
        fd = self._file("signers")
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


def _turn_for(name: str, in_memory: bool) -> _WriteTurn:
    with _turns_lock:
        turn = _turns.get(name)
        if turn is None:
            turn = _turns[name] = _WriteTurn(None if in_memory else name)
        return turn


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._turn_held = False

    @property
    def write_turn(self) -> _WriteTurn:
        return _turn_for(str(self.settings_dict["NAME"]), self.is_in_memory_db())

    def _turn_timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("timeout", 5))

    def take_write_turn(self) -> None:
        self.write_turn.take(self._turn_timeout())
        self._turn_held = True

    def give_write_turn(self) -> None:
        if self._turn_held:
            self._turn_held = False
            self.write_turn.give()

    def _start_transaction_under_autocommit(self):
        self.take_write_turn()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.give_write_turn()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self.give_write_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self.give_write_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self.give_write_turn()

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=CursorWrapper)
        cursor.database = self
        return cursor


class CursorWrapper(base.SQLiteCursorWrapper):
    """Takes the write turn for a write outside a transaction (autocommit)."""

    database: DatabaseWrapper

    def execute(self, query, params=None):
        if self.connection.in_transaction or self.database._turn_held or _is_read(query):
            return super().execute(query, params)
        self.database.take_write_turn()
        try:
            return super().execute(query, params)
        finally:
            self.database.give_write_turn()

    def executemany(self, query, param_list):
        if self.connection.in_transaction or self.database._turn_held:
            return super().executemany(query, param_list)
        self.database.take_write_turn()
        try:
            return super().executemany(query, param_list)
        finally:
            self.database.give_write_turn()
