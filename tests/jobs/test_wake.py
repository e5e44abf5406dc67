"""jobs.wake: signing wakes the workers through the task queue, at most once a second."""

import pytest

from jobs import wake

pytestmark = pytest.mark.django_db


def test_it_enqueues_one_wake_up_per_interval(monkeypatch):
    from jobs import tasks

    enqueued = []

    class Queue:
        def enqueue(self):
            enqueued.append(1)

    monkeypatch.setattr(tasks, "drain_jobs", Queue())
    monkeypatch.setattr(wake, "_last_wake", 0.0)
    clock = [5000.0]
    monkeypatch.setattr(wake.time, "monotonic", lambda: clock[0])

    wake.wake_workers()
    wake.wake_workers()
    clock[0] += wake.WAKE_INTERVAL + 0.1
    wake.wake_workers()

    assert len(enqueued) == 2


def test_the_wake_up_task_really_reaches_the_configured_queue():
    from jobs.tasks import drain_jobs

    result = drain_jobs.enqueue()

    assert result.id


def test_a_queue_outage_never_fails_the_caller(monkeypatch):
    from jobs import tasks

    class BrokenQueue:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(wake, "_last_wake", 0.0)
    monkeypatch.setattr(tasks, "drain_jobs", BrokenQueue())

    wake.wake_workers()  # must not raise


def _run_wake_task(monkeypatch, petition, *, parent_is_the_worker: bool) -> list:
    """Sign once, then run the wake-up task as a task worker whose recorded chorus_worker
    is this process: its real parent, or a dead worker's number now held by us."""
    import os
    import signal

    from jobs.tasks import WORKER_PID_ENV, drain_jobs
    from petitions.services import signature_create
    from tests.conftest import REQUEST_META, sign_data

    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    woken = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: woken.append(1))
    try:
        if parent_is_the_worker:
            monkeypatch.setattr(os, "getppid", os.getpid)
        monkeypatch.setenv(WORKER_PID_ENV, str(os.getpid()))
        drain_jobs.call()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    return woken


def test_under_chorus_worker_the_task_wakes_its_threads_and_sends_nothing(
    monkeypatch, petition, mailoutbox
):
    woken = _run_wake_task(monkeypatch, petition, parent_is_the_worker=True)

    assert woken == [1]
    assert mailoutbox == []


def test_an_orphaned_task_worker_signals_nobody_and_sends_itself(
    monkeypatch, petition, mailoutbox
):
    woken = _run_wake_task(monkeypatch, petition, parent_is_the_worker=False)

    assert woken == []
    assert [m.to for m in mailoutbox] == [["grace@example.org"]]


def test_a_task_worker_on_its_own_sends_what_is_due(monkeypatch, petition, mailoutbox):
    from jobs.tasks import WORKER_PID_ENV, drain_jobs
    from petitions.services import signature_create
    from tests.conftest import REQUEST_META, sign_data

    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    monkeypatch.delenv(WORKER_PID_ENV, raising=False)

    drain_jobs.call()

    assert [m.to for m in mailoutbox] == [["grace@example.org"]]
