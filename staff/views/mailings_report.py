"""What a mailing achieved, read from its recipients and clicks in a few aggregate queries:
the progress of its send, the report's figures and rates, the subject-line test's result,
and a chart over time that Chorus draws itself as SVG (no script, readable on a phone)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mailings.models import Mailing, Recipient
from mailings.services import CANCELLED_REASON

Done, Due, Failed = Recipient.State.DONE, Recipient.State.DUE, Recipient.State.FAILED
RATE_WINDOW = timedelta(minutes=5)
# The chart's drawing box in SVG units; the page scales it to its width.
CHART_WIDTH, CHART_HEIGHT = 360, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 8, 10, 22
MAX_HOURS = 96  # longer than this, the chart counts per day
SERIES = [
    ("sends", _("Sent"), "mc-sends"),
    ("clicks", _("Unique clicks"), "mc-clicks"),
    ("signatures", _("Signatures"), "mc-signatures"),
]


def _signed() -> Q:
    return Q(signature__isnull=False) | Q(signed_at__isnull=False)


def mailing_counts(mailing: Mailing) -> dict:
    """Every figure the detail page shows, in one query over the mailing's recipients."""
    now = timezone.now()
    counts = Recipient.objects.filter(mailing=mailing).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        left=Count("pk", filter=Q(state=Due)),
        failed=Count("pk", filter=Q(state=Failed) & ~Q(last_error=CANCELLED_REASON)),
        cancelled=Count("pk", filter=Q(state=Failed, last_error=CANCELLED_REASON)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        clicks=Count("pk", filter=Q(first_clicked_at__isnull=False)),
        signatures=Count("pk", filter=_signed()),
        recent=Count("pk", filter=Q(sent_at__gte=now - RATE_WINDOW)),
    )
    return counts


def mailing_progress(mailing: Mailing, counts: dict) -> dict:
    """Sent, failed, left, the rate per minute and the minutes to finish."""
    total = counts["total"] or mailing.recipients_total
    finished = counts["sent"] + counts["failed"] + counts["cancelled"]
    rate = None
    if mailing.state in (Mailing.State.SENDING, Mailing.State.TESTING):
        rate = _per_minute(counts["recent"], RATE_WINDOW.total_seconds() / 60)
    elif mailing.started_at and counts["sent"]:
        end = mailing.finished_at or timezone.now()
        minutes = max((end - mailing.started_at).total_seconds() / 60, 1 / 60)
        rate = _per_minute(counts["sent"], minutes)
    minutes_left = None
    if rate and counts["left"] and mailing.state in (Mailing.State.SENDING,):
        minutes_left = max(round(counts["left"] / rate), 1)
    return {
        "state": mailing.state,
        "state_label": gettext(mailing.get_state_display()),
        "total": total,
        "sent": counts["sent"],
        "failed": counts["failed"],
        "cancelled": counts["cancelled"],
        "left": counts["left"],
        "percent": round(100 * finished / total) if total else 0,
        "rate": rate,
        "minutes_left": minutes_left,
        "running": mailing.state
        in (Mailing.State.SCHEDULED, Mailing.State.SENDING, Mailing.State.TESTING),
    }


def _per_minute(count: int, minutes: float):
    rate = count / minutes
    return round(rate, 1) if rate < 10 else round(rate)


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"


def report_rows(counts: dict) -> list[dict]:
    sent = counts["sent"]
    total = counts["total"]
    return [
        {"label": _("Sent"), "value": sent, "rate": _rate(sent, total), "of": _("of recipients")},
        {
            "label": _("Failed"),
            "value": counts["failed"],
            "rate": _rate(counts["failed"], total),
            "of": _("of recipients"),
        },
        *[
            {
                "label": label,
                "value": counts[key],
                "rate": _rate(counts[key], sent),
                "of": _("of sent"),
            }
            for key, label in (
                ("bounced", _("Bounced")),
                ("unsubscribed", _("Unsubscribed")),
                ("complained", _("Marked as spam")),
                ("clicks", _("Unique clicks")),
                ("signatures", _("Signatures")),
            )
        ],
    ]


def variant_rows(mailing: Mailing) -> list[dict]:
    """Per subject: sent, unique clicks, signatures, the rate by the test's metric, winner."""
    variants = list(mailing.variants.order_by("letter"))
    if not variants:
        return []
    counts = {
        row["variant"]: row
        for row in Recipient.objects.filter(mailing=mailing, variant__isnull=False)
        .values("variant")
        .annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            clicks=Count("pk", filter=Q(first_clicked_at__isnull=False)),
            signatures=Count("pk", filter=_signed()),
        )
        .order_by()
    }
    metric = "clicks" if mailing.ab_metric == Mailing.Metric.CLICKS else "signatures"
    rows = []
    for variant in variants:
        row = counts.get(variant.pk, {"sent": 0, "clicks": 0, "signatures": 0})
        rows.append(
            {
                "letter": variant.letter,
                "subject": variant.subject,
                "sent": row["sent"],
                "clicks": row["clicks"],
                "signatures": row["signatures"],
                "rate": _rate(row[metric], row["sent"]),
                "winner": variant.pk == mailing.winner_id,
            }
        )
    return rows


