"""lib.writelock: on SQLite, the writes of one moment share one commit."""

import threading
import time

import pytest
from django.db import connection

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

    before = dict(writelock.stats)
    with writelock._thread_lock:
        threads = [threading.Thread(target=run, args=item) for item in works.items()]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        # One thread leads and waits for the turn we hold; the others queue behind it.
        while len(writelock._queue) < len(works) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(writelock._queue) == len(works)
    for thread in threads:
        thread.join(timeout=10)
    commits = writelock.stats["commits"] - before["commits"]
    return results, errors, commits


def _job(kind):
    def work():
        return Job.objects.create(kind=kind, payload={}, run_after="2026-01-01T00:00:00Z").pk

    return work


def test_writes_queued_together_are_committed_once_and_all_stored():
    works = {f"w{n}": _job(f"grouped-{n}") for n in range(6)}

    results, errors, commits = _write_from_threads(works)

    assert not errors
    assert commits == 1
    stored = dict(Job.objects.filter(kind__startswith="grouped-").values_list("kind", "pk"))
    assert stored == {f"grouped-{n}": results[f"w{n}"] for n in range(6)}


def test_a_failing_write_is_undone_alone_and_its_caller_hears_why():
    def broken():
        Job.objects.create(kind="grouped-broken", payload={}, run_after="2026-01-01T00:00:00Z")
        raise ValueError("this one fails")

    works = {"good1": _job("grouped-good1"), "bad": broken, "good2": _job("grouped-good2")}

    results, errors, _ = _write_from_threads(works)

    assert set(errors) == {"bad"} and isinstance(errors["bad"], ValueError)
    kinds = set(Job.objects.filter(kind__startswith="grouped-").values_list("kind", flat=True))
    assert kinds == {"grouped-good1", "grouped-good2"}


def test_inside_a_transaction_it_writes_in_the_callers_transaction(db):
    from django.db import transaction

    with transaction.atomic():
        pk = writelock.grouped_write(_job("grouped-inner"))
        assert Job.objects.filter(pk=pk).exists()
    assert writelock._queue == []


def test_a_workers_bookkeeping_waits_for_signers_but_never_for_ever(tmp_path, monkeypatch):
    import fcntl
    import os

    monkeypatch.setattr(writelock, "_database_path", lambda: str(tmp_path / "chorus.sqlite3"))
    monkeypatch.setattr(writelock, "YIELD_SECONDS", 0.3)
    # Another process leading a batch of signatures holds the signers' file shared.
    signer = os.open(tmp_path / "chorus.sqlite3-signers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(signer, fcntl.LOCK_SH)
    try:
        started = time.monotonic()
        writelock.grouped_write(_job("grouped-bookkeeping"), urgent=False)
        waited = time.monotonic() - started
    finally:
        fcntl.flock(signer, fcntl.LOCK_UN)
        os.close(signer)

    assert waited >= 0.3  # it let the signers go first...
    assert Job.objects.filter(kind="grouped-bookkeeping").exists()  # ...then wrote anyway

    monkeypatch.setattr(writelock, "YIELD_SECONDS", 30)
    started = time.monotonic()
    writelock.grouped_write(_job("grouped-bookkeeping-2"), urgent=False)
    assert time.monotonic() - started < 30  # nobody signing: no waiting out the limit
