"""The durable work ledger: record work with its cause, claim it, run it."""

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.models import Job

logger = logging.getLogger("chorus.jobs")

HANDLERS: dict[str, Callable[[dict], None]] = {}
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)


def job_handler(kind: str):
    """Register the function that runs jobs of this kind."""

    def register(func):
        HANDLERS[kind] = func
        return func

    return register


def job_record(*, kind: str, payload: dict, delay: timedelta | None = None) -> Job:
    """Record work to do; call inside the transaction that causes it."""
    return Job.objects.create(
        kind=kind, payload=payload, run_after=timezone.now() + (delay or timedelta())
    )


def jobs_claim(*, limit: int = 50) -> list[Job]:
    """Lease up to `limit` due jobs to this worker.

    A job is due when its time has come and no live lease holds it, so work a
    dead worker had leased comes back when the lease runs out.
    """
    now = timezone.now()
    due = Q(state=Job.State.DUE, run_after__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )
    with transaction.atomic():
        candidates = Job.objects.filter(due).order_by("run_after")
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        # The conditional update is the claim; on SQLite the IMMEDIATE
        # transaction already serialises writers.
        Job.objects.filter(due, id__in=ids).update(
            leased_until=now + LEASE, attempts=F("attempts") + 1
        )
    return list(Job.objects.filter(id__in=ids, leased_until=now + LEASE))


def job_run(job: Job) -> bool:
    """Run one claimed job; mark it done, or schedule a retry with backoff."""
    handler = HANDLERS.get(job.kind)
    if not _lease_renew(job):
        return False  # our lease ran out and another worker has the job now
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        handler(job.payload)
    except Exception:
        error = traceback.format_exc(limit=5)
        logger.exception("job %s failed (attempt %s)", job.pk, job.attempts)
        _job_fail(job, error)
        return False
    _job_done(job)
    return True


def _job_done(job: Job) -> None:
    """Mark a job done, in plain SQL: one per email, and the ORM's update compiled
    afresh each time was a tenth of the send loop. Each thread waits for its own
    mark before the next email, so at most one email per thread can be in flight
    when a worker dies.
    """
    sql = (
        f"UPDATE {Job._meta.db_table} SET state = %s, done_at = %s, leased_until = NULL, "
        "last_error = '' WHERE id = %s"
    )

    done_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [Job.State.DONE, done_at, job.pk])


def _lease_renew(job: Job) -> bool:
    """Make sure our lease will outlast this job before running it.

    A lease with more than half its time left is ours for sure; only then is no
    write needed. Otherwise extend it, and if another worker has taken the job
    since our lease ran out, leave it to them. So a slow batch never overlaps
    another worker, and only the job in flight when a worker dies can run twice
    (an email sent but not yet marked done, say).
    """
    now = timezone.now()
    if job.leased_until and job.leased_until - now > LEASE / 2:
        return True
    renewed = now + LEASE
    taken = Job.objects.filter(pk=job.pk, state=Job.State.DUE, leased_until=job.leased_until)
    if not taken.update(leased_until=renewed):
        return False
    job.leased_until = renewed
    return True


def jobs_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget finished jobs after a while; failed ones stay until staff act on them."""
    cutoff = timezone.now() - older_than
    deleted, _ = Job.objects.filter(state=Job.State.DONE, done_at__lt=cutoff).delete()
    return deleted


def _job_fail(job: Job, error: str) -> None:
    if job.attempts >= MAX_ATTEMPTS:
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, leased_until=None, last_error=error
        )
        return
    backoff = timedelta(seconds=min(2**job.attempts * 5, 3600))
    Job.objects.filter(pk=job.pk).update(
        run_after=timezone.now() + backoff, leased_until=None, last_error=error
    )


def jobs_drain(*, limit: int = 50, budget_seconds: float = 5.0) -> int:
    """Claim and run due jobs until none are left or the time budget is spent."""
    started = timezone.now()
    done = 0
    while (timezone.now() - started).total_seconds() < budget_seconds:
        batch = jobs_claim(limit=limit)
        if not batch:
            break
        for job in batch:
            done += job_run(job)
    return done


def job_retry(*, job: Job) -> None:
    """Give a job that failed for good another go (a staff action)."""
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DUE, attempts=0, run_after=timezone.now(), leased_until=None
    )
