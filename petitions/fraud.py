"""Reads for the staff fraud view: who signed a petition, hour by hour, from where.

Signatures (in any state: a fraudulent one is evidence too) are grouped by client network
(the stored /24 or /48 prefix; Chorus keeps nothing finer), by email domain (taken from
the canonical key in SQL: what follows its first "@") and by country, over a window.

Spikes are judged against the petition's own baseline, two ways:
* an hour is a spike when it holds at least SPIKE_FACTOR times the window's median hour
  (and at least SPIKE_MIN signatures);
* a network, domain or country is "rising" when its share of the window is at least
  RISING_FACTOR times its share of the petition's whole life, and a "burst" when its own
  busiest hour alone is a spike by the rule for hours.
Each read is one GROUP BY over the window's rows (on PostgreSQL found by id, as the
signature list finds dates), then the lifetime and the busiest hour of the TOP values
only. The lifetime reads every row of the petition, so it is cached for a few minutes.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median

from django.core.cache import cache
from django.db.models import Count, F, Value
from django.db.models.functions import StrIndex, Substr, TruncHour

from petitions.models import Signature
from petitions.selectors import SignatureFilters, _within_ids_of_dates

TOP = 20
SPIKE_FACTOR = 3
SPIKE_MIN = 10
RISING_FACTOR = 2
RISING_MIN = 10
FLAGGED_SHOWN = 20
LIFETIME_CACHE_SECONDS = 300
DIMENSIONS = ("network", "domain", "country")


def with_domain(rows):
    return rows.annotate(domain=Substr("email_key", StrIndex("email_key", Value("@")) + 1))


def _column(rows, dimension: str):
    if dimension == "network":
        return rows.annotate(value=F("ip_prefix"))
    if dimension == "domain":
        return with_domain(rows).annotate(value=F("domain"))
    return rows.annotate(value=F("country"))


@dataclass
class Ranked:
    value: str
    count: int
    share: float  # of the window, %
    lifetime: int
    lifetime_share: float  # of the petition's whole life, %
    peak: int  # its busiest hour in the window
    peak_at: datetime | None
    rising: bool = False
    burst: bool = False


@dataclass
class Hour:
    at: datetime
    count: int
    spike: bool


@dataclass
class FraudReport:
    petition_id: int
    start: datetime
    end: datetime
    total: int
    lifetime_total: int
    hours: list[Hour]
    median_hour: float
    spike_threshold: int
    ranked: dict[str, list[Ranked]] = field(default_factory=dict)

    @property
    def spikes(self) -> list[Hour]:
        return [hour for hour in self.hours if hour.spike]


def spike_threshold(median_hour: float) -> int:
    return max(SPIKE_MIN, int(SPIKE_FACTOR * median_hour + 0.999))


def fraud_report(*, petition_id: int, start: datetime, end: datetime) -> FraudReport:
    everything = Signature.objects.filter(petition_id=petition_id).order_by()
    window = everything.filter(created_at__gte=start, created_at__lt=end)
    # On PostgreSQL, also the ids signed around those times (found by bisection), so a
    # window reads its own rows by the (petition, id) index, not the whole petition.
    window = _within_ids_of_dates(
        window, petition_id, SignatureFilters(created_from=start, created_before=end)
    )
    hours = _hours(window, start, end)
    middle = median([h.count for h in hours]) if hours else 0
    threshold = spike_threshold(middle)
    for hour in hours:
        hour.spike = hour.count >= threshold
    total = sum(h.count for h in hours)
    report = FraudReport(
        petition_id=petition_id,
        start=start,
        end=end,
        total=total,
        lifetime_total=everything.count(),
        hours=hours,
        median_hour=middle,
        spike_threshold=threshold,
    )
    for dimension in DIMENSIONS:
        report.ranked[dimension] = _ranked(everything, window, dimension, report)
    return report


def _hours(window, start: datetime, end: datetime) -> list[Hour]:
    counted = dict(
        window.annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    hours, at = [], start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while at < end:
        hours.append(Hour(at=at, count=counted.get(at, 0), spike=False))
        at += timedelta(hours=1)
    return hours


def _ranked(everything, window, dimension: str, report: FraudReport) -> list[Ranked]:
    top = list(
        _column(window, dimension)
        .values("value")
        .annotate(n=Count("id"))
        .order_by("-n", "value")
        .values_list("value", "n")[:TOP]
    )
    if not top:
        return []
    values = [value for value, _ in top]
    lifetime = _lifetime(report.petition_id, everything, dimension, values)
    peaks = _peaks(_column(window, dimension).filter(value__in=values))
    rows = []
    for value, count in top:
        share = count * 100 / report.total if report.total else 0
        whole = lifetime.get(value, count)
        whole_share = whole * 100 / report.lifetime_total if report.lifetime_total else 0
        peak, peak_at = peaks.get(value, (0, None))
        rows.append(
            Ranked(
                value=value,
                count=count,
                share=share,
                lifetime=whole,
                lifetime_share=whole_share,
                peak=peak,
                peak_at=peak_at,
                rising=count >= RISING_MIN and share >= RISING_FACTOR * whole_share,
                burst=peak >= report.spike_threshold,
            )
        )
    return rows


def _lifetime(petition_id: int, everything, dimension: str, values: list[str]) -> dict[str, int]:
    """How many signatures each value has had in the petition's whole life.

    The one read here that covers every row of the petition (a second or two at a million
    signatures), so it is kept for LIFETIME_CACHE_SECONDS: a baseline moves slowly.
    """
    digest = hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]
    key = f"fraud:lifetime:{petition_id}:{dimension}:{digest}"
    found = cache.get(key)
    if found is None:
        found = dict(
            _column(everything, dimension)
            .filter(value__in=values)
            .values("value")
            .annotate(n=Count("id"))
            .values_list("value", "n")
        )
        cache.set(key, found, LIFETIME_CACHE_SECONDS)
    return found


def _peaks(rows) -> dict[str, tuple[int, datetime]]:
    """Each value's busiest hour in the window: (signatures, the hour)."""
    by_hour = (
        rows.annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("value", "hour")
        .annotate(n=Count("id"))
        .values_list("value", "hour", "n")
    )
    peaks: dict[str, tuple[int, datetime]] = {}
    for value, hour, n in by_hour:
        if n > peaks.get(value, (0, None))[0]:
            peaks[value] = (n, hour)
    return peaks


def flagged_signatures(*, petition_id: int, limit: int = FLAGGED_SHOWN) -> list[dict]:
    """The latest signatures marked fraudulent, by the automatic limits or by staff, with
    the limits' reason where the model has one (Signature.flag_reason)."""
    columns = ["id", "first_name", "last_name", "country", "ip_prefix", "created_at"]
    if any(f.name == "flag_reason" for f in Signature._meta.get_fields()):
        columns.append("flag_reason")
    rows = (
        Signature.objects.filter(petition_id=petition_id, state=Signature.State.FRAUDULENT)
        .order_by("-id")
        .values(*columns)[:limit]
    )
    return list(rows)


def flagged_count(*, petition_id: int, start: datetime, end: datetime) -> int:
    return (
        Signature.objects.filter(
            petition_id=petition_id,
            state=Signature.State.FRAUDULENT,
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by()
        .count()
    )
