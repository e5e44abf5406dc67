"""The mailing report: figures and rates from constructed recipient rows, the subject-line
test's result, the SVG chart with its text alternative and table, and fixed query counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mailings.models import Mailing, Recipient, Segment, Variant
from staff.views.mailings_report import mailing_chart, mailing_counts, report_rows, variant_rows
from tests.factories import MailingFactory, PetitionFactory, RecipientFactory, SignatureFactory

pytestmark = pytest.mark.django_db
State = Mailing.State


@pytest.fixture
def sent_mailing(organisation):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    segment = Segment.objects.create(organisation=organisation, name="All")
    mailing = MailingFactory(
        organisation=organisation,
        segment=segment,
        state=State.SENT,
        started_at=start + timedelta(minutes=5),
        finished_at=start + timedelta(hours=2, minutes=30),
        recipients_total=10,
    )
    hour = [start + timedelta(hours=h, minutes=10) for h in range(3)]
    done = {"state": Recipient.State.DONE}
    # Ten recipients: 8 sent (5 in the first hour, 3 in the second), 1 failed, 1 cancelled.
    rows = []
    for n in range(8):
        rows.append(RecipientFactory(mailing=mailing, sent_at=hour[0 if n < 5 else 1], **done))
    RecipientFactory(mailing=mailing, state="failed", last_error="550 no such user")
    RecipientFactory(mailing=mailing, state="failed", last_error="cancelled")
    # Of the sent: 4 clicked (2 in hour 1, 2 in hour 2), 2 signed (hour 2),
    # 1 bounced, 1 unsubscribed, 1 complained.
    for recipient in rows[:4]:
        recipient.first_clicked_at = hour[1 if recipient in rows[:2] else 2]
        recipient.clicks = 1
    petition = PetitionFactory(organisation=organisation)
    for recipient in rows[:2]:
        recipient.signature = SignatureFactory(petition=petition, member=recipient.member)
        recipient.signed_at = hour[2]
    rows[5].bounced_at, rows[5].bounce_kind = hour[1], "hard"
    rows[6].unsubscribed_at = hour[1]
    rows[7].complained_at = hour[2]
    for recipient in rows:
        recipient.save()
    return mailing


def test_the_counts_come_from_the_recipient_rows(sent_mailing, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = mailing_counts(sent_mailing)

    assert {k: v for k, v in counts.items() if k != "recent"} == {
        "total": 10,
        "sent": 8,
        "left": 0,
        "failed": 1,
        "cancelled": 1,
        "bounced": 1,
        "unsubscribed": 1,
        "complained": 1,
        "clicks": 4,
        "signatures": 2,
    }


def test_each_figure_has_its_rate(sent_mailing):
    rows = {
        row["label"]: (row["value"], row["rate"])
        for row in report_rows(mailing_counts(sent_mailing))
    }

    assert rows == {
        "Sent": (8, "80.0 %"),
        "Failed": (1, "10.0 %"),
        "Bounced": (1, "12.5 %"),
        "Unsubscribed": (1, "12.5 %"),
        "Marked as spam": (1, "12.5 %"),
        "Unique clicks": (4, "50.0 %"),
        "Signatures": (2, "25.0 %"),
    }


def test_the_subject_line_test_result_marks_the_winner(organisation, django_assert_num_queries):
    mailing = MailingFactory(organisation=organisation, state=State.SENDING, ab_metric="clicks")
    a = Variant.objects.create(mailing=mailing, letter="A", subject="Short")
    b = Variant.objects.create(mailing=mailing, letter="B", subject="Longer subject")
    now = timezone.now()
    for n in range(4):
        RecipientFactory(
            mailing=mailing,
            variant=a,
            state="done",
            sent_at=now,
            first_clicked_at=now if n == 0 else None,
        )
    for n in range(4):
        RecipientFactory(
            mailing=mailing,
            variant=b,
            state="done",
            sent_at=now,
            first_clicked_at=now if n < 3 else None,
        )
    mailing.winner = b
    mailing.save()

    with django_assert_num_queries(2):
        rows = variant_rows(mailing)

    assert [(r["letter"], r["sent"], r["clicks"], r["rate"], r["winner"]) for r in rows] == [
        ("A", 4, 1, "25.0 %", False),
        ("B", 4, 3, "75.0 %", True),
    ]


def test_the_chart_counts_per_hour_since_the_start(sent_mailing, django_assert_num_queries):
    with django_assert_num_queries(3):
        chart = mailing_chart(sent_mailing)

    assert chart.unit == "hour"
    assert chart.series["sends"][:3] == [5, 3, 0]
    assert chart.series["clicks"][:3] == [0, 2, 2]
    assert chart.series["signatures"][:3] == [0, 0, 2]
    assert chart.peak == 5
    assert "13 sent" not in chart.description
    assert "8 sent, 4 unique clicks, 2 signatures" in chart.description


def test_a_long_send_is_charted_per_day(organisation):
    mailing = MailingFactory(
        organisation=organisation,
        state=State.SENT,
        started_at=timezone.now() - timedelta(days=6),
        finished_at=timezone.now() - timedelta(days=1),
    )

    chart = mailing_chart(mailing)

    assert chart.unit == "day"
    assert 6 <= len(chart.buckets) <= 8


def test_the_detail_page_draws_the_report_and_the_chart(
    sent_mailing, analyst_client, django_assert_max_num_queries
):
    Variant.objects.create(mailing=sent_mailing, letter="A", subject="One")
    Variant.objects.create(mailing=sent_mailing, letter="B", subject="Two")
    path = f"/staff/mailings/{sent_mailing.pk}/"
    analyst_client.get(path)  # warm the session and permission caches

    with django_assert_max_num_queries(17) as context:
        page = analyst_client.get(path).content.decode()
    queries = len(context.captured_queries)
    # More failures or recipients do not add queries (no N+1).
    for n in range(5):
        RecipientFactory(mailing=sent_mailing, state="failed", last_error=f"4{n}1 later")
    with django_assert_max_num_queries(queries):
        analyst_client.get(path)

    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="mc-chart-title mc-chart-desc"' in svg
    assert '<title id="mc-chart-title">Sent, unique clicks and signatures per hour</title>' in svg
    assert "8 sent, 4 unique clicks, 2 signatures" in svg
    assert svg.count("<polyline") == 3
    assert "<script" not in svg
    assert "The chart as a table" in page
    assert re.search(
        r"<th scope=\"row\">Unique clicks</th><td class=\"num\">4</td><td class=\"num\">50.0 %",
        page,
    )
    assert "Subject-line test" in page and "A: One" in page
    assert "550 no such user" in page


def test_the_chart_fits_a_phone(sent_mailing):
    chart = mailing_chart(sent_mailing)
    for _, _, points in chart.lines:
        for pair in points.split():
            x, y = (float(v) for v in pair.split(","))
            assert 0 <= x <= chart.width and 0 <= y <= chart.height
    assert chart.width <= 390  # drawn for a phone's width, scaled up on wider screens
