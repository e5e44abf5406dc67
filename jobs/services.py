"""The durable work ledger: record work with its cause, claim it, run it."""

import logging
import traceback
from datetime import timedelta

from django.utils import timezone

from jobs import leases
from jobs.models import Job
from jobs.registry import BATCH_KINDS, DRAINERS, KINDS, periodic

logger = logging.getLogger("chorus.jobs")

POLICY = leases.LeasePolicy()
MAX_ATTEMPTS = POLICY.max_attempts
LEASE = POLICY.lease
# Jobs of a batch kind run together at most this many at a time: they are marked done
# together after the last, so a worker killed in between repeats at most this many.
BATCH = 20


def job_record(*, kind: str, payload: dict, delay: timedelta | None = None) -> Job:
    """Record work to do; call inside the transaction that causes it."""
    return Job.objects.create(
        kind=kind, payload=payload, run_after=timezone.now() + (delay or timedelta())
    )


def jobs_claim(*, limit: int = 50) -> list[Job]:
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


def jobs_drain(*, limit: int = 50, budget_seconds: float = 5.0) -> int:
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
    """Run claimed jobs of one batch kind at once; mark the done ones in one statement.

    Until that mark every job of the batch counts as in flight: a worker that dies
    after sending leaves them all to run again (at most BATCH per thread, where one by
    one it was one). A job that failed is retried alone, with its own backoff. The
    handler asks `keep(i)` before the work of job i: its lease is renewed, or, run out
    and taken by another worker, the job is theirs and is neither run nor marked here.
    """
    lost: set[int] = set()

    def keep(index: int) -> bool:
        if leases.lease_renew(jobs[index], policy=POLICY):
            return True
        lost.add(index)
        return False

    try:
        outcomes = BATCH_KINDS[kind]([job.payload for job in jobs], keep)
    except Exception as exc:  # nothing of the batch can be told apart: all try again
        outcomes = [exc] * len(jobs)
    pairs = enumerate(zip(jobs, outcomes, strict=True))
    ours = [(job, outcome) for index, (job, outcome) in pairs if index not in lost]
    done = [job.pk for job, outcome in ours if outcome is None]
    if done:
        Job.objects.filter(pk__in=done).update(
            state=Job.State.DONE, leased_until=None, last_error="", done_at=timezone.now()
        )
    for job, outcome in ours:
        if outcome is not None:
            logger.error("job %s failed (attempt %s)", job.pk, job.attempts, exc_info=outcome)
            error = "".join(traceback.format_exception(outcome, limit=5))
            leases.lease_fail(job, error=error, policy=POLICY)
    return len(done)


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
