"""The durable job ledger: claim under a lease, run, retry with backoff, fail visibly."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from jobs import leases, registry
from jobs.models import Job
from jobs.services import (
    LEASE,
    MAX_ATTEMPTS,
    job_record,
    job_retry,
    job_run,
    jobs_claim,
    jobs_drain,
    jobs_prune,
)
from tests.conftest import postgres_only
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ran(monkeypatch):
    """A handler for `test_job` that remembers its payloads."""
    payloads = []
    monkeypatch.setitem(registry.KINDS, "test_job", payloads.append)
    return payloads


@pytest.fixture
def broken(monkeypatch):
    def fail(payload):
        raise RuntimeError("the mail server said no")

    monkeypatch.setitem(registry.KINDS, "broken_job", fail)


def test_recorded_work_is_due_at_once_or_after_its_delay(ran):
    job_record(kind="test_job", payload={"n": 1})
    later = job_record(kind="test_job", payload={"n": 2}, delay=timedelta(minutes=5))

    [now] = jobs_claim()
    assert now.payload == {"n": 1}
    job_run(now)
    with freeze_time(timezone.now() + timedelta(minutes=6)):
        assert [j.pk for j in jobs_claim()] == [later.pk]


def test_claiming_leases_the_job_so_no_one_else_claims_it(ran):
    job = JobFactory()

    [claimed] = jobs_claim()

    assert claimed.pk == job.pk
    assert claimed.attempts == 1
    assert claimed.leased_until > timezone.now() + LEASE - timedelta(seconds=5)
    assert jobs_claim() == []


def test_a_job_whose_worker_died_is_claimed_again_when_the_lease_runs_out(ran):
    job = JobFactory()
    jobs_claim()  # ...and the worker dies here, without marking anything

    with freeze_time(timezone.now() + LEASE - timedelta(seconds=1)):
        assert jobs_claim() == []
    with freeze_time(timezone.now() + LEASE + timedelta(seconds=1)):
        [again] = jobs_claim()

    assert again.pk == job.pk
    assert again.attempts == 2


def test_running_a_job_marks_it_done(ran):
    JobFactory(payload={"signature": 7})
    [job] = jobs_claim()

    assert job_run(job) is True

    job.refresh_from_db()
    assert ran == [{"signature": 7}]
    assert job.state == Job.State.DONE
    assert job.done_at and job.leased_until is None
    assert jobs_claim() == []


def test_a_worker_whose_lease_was_taken_over_does_not_run_the_job(ran):
    JobFactory()
    [stale] = jobs_claim()
    with freeze_time(timezone.now() + LEASE + timedelta(seconds=1)):
        [current] = jobs_claim()

        assert job_run(stale) is False
        assert job_run(current) is True

    assert len(ran) == 1


def test_a_failing_job_retries_with_growing_backoff(broken):
    job = JobFactory(kind="broken_job")
    waits = []
    now = timezone.now()
    for _ in range(3):
        with freeze_time(now):
            [claimed] = jobs_claim()
            assert job_run(claimed) is False
        job.refresh_from_db()
        assert job.state == Job.State.DUE
        assert "the mail server said no" in job.last_error
        assert job.leased_until is None
        waits.append(job.run_after - now)
        now = job.run_after

    assert waits[0] > timedelta(0)
    assert waits[0] < waits[1] < waits[2]


def test_after_max_attempts_a_job_fails_for_good_with_its_error(broken):
    job = JobFactory(kind="broken_job")
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        with freeze_time(now):
            [claimed] = jobs_claim()
            job_run(claimed)
        job.refresh_from_db()
        now = job.run_after + timedelta(seconds=1)

    assert job.state == Job.State.FAILED
    assert job.attempts == MAX_ATTEMPTS
    assert "RuntimeError: the mail server said no" in job.last_error
    with freeze_time(now + timedelta(days=1)):
        assert jobs_claim() == []


def test_retrying_a_failed_job_makes_it_due_again(ran):
    job = JobFactory(state=Job.State.FAILED, attempts=MAX_ATTEMPTS, last_error="boom")

    job_retry(job=job)

    [claimed] = jobs_claim()
    assert claimed.pk == job.pk
    assert claimed.attempts == 1
    assert job_run(claimed)


def test_a_job_of_an_unknown_kind_fails_with_a_clear_error(db):
    JobFactory(kind="no_such_kind")
    [job] = jobs_claim()

    assert job_run(job) is False

    job.refresh_from_db()
    assert "no handler for job kind 'no_such_kind'" in job.last_error


def test_drain_runs_every_due_job(ran):
    JobFactory.create_batch(7)

    assert jobs_drain(limit=3) == 7
    assert len(ran) == 7
    assert set(Job.objects.values_list("state", flat=True)) == {Job.State.DONE}


def test_prune_forgets_old_done_jobs_but_keeps_failures(db):
    old = timezone.now() - timedelta(days=30)
    JobFactory(state=Job.State.DONE, done_at=old)
    failed = JobFactory(state=Job.State.FAILED)
    recent = JobFactory(state=Job.State.DONE, done_at=timezone.now())

    assert jobs_prune() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {failed.pk, recent.pk}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_claimers_never_get_the_same_job():
    JobFactory.create_batch(60)
    barrier = threading.Barrier(3)
    claims: list[list[int]] = [[], [], []]
    errors = []

    def claimer(mine):
        try:
            barrier.wait(timeout=10)
            while batch := jobs_claim(limit=4):
                mine.extend(job.pk for job in batch)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=[mine]) for mine in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    every = [pk for mine in claims for pk in mine]
    assert len(every) == len(set(every)) == 60


@pytest.fixture
def batched(monkeypatch):
    """A batch kind whose handler remembers each call's payloads and fails the odd ones."""
    calls = []

    def run_together(payloads, keep):
        calls.append([p["n"] for p in payloads])
        return [RuntimeError("odd") if p["n"] % 2 else None for p in payloads]

    monkeypatch.setitem(registry.KINDS, "batch_job", lambda payload: None)
    monkeypatch.setitem(registry.BATCH_KINDS, "batch_job", run_together)
    return calls


