"""Running code at the same moment in several threads, each on its own database connection.

Only PostgreSQL gives the threads real connections of their own (mark such tests
`postgres_only` and `django_db(transaction=True)`): SQLite's in-memory test
database serialises every writer, so there is no race to lose there.
"""

import threading
import time
from collections.abc import Callable

from django.db import connection

THREAD_TIMEOUT = 30


def run_concurrently(*functions: Callable[[], object], start_together: bool = True) -> list:
    """Call each function in a thread of its own; their results, in order.

    With `start_together` the threads wait for each other at a barrier first, so
    the calls overlap as much as they can. A thread's error is raised here, in the
    test, rather than lost in the thread.
    """
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)
    errors: list[BaseException] = []

    def run(index: int, function: Callable[[], object]) -> None:
        try:
            if start_together:
                barrier.wait(timeout=THREAD_TIMEOUT)
            results[index] = function()
        except BaseException as exc:  # raised again below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    if errors:
        raise errors[0]
    return results


def wait_until_another_connection_waits_for_a_lock() -> None:
    """Return once some other PostgreSQL connection is blocked on a lock.

    A thread holding a row lock calls this to know the other thread has reached
    the statement that must wait for it, instead of sleeping and hoping.
    """
    deadline = time.monotonic() + THREAD_TIMEOUT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("no other connection ever waited for a lock")
