"""Lease and claim: how workers share a table of due rows without stepping on each other.

Any table whose rows are work to do can use it by inheriting `Leased`: the job
ledger (`jobs.Job`), and a per-recipient table (one row per mailing and member,
claimed in batches) that should not have to write a generic job row per email.

A row is due when its time has come and no live lease holds it. Claiming leases
rows to one worker and counts an attempt; a worker that dies leaves its lease to
run out, and the rows come back. Failures come back later with a growing backoff,
and fail for good after `max_attempts`, where staff can see and retry them.

Writes are plain transactions with conditional updates: the database backend
serialises SQLite's writers, and on PostgreSQL `SKIP LOCKED` keeps claimers from
queueing behind each other.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone


class Leased(models.Model):
    """The columns a leased row needs. Add an index on `run_after` for due rows."""

    class State(models.TextChoices):
        DUE = "due", "Due"
        DONE = "done", "Done"
        FAILED = "failed", "Failed for good"

    state = models.CharField(max_length=10, choices=State.choices, default=State.DUE)
    run_after = models.DateTimeField(db_index=False)
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class LeasePolicy:
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    backoff_first: timedelta = timedelta(seconds=10)
    backoff_max: timedelta = timedelta(hours=1)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.backoff_first * 2 ** max(attempts - 1, 0), self.backoff_max)


DEFAULT_POLICY = LeasePolicy()


def due_q(now) -> Q:
    return Q(state=Leased.State.DUE, run_after__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def leases_claim(
    queryset: models.QuerySet, *, limit: int, policy: LeasePolicy = DEFAULT_POLICY
) -> list:
    """Lease up to `limit` due rows of `queryset` (any filter: one mailing, one kind).

    The conditional update is the claim: a row another worker leased between the
    select and the update no longer matches, and is not ours.
    """
    now = timezone.now()
    until = now + policy.lease
    due = queryset.filter(due_q(now))
    with transaction.atomic():
        candidates = due.order_by("run_after")
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        due.filter(pk__in=ids).update(leased_until=until, attempts=F("attempts") + 1)
    return list(
        queryset.model.objects.filter(pk__in=ids, leased_until=until).order_by("run_after")
    )


def lease_renew(row: Leased, *, policy: LeasePolicy = DEFAULT_POLICY) -> bool:
    """Make sure our lease will outlast the work we are about to do on `row`.

    With more than half the lease left no write is needed. Otherwise extend it, and
    if another worker has taken the row since our lease ran out, leave it to them:
    a slow batch never overlaps another worker.
    """
    now = timezone.now()
    if row.leased_until and row.leased_until - now > policy.lease / 2:
        return True
    renewed = now + policy.lease
    ours = type(row).objects.filter(
        pk=row.pk, state=Leased.State.DUE, leased_until=row.leased_until
    )
    if not ours.update(leased_until=renewed):
        return False
    row.leased_until = renewed
    return True


def lease_done(row: Leased, **fields) -> None:
    """Mark a row done (with any `fields` of its own, such as a finishing time).

    In plain SQL: it runs once per email, and the ORM compiling the same update
    afresh each time was a tenth of the send loop.
    """
    model = type(row)
    values = {"state": Leased.State.DONE, "leased_until": None, "last_error": "", **fields}
    columns = [model._meta.get_field(name) for name in values]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns)
    params = [f.get_db_prep_save(values[f.name], connection) for f in columns]
    sql = (
        f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {assignments} "
        f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, row.pk])


def lease_fail(row: Leased, *, error: str, policy: LeasePolicy = DEFAULT_POLICY) -> bool:
    """Give the row back to run again after a backoff; True if it has now failed for good."""
    rows = type(row).objects.filter(pk=row.pk)
    if row.attempts >= policy.max_attempts:
        rows.update(state=Leased.State.FAILED, leased_until=None, last_error=error)
        return True
    rows.update(
        run_after=timezone.now() + policy.backoff(row.attempts),
        leased_until=None,
        last_error=error,
    )
    return False


def leases_retry(queryset: models.QuerySet) -> int:
    """Give rows that failed (or are waiting out a backoff) a fresh start now."""
    return queryset.exclude(state=Leased.State.DONE).update(
        state=Leased.State.DUE, attempts=0, run_after=timezone.now(), leased_until=None
    )