def test_jobs_of_a_batch_kind_run_together_and_only_the_failed_ones_come_back(batched):
    for n in range(4):
        job_record(kind="batch_job", payload={"n": n})

    assert jobs_drain() == 2

    assert batched == [[0, 1, 2, 3]]
    done = Job.objects.filter(state=Job.State.DONE).order_by("pk")
    assert [job.payload["n"] for job in done] == [0, 2]
    failed = Job.objects.filter(state=Job.State.DUE).order_by("pk")
    assert [job.payload["n"] for job in failed] == [1, 3]
    assert all("odd" in job.last_error and job.run_after > timezone.now() for job in failed)


def test_a_batch_is_at_most_the_ledgers_batch_size(batched, monkeypatch):
    from jobs import services

    monkeypatch.setattr(services, "BATCH", 3)
    for n in range(0, 14, 2):
        job_record(kind="batch_job", payload={"n": n})

    assert jobs_drain() == 7
    assert [len(call) for call in batched] == [3, 3, 1]


def test_a_batch_handler_that_raises_leaves_every_job_of_the_batch_to_retry(monkeypatch):
    def broken_together(payloads, keep):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(registry.KINDS, "batch_job", lambda payload: None)
    monkeypatch.setitem(registry.BATCH_KINDS, "batch_job", broken_together)
    for n in range(3):
        job_record(kind="batch_job", payload={"n": n})

    assert jobs_drain() == 0
    assert Job.objects.filter(state=Job.State.DUE, attempts=1).count() == 3
    assert not Job.objects.filter(state=Job.State.DONE).exists()


def test_a_job_whose_lease_ran_out_mid_batch_is_left_to_the_worker_that_took_it(monkeypatch):
    stolen = []

    def slow_together(payloads, keep):
        outcomes = []
        for index, _ in enumerate(payloads):
            if index == 1:  # the batch was slow: the leases ran out, another worker came
                frozen.tick(LEASE + timedelta(seconds=1))
                stolen.extend(leases.leases_claim(Job.objects.filter(pk=second.pk), limit=1))
            outcomes.append(None if keep(index) else RuntimeError("not ours"))
        return outcomes

    monkeypatch.setitem(registry.KINDS, "batch_job", lambda payload: None)
    monkeypatch.setitem(registry.BATCH_KINDS, "batch_job", slow_together)
    first = job_record(kind="batch_job", payload={"n": 0})
    second = job_record(kind="batch_job", payload={"n": 1})
    with freeze_time(timezone.now()) as frozen:
        assert jobs_drain() == 1

    [theirs] = stolen
    assert Job.objects.get(pk=first.pk).state == Job.State.DONE
    again = Job.objects.get(pk=theirs.pk)
    # Still the other worker's: neither marked done nor failed by the slow one.
    assert again.state == Job.State.DUE and again.leased_until == theirs.leased_until
    assert again.last_error == ""


def test_a_batch_is_marked_done_as_its_handler_gives_outcomes_a_group_at_a_time(monkeypatch):
    from jobs import services

    marked_when_given = []

    def one_by_one(payloads, keep):
        for index, _ in enumerate(payloads):
            assert keep(index)
            marked_when_given.append(Job.objects.filter(state=Job.State.DONE).count())
            yield None

    monkeypatch.setattr(services, "MARK_EVERY", 3)
    monkeypatch.setitem(registry.KINDS, "batch_job", lambda payload: None)
    monkeypatch.setitem(registry.BATCH_KINDS, "batch_job", one_by_one)
    for n in range(8):
        job_record(kind="batch_job", payload={"n": n})

    assert jobs_drain() == 8

    # Before its own outcome, each job saw the groups of three before it marked.
    assert marked_when_given == [0, 0, 0, 3, 3, 3, 6, 6]
    assert Job.objects.filter(state=Job.State.DONE).count() == 8


def test_a_handler_that_stops_early_leaves_the_jobs_it_did_not_report_to_retry(monkeypatch):
    def gives_up(payloads, keep):
        yield None
        yield RuntimeError("this one failed")
        raise RuntimeError("the mail server went away")

    monkeypatch.setitem(registry.KINDS, "batch_job", lambda payload: None)
    monkeypatch.setitem(registry.BATCH_KINDS, "batch_job", gives_up)
    jobs = [job_record(kind="batch_job", payload={"n": n}) for n in range(4)]

    assert jobs_drain() == 1

    states = {job.pk: job for job in Job.objects.all()}
    assert states[jobs[0].pk].state == Job.State.DONE
    assert "this one failed" in states[jobs[1].pk].last_error
    for job in jobs[2:]:
        assert states[job.pk].state == Job.State.DUE
        assert "went away" in states[job.pk].last_error


def test_a_handler_that_gives_too_few_outcomes_leaves_the_rest_to_retry(monkeypatch):
    monkeypatch.setitem(registry.KINDS, "batch_job", lambda payload: None)
    monkeypatch.setitem(registry.BATCH_KINDS, "batch_job", lambda payloads, keep: [None])
    for n in range(3):
        job_record(kind="batch_job", payload={"n": n})

    assert jobs_drain() == 1

    retried = Job.objects.filter(state=Job.State.DUE)
    assert retried.count() == 2
    assert all("1 outcomes for 3" in job.last_error for job in retried)
