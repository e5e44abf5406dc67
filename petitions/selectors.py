"""Reads of petitions and signatures that more than one flow makes."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from lib.keyset import keyset_page
from lib.nameprefix import name_prefix_filter
from petitions.links import token_hash
from petitions.models import PetitionCount, Signature


def live_signature_id(*, petition_id: int, email_key: str, states=None) -> int | None:
    """The live signature (pending or confirmed, or only `states`) with this key, if any."""
    return (
        Signature.objects.filter(
            petition_id=petition_id, email_key=email_key, state__in=states or Signature.LIVE_STATES
        )
        .values_list("pk", flat=True)
        .first()
    )


def signature_for_token(token: str) -> Signature | None:
    """The pending signature this unexpired link confirms, if any."""
    if not token or len(token) > 100:
        return None
    return (
        Signature.objects.select_related("petition")
        .filter(
            token_hash=token_hash(token),
            token_expires_at__gt=timezone.now(),
            state=Signature.State.PENDING,
        )
        .first()
    )


# ---- The staff workspace: one petition's counts and signatures --------------------------
#
# Every read here is bounded, whatever the size of the petition: counts come from the
# folded PetitionCount rows, lists are keyset pages (never OFFSET, never COUNT), and the
# one count of signature rows (awaiting confirmation) stops at PENDING_COUNT_LIMIT.

PENDING_COUNT_LIMIT = 10_000
SIGNATURES_PAGE_SIZE = 50
LATEST_SIGNERS = 10
# What a staff list shows of a signature: never the email address, the IP fingerprint,
# the link's nonce and hash or the counting flags.
SIGNATURE_LIST_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "country",
    "channel",
    "state",
    "created_at",
)


def petition_counts(*, petition_id: int) -> dict[str, dict[str, int]]:
    """The folded counts of a petition by dimension, then value ({"total": {"": 12}, ...}).

    The hourly series is left out: a busy petition has thousands of hours, no page needs them.
    """
    counts: dict[str, dict[str, int]] = {d: {} for d in PetitionCount.Dimension.values}
    rows = PetitionCount.objects.filter(petition_id=petition_id).exclude(dimension="hour")
    for dimension, value, count in rows.values_list("dimension", "value", "count"):
        counts[dimension][value] = count
    return counts


def pending_count(*, petition_id: int, limit: int | None = None) -> tuple[int, bool]:
    """How many signatures await confirmation, counted up to `limit`: (count, more_than_that).

    Pending rows are not folded into the counts, so this reads signature rows, but stops
    after `limit` of them (a subquery with LIMIT): a page never counts a million rows.
    """
    limit = limit or PENDING_COUNT_LIMIT
    rows = Signature.objects.filter(petition_id=petition_id, state=Signature.State.PENDING)
    found = rows.order_by().values("id")[: limit + 1].count()
    return min(found, limit), found > limit


def latest_signatures(*, petition_id: int, limit: int = LATEST_SIGNERS) -> list[dict]:
    return list(
        Signature.objects.filter(petition_id=petition_id)
        .order_by("-id")
        .values(*SIGNATURE_LIST_COLUMNS)[:limit]
    )


@dataclass(frozen=True)
class SignatureFilters:
    """What the staff list narrows signatures by; every field optional."""

    email_key: str = ""
    name: str = ""
    state: str = ""
    channel: str | None = None  # "" is a channel (direct), so None means "any"
    country: str = ""
    created_from: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class SignaturePage:
    rows: list[dict]
    newer_than: int | None  # the id the "Newer" link asks for rows above, if any
    older_than: int | None  # the id the "Older" link asks for rows below, if any


def signatures_filtered(*, petition_id: int, filters: SignatureFilters):
    rows = Signature.objects.filter(petition_id=petition_id)
    if filters.email_key:
        # Written as the two partial indexes' conditions (live rows: the live-key
        # constraint's; the others: signature_staff_email_gone), so each arm uses its own.
        live = Q(state__in=Signature.LIVE_STATES)
        key = Q(email_key=filters.email_key)
        rows = rows.filter((key & live) | (key & ~live))
    if filters.name:
        rows = name_prefix_filter(rows, filters.name)
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.channel is not None:
        rows = rows.filter(channel=filters.channel)
    if filters.country:
        rows = rows.filter(country=filters.country)
    if filters.created_from:
        rows = rows.filter(created_at__gte=filters.created_from)
    if filters.created_before:
        rows = rows.filter(created_at__lt=filters.created_before)
    return rows


def signatures_page(
    *,
    petition_id: int,
    filters: SignatureFilters,
    older_than: int | None = None,
    newer_than: int | None = None,
    size: int = SIGNATURES_PAGE_SIZE,
) -> SignaturePage:
    """One page of signatures, newest first, found by keyset (ids) rather than offset.

    The page's ids are found first, from the index alone where PostgreSQL can
    (signature_staff_list holds the filtered columns), then only those rows are read:
    a filter that matches nothing costs a walk of the index, not of the table.
    """
    if connection.vendor != "postgresql":
        return _signatures_page(petition_id, filters, older_than, newer_than, size)
    with transaction.atomic():
        plan_each_query()
        return _signatures_page(petition_id, filters, older_than, newer_than, size)


def plan_each_query() -> None:
    """Plan this transaction's statements for their own values.

    psycopg prepares a statement it has seen a few times, and PostgreSQL may then reuse a
    generic plan made without the values. For "ORDER BY id DESC LIMIT 51" with a filter
    that matches little, a generic plan walks the whole petition newest first (a second
    and more for a million rows); planned with the values, the same query takes the name
    index and answers in a millisecond.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")