# ---- The chart ---------------------------------------------------------------------------


@dataclass
class Chart:
    unit: str  # "hour" or "day"
    buckets: list  # the start of each bucket
    series: dict  # name -> counts per bucket
    lines: list = field(default_factory=list)  # (css class, label, points)
    peak: int = 0
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def rows(self) -> list[dict]:
        return [
            {"at": at, **{name: self.series[name][i] for name, _, _ in SERIES}}
            for i, at in enumerate(self.buckets)
        ]

    @property
    def description(self) -> str:
        if not self.buckets:
            return _("Nothing has been sent yet.")
        totals = ", ".join(
            f"{sum(self.series[name]):,} {label.lower()}" for name, label, _ in SERIES
        )
        busiest = max(range(len(self.buckets)), key=lambda i: self.series["sends"][i])
        return (
            f"Over {len(self.buckets)} {self.unit}{'s' if len(self.buckets) != 1 else ''} "
            f"from {self.buckets[0]:%d %b %H:%M}: {totals}. The most were sent in the "
            f"{self.unit} from {self.buckets[busiest]:%d %b %H:%M} "
            f"({self.series['sends'][busiest]:,})."
        )

    @property
    def y_labels(self) -> list[dict]:
        bottom = self.height - PAD_BOTTOM
        return [
            {"y": bottom, "label": "0"},
            {"y": PAD_TOP + 4, "label": f"{self.peak:,}"},
        ]

    @property
    def x_labels(self) -> list[dict]:
        if not self.buckets:
            return []
        fmt = "%H:%M" if self.unit == "hour" else "%d %b"
        first = {"x": PAD_LEFT, "label": f"{self.buckets[0]:{fmt}}", "anchor": "start"}
        if len(self.buckets) == 1:
            return [first]
        last = {
            "x": self.width - PAD_RIGHT,
            "label": f"{self.buckets[-1]:{fmt}}",
            "anchor": "end",
        }
        return [first, last]


def _counts_by(queryset, column: str, trunc) -> dict:
    return dict(
        queryset.filter(**{f"{column}__isnull": False})
        .annotate(bucket=trunc(column))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("bucket", "n")
    )


def mailing_chart(mailing: Mailing) -> Chart:
    """Sends, unique clicks and signatures per hour (per day past four days) since the start."""
    now = timezone.now()
    start = mailing.started_at
    if start is None:
        return Chart(unit="hour", buckets=[], series={name: [] for name, _, _ in SERIES})
    end = max(mailing.finished_at or now, now)
    hours = (end - start).total_seconds() / 3600
    unit, trunc, step = ("hour", TruncHour, timedelta(hours=1))
    if hours > MAX_HOURS:
        unit, trunc, step = ("day", TruncDay, timedelta(days=1))
    recipients = Recipient.objects.filter(mailing=mailing)
    found = {
        "sends": _counts_by(recipients, "sent_at", trunc),
        "clicks": _counts_by(recipients, "first_clicked_at", trunc),
        "signatures": _counts_by(recipients, "signed_at", trunc),
    }
    first = _floor(start, unit)
    buckets = []
    at = first
    while at <= end and len(buckets) < 400:
        buckets.append(at)
        at += step
    keyed = {name: {_floor(k, unit): v for k, v in rows.items()} for name, rows in found.items()}
    series = {name: [keyed[name].get(b, 0) for b in buckets] for name in keyed}
    chart = Chart(unit=unit, buckets=buckets, series=series)
    chart.peak = max((max(v, default=0) for v in series.values()), default=0)
    chart.lines = [(css, label, _points(series[name], chart.peak)) for name, label, css in SERIES]
    return chart


def _floor(at, unit: str):
    at = timezone.localtime(at).replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if unit == "day" else at


def _points(counts: list[int], peak: int) -> str:
    left, right = PAD_LEFT, CHART_WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, CHART_HEIGHT - PAD_BOTTOM
    if not counts:
        return ""
    if len(counts) == 1:
        counts = counts * 2  # one bucket: a flat line across the box
    step = (right - left) / (len(counts) - 1)
    return " ".join(
        f"{left + i * step:.1f},{bottom - (n / peak) * (bottom - top) if peak else bottom:.1f}"
        for i, n in enumerate(counts)
    )
