"""lib.writelock: on SQLite, the writes of one moment share one commit."""

import threading
import time

import pytest
from django.db import connection, transaction

from jobs.models import Job
from lib import writelock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="grouping is SQLite's; PostgreSQL groups commits"
    ),
]


def _write_from_threads(works):
    """Queue every work while this thread holds the write turn, then let them all go."""
    results, errors = {}, {}

    def run(name, work):
        try:
            results[name] = writelock.grouped_write(work)
        except Exception as exc:  # the caller's own error, checked below
            errors[name] = exc
        finally:
            connection.close()

    connection.take_write_turn()
    try:
        threads = [threading.Thread(target=run, args=item) for item in works.items()]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        # One thread leads and waits for the turn we hold; the others queue behind it.
        while writelock.writes_waiting() < len(works) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writelock.writes_waiting() == len(works)
    finally:
        connection.give_write_turn()
    for thread in threads:
        thread.join(timeout=10)
    return results, errors


def _job(kind, ran_in=None):
    def work():
        if ran_in is not None:
            ran_in.add((threading.get_ident(), id(connection.connection)))
        return Job.objects.create(kind=kind, payload={}, run_after="2026-01-01T00:00:00Z").pk

    return work


def test_writes_queued_together_are_committed_in_one_transaction_and_all_stored():
    transactions = set()
    works = {f"w{n}": _job(f"grouped-{n}", transactions) for n in range(6)}

    results, errors = _write_from_threads(works)

    assert not errors
    assert len(transactions) == 1  # one thread's connection ran them all
    stored = dict(Job.objects.filter(kind__startswith="grouped-").values_list("kind", "pk"))
    assert stored == {f"grouped-{n}": results[f"w{n}"] for n in range(6)}


def test_a_failing_write_is_undone_alone_and_its_caller_hears_why():
    def broken():
        Job.objects.create(kind="grouped-broken", payload={}, run_after="2026-01-01T00:00:00Z")
        raise ValueError("this one fails")

    works = {"good1": _job("grouped-good1"), "bad": broken, "good2": _job("grouped-good2")}

    results, errors = _write_from_threads(works)

    assert set(errors) == {"bad"} and isinstance(errors["bad"], ValueError)
    kinds = set(Job.objects.filter(kind__startswith="grouped-").values_list("kind", flat=True))
    assert kinds == {"grouped-good1", "grouped-good2"}


def test_inside_a_transaction_it_writes_in_the_callers_transaction():
    with transaction.atomic():
        pk = writelock.grouped_write(_job("grouped-inner"))
        assert Job.objects.filter(pk=pk).exists()
        assert writelock.writes_waiting() == 0