def _signatures_page(petition_id, filters, older_than, newer_than, size) -> SignaturePage:
    matching = signatures_filtered(petition_id=petition_id, filters=filters).order_by()
    matching = _within_ids_of_dates(matching, petition_id, filters)
    page = keyset_page(matching, older_than=older_than, newer_than=newer_than, size=size)
    return SignaturePage(_rows_by_id(page.ids), page.newer_than, page.older_than)


# Signatures are numbered as they are made, so their ids rise with their time, give or take
# the signatures of the same moment. The slack covers those.
ID_SLACK = 10_000


def _within_ids_of_dates(matching, petition_id: int, filters: SignatureFilters):
    """Narrow a date filter to the ids signed around those dates, found by bisection, so the
    walk covers the dates asked for rather than every newer (or older) signature."""
    if connection.vendor != "postgresql":
        return matching
    if filters.created_from:
        first = _first_id_signed_from(petition_id, filters.created_from)
        if first is not None:
            matching = matching.filter(id__gte=first - ID_SLACK)
    if filters.created_before:
        after = _first_id_signed_from(petition_id, filters.created_before)
        if after is not None:
            matching = matching.filter(id__lt=after + ID_SLACK)
    return matching


def _first_id_signed_from(petition_id: int, moment: datetime) -> int | None:
    """The first id (by bisection over the petition's ids, one statement, about 20 index
    probes) whose signature was made at or after `moment`; max id + 1 if none was."""
    table = Signature._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE probe(lo, hi) AS (
                SELECT min(id), max(id) + 1 FROM {table} WHERE petition_id = %(petition)s
              UNION ALL
                SELECT
                    CASE WHEN s.id IS NOT NULL AND s.created_at < %(moment)s
                         THEN s.id + 1 ELSE probe.lo END,
                    CASE WHEN s.id IS NULL THEN (probe.lo + probe.hi) / 2
                         WHEN s.created_at < %(moment)s THEN probe.hi ELSE s.id END
                FROM probe LEFT JOIN LATERAL (
                    SELECT id, created_at FROM {table}
                    WHERE petition_id = %(petition)s
                      AND id >= (probe.lo + probe.hi) / 2 AND id < probe.hi
                    ORDER BY id LIMIT 1
                ) AS s ON true
                WHERE probe.lo < probe.hi
            )
            SELECT min(hi) FROM probe
            """,
            {"petition": petition_id, "moment": moment},
        )
        return cursor.fetchone()[0]


def _rows_by_id(ids: list[int]) -> list[dict]:
    if not ids:
        return []
    return list(
        Signature.objects.filter(id__in=ids).order_by("-id").values(*SIGNATURE_LIST_COLUMNS)
    )
