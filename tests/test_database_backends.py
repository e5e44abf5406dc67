"""chorus.db: only SQLite and PostgreSQL, and SQLite's writers queue in the backend."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from jobs.models import Job

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("url", ["mysql://chorus:secret@127.0.0.1/chorus", "", "nonsense"])
def test_an_unsupported_database_is_refused_at_start_with_a_clear_message(tmp_path, url):
    environment = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environment.update(
        DJANGO_SETTINGS_MODULE="chorus.settings",
        DATA_DIR=str(tmp_path),
        CHORUS_TESTING="1",
        DATABASE_URL=url,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "Chorus runs on SQLite (sqlite:///path) or PostgreSQL" in done.stderr


def _write_in_a_thread(write):
    started, finished = threading.Event(), threading.Event()

    def run():
        started.set()
        try:
            write()
        finally:
            connection.close()
            finished.set()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(timeout=10)
    return thread, finished


def _job_update():
    Job.objects.filter(kind="nothing-here").update(attempts=1)


def _job_in_a_transaction():
    with transaction.atomic():
        Job.objects.filter(kind="nothing-here").update(attempts=1)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write turn")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", [_job_update, _job_in_a_transaction])
def test_a_writer_waits_for_the_write_turn_without_taking_it_itself(write):
    connection.take_write_turn()  # as another writer in its transaction would
    try:
        thread, finished = _write_in_a_thread(write)
        thread.join(timeout=0.5)
        waited = not finished.is_set()
    finally:
        connection.give_write_turn()
    thread.join(timeout=10)

    assert waited  # it queued for the turn...
    assert finished.is_set()  # ...and wrote once the turn was free
