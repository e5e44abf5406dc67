"""The durable work ledger: record work with its cause, claim it, run it."""

import logging
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from jobs import leases
from jobs.models import Job
from jobs.registry import BATCH_KINDS, DRAINERS, KINDS, periodic

logger = logging.getLogger("chorus.jobs")

POLICY = leases.LeasePolicy(lease=timedelta(seconds=settings.JOBS_LEASE_SECONDS))
MAX_ATTEMPTS = POLICY.max_attempts
LEASE = POLICY.lease
# Jobs claimed at once by one worker thread.
CLAIM = 200
# Jobs of a batch kind run together at most this many at a time: what the batch shares
# (a query, the mail ceiling's transaction) is paid once for them all. A spike's
# confirmation backlog drained 1.3 times faster at 100 than at 20 (docs/benchmarks.md).
BATCH = 100
# The done jobs of a batch are marked this many at a time, as its handler finishes them:
# a worker killed mid-batch repeats at most this many per thread.
MARK_EVERY = 10


def job_record(*, kind: str, payload: dict, delay: timedelta | None = None) -> Job:
    """Record work to do; call inside the transaction that causes it."""
    return Job.objects.create(
        kind=kind, payload=payload, run_after=timezone.now() + (delay or timedelta())
    )


def jobs_claim(*, limit: int = CLAIM) -> list[Job]:
    """Lease up to `limit` due jobs to this worker."""
    return leases.leases_claim(Job.objects.all(), limit=limit, policy=POLICY)


def job_run(job: Job) -> bool:
    """Run one claimed job; mark it done, or schedule a retry with backoff."""
    if not leases.lease_renew(job, policy=POLICY):
        return False  # our lease ran out and another worker has the job now
    try:
        handler = KINDS.get(job.kind)
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        handler(job.payload)
    except Exception:
        logger.exception("job %s failed (attempt %s)", job.pk, job.attempts)
        leases.lease_fail(job, error=traceback.format_exc(limit=5), policy=POLICY)
        return False
    # Each thread waits for its own mark before the next job, so at most one job per
    # thread (an email sent but not yet marked) can run twice when a worker dies.
    leases.lease_done(job, done_at=timezone.now())
    return True


def jobs_drain(*, limit: int = CLAIM, budget_seconds: float = 5.0) -> int:
    """Claim and run due jobs until none are left or the time budget is spent."""
    started = timezone.now()
    done = 0
    while (timezone.now() - started).total_seconds() < budget_seconds:
        batch = jobs_claim(limit=limit)
        if not batch:
            break
        together: dict[str, list[Job]] = {}
        for job in batch:
            if job.kind in BATCH_KINDS:
                together.setdefault(job.kind, []).append(job)
            else:
                done += job_run(job)
        for kind, jobs in together.items():
            for start in range(0, len(jobs), BATCH):
                done += jobs_run_together(kind, jobs[start : start + BATCH])
    return done


def jobs_run_together(kind: str, jobs: list[Job]) -> int:
    """Run claimed jobs of one batch kind at once; mark the done ones MARK_EVERY at a time.

    The handler gives one outcome per job, in order (jobs.registry.job_batch), and may
    give each as soon as that job is finished (a generator): the done ones are marked in
    one statement per MARK_EVERY. Until its mark a job counts as in flight: a worker that
    dies after the work repeats it, so at most MARK_EVERY per thread (where one by one it
    was one). A job that failed is retried alone, with its own backoff; a handler that
    raises leaves every job it gave no outcome for to be retried. The handler asks
    `keep(i)` before the work of job i: its lease is renewed, or, run out and taken by
    another worker, the job is theirs and is neither run nor marked here.
    """
    lost: set[int] = set()

    def keep(index: int) -> bool:
        if leases.lease_renew(jobs[index], policy=POLICY):
            return True
        lost.add(index)
        return False

    done: list[int] = []
    marked = 0

    def settle(index: int, outcome: BaseException | None) -> None:
        nonlocal done, marked
        job = jobs[index]
        if index in lost:
            return
        if outcome is None:
            done.append(job.pk)
            if len(done) >= MARK_EVERY:
                marked += _jobs_done(done)
                done = []
            return
        logger.error("job %s failed (attempt %s)", job.pk, job.attempts, exc_info=outcome)
        error = "".join(traceback.format_exception(outcome, limit=5))
        leases.lease_fail(job, error=error, policy=POLICY)

    settled = 0
    try:
        for outcome in BATCH_KINDS[kind]([job.payload for job in jobs], keep):
            if settled >= len(jobs):
                raise RuntimeError(f"batch kind {kind!r} gave more outcomes than jobs")
            settle(settled, outcome)
            settled += 1
        if settled < len(jobs):
            raise RuntimeError(f"batch kind {kind!r} gave {settled} outcomes for {len(jobs)}")
    except Exception as exc:  # the rest cannot be told apart: all of them try again
        for index in range(settled, len(jobs)):
            settle(index, exc)
    # Not in a `finally`: a worker stopped by a signal leaves its last group unmarked, as
    # a killed one does, and those few jobs run again.
    if done:
        marked += _jobs_done(done)
    return marked


def _jobs_done(pks: list[int]) -> int:
    """Mark jobs done, in plain SQL: compiling the ORM's UPDATE for each group of a
    confirmation backlog was a tenth of the worker's CPU (docs/benchmarks.md).

    On PostgreSQL without waiting for the disk, as a mailing's marks are
    (mailings.sending._marks_write): only a crash of the database server itself could
    lose the last moment's marks, and those jobs would run again.
    """
    table = connection.ops.quote_name(Job._meta.db_table)
    done_at = Job._meta.get_field("done_at").get_db_prep_save(timezone.now(), connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true) AS v) "
                f"UPDATE {table} SET state = %s, leased_until = NULL, last_error = '', "
                "done_at = %s WHERE id = ANY(%s) AND EXISTS (SELECT 1 FROM quick)",
                [Job.State.DONE, done_at, list(pks)],
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET state = %s, leased_until = NULL, last_error = '', "
                f"done_at = %s WHERE id IN ({', '.join(['%s'] * len(pks))})",
                [Job.State.DONE, done_at, *pks],
            )
        return cursor.rowcount


def drainers_run() -> int:
    """One batch from each registered drainer (jobs.registry.drainer); how much they did."""
    done = 0
    for drain in DRAINERS.values():
        done += drain() or 0
    return done


def job_retry(*, job: Job) -> None:
    """Give a job that failed for good another go (a staff action)."""
    leases.leases_retry(Job.objects.filter(pk=job.pk))


@periodic("jobs_prune", every=3600)
def jobs_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget finished jobs after a while; failed ones stay until staff act on them."""
    cutoff = timezone.now() - older_than
    deleted, _ = Job.objects.filter(state=Job.State.DONE, done_at__lt=cutoff).delete()
    return deleted
