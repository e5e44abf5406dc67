"""Folding confirmed signatures into counts, in batches, off the request path.

Signing and confirming only mark their own row `count_dirty`. The fold job
claims dirty rows by that state (never by id or time, which would skip rows
that commit late), turns them into per-petition deltas and applies them
set-wise. A signature counts while it is confirmed; leaving that state takes it
out again.
"""

from collections import Counter
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import TruncDay, TruncHour

from petitions.models import Petition, PetitionCount, Signature

FOLD_BATCH = 5000
COUNT_LOCK_ID = 7_201_001  # any constant shared by every Chorus process


def counts_fold(*, batch: int = FOLD_BATCH) -> int:
    """Fold one batch of changed signatures into the counts; returns rows folded."""
    with transaction.atomic():
        if not _lock_counts(wait=False):
            return 0
        dirty = Signature.objects.filter(count_dirty=True).order_by()
        if connection.vendor == "postgresql":
            # Hold the rows we fold: a state change committed meanwhile would
            # otherwise be overwritten by our "folded" mark below and never
            # counted. Rows busy elsewhere wait for the next fold.
            dirty = dirty.select_for_update(skip_locked=True)
        rows = list(
            dirty.values_list(
                "id",
                "petition_id",
                "state",
                "counted",
                "country",
                "channel",
                "partner_id",
                "confirmed_at",
            )[:batch]
        )
        if not rows:
            return 0
        deltas: Counter = Counter()
        now_counted, now_uncounted = [], []
        for pk, petition_id, state, counted, country, channel, partner_id, confirmed_at in rows:
            should_count = state == Signature.State.CONFIRMED
            (now_counted if should_count else now_uncounted).append(pk)
            if should_count == counted:
                continue
            step = 1 if should_count else -1
            deltas[(petition_id, "total", "")] += step
            deltas[(petition_id, "country", country)] += step
            deltas[(petition_id, "channel", channel)] += step
            if partner_id is not None:
                deltas[(petition_id, "partner", str(partner_id))] += step
            day, hour = series_keys(confirmed_at)
            deltas[(petition_id, "day", day)] += step
            deltas[(petition_id, "hour", hour)] += step
        _apply(deltas)
        Signature.objects.filter(pk__in=now_counted).update(counted=True, count_dirty=False)
        Signature.objects.filter(pk__in=now_uncounted).update(counted=False, count_dirty=False)
        _raise_goals({p for p, _, _ in deltas})
    return len(rows)


def series_keys(confirmed_at: datetime | None) -> tuple[str, str]:
    """The day and hour values (UTC) a confirmation is counted under."""
    moment = (confirmed_at or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%Y-%m-%dT%H")


def _lock_counts(*, wait: bool) -> bool:
    """Only one fold or recount at a time, across every process and machine.

    On PostgreSQL a transaction-scoped advisory lock; SQLite's IMMEDIATE
    transactions already admit one writer at a time.
    """
    if connection.vendor != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [COUNT_LOCK_ID])
        row = cursor.fetchone()
    return wait or bool(row[0])


def _apply(deltas: Counter) -> None:
    keys = [k for k, v in deltas.items() if v]
    PetitionCount.objects.bulk_create(
        [PetitionCount(petition_id=p, dimension=d, value=v, count=0) for p, d, v in keys],
        ignore_conflicts=True,
    )
    for petition_id, dimension, value in keys:
        PetitionCount.objects.filter(
            petition_id=petition_id, dimension=dimension, value=value
        ).update(count=F("count") + deltas[(petition_id, dimension, value)])


def _raise_goals(petition_ids: set[int]) -> None:
    totals = dict(
        PetitionCount.objects.filter(petition_id__in=petition_ids, dimension="total").values_list(
            "petition_id", "count"
        )
    )
    for petition in Petition.objects.filter(pk__in=petition_ids).only("id", "goal", "goal_mode"):
        goal = petition.goal_at(totals.get(petition.pk, 0))
        if goal != petition.goal:
            Petition.objects.filter(pk=petition.pk).update(goal=goal)


def counts_fold_all() -> int:
    total = 0
    while folded := counts_fold():
        total += folded
    return total


def petition_recount(*, petition: Petition) -> None:
    """Rebuild a petition's counts from its signatures, repairing any drift.

    The counts always equal the rows marked `counted` (the fold moves both
    together, under one lock), so the rebuild sums those rows and flags every
    row whose mark disagrees with its state for the fold, which then settles
    them. Nothing here races with people confirming at the same moment.
    """
    with transaction.atomic():
        _lock_counts(wait=True)
        signatures = Signature.objects.filter(petition=petition)
        signatures.filter(state=Signature.State.CONFIRMED, counted=False).update(count_dirty=True)
        signatures.filter(counted=True).exclude(state=Signature.State.CONFIRMED).update(
            count_dirty=True
        )
        counted = signatures.filter(counted=True)
        rows = [
            PetitionCount(petition=petition, dimension="total", value="", count=counted.count())
        ]
        for dimension in ("country", "channel"):
            for item in counted.values(dimension).annotate(n=Count("id")).order_by():
                rows.append(
                    PetitionCount(
                        petition=petition,
                        dimension=dimension,
                        value=item[dimension],
                        count=item["n"],
                    )
                )
        partners = counted.filter(partner__isnull=False).values("partner_id")
        for item in partners.annotate(n=Count("id")).order_by():
            rows.append(
                PetitionCount(
                    petition=petition,
                    dimension="partner",
                    value=str(item["partner_id"]),
                    count=item["n"],
                )
            )
        for dimension, trunc in (("day", TruncDay), ("hour", TruncHour)):
            series = (
                counted.annotate(at=trunc("confirmed_at", tzinfo=UTC))
                .values("at")
                .annotate(n=Count("id"))
                .order_by()
            )
            for item in series:
                value = series_keys(item["at"])[0 if dimension == "day" else 1]
                rows.append(
                    PetitionCount(
                        petition=petition, dimension=dimension, value=value, count=item["n"]
                    )
                )
        PetitionCount.objects.filter(petition=petition).delete()
        PetitionCount.objects.bulk_create(rows)
    counts_fold_all()
    with transaction.atomic():
        _raise_goals({petition.pk})


def petition_count(petition: Petition) -> int:
    return (
        PetitionCount.objects.filter(petition=petition, dimension="total")
        .values_list("count", flat=True)
        .first()
        or 0
    )
