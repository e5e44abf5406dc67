"""Milestone emails to the target: once per milestone, the highest passed, through the ledger."""

import pytest
from django.core import mail
from django.db import IntegrityError

from delivery.milestones import (
    MILESTONE_MAIL,
    MilestonesRefused,
    milestone_mail_send,
    milestones_check,
    milestones_parse,
    milestones_set,
)
from delivery.models import MilestoneSent
from jobs.models import Job
from tests.delivery.helpers import confirmed

pytestmark = pytest.mark.django_db


def _mail_jobs_run() -> None:
    for job in Job.objects.filter(kind=MILESTONE_MAIL).order_by("pk"):
        milestone_mail_send(job.payload)


@pytest.mark.parametrize(
    "text, numbers",
    [
        ("1,000 10,000 100,000", [1000, 10000, 100000]),
        ("100000; 1000\n1000", [1000, 100000]),
        ("", []),
        ("10_000 5", [5, 10000]),
    ],
)
def test_milestones_are_read_as_whole_numbers(text, numbers):
    assert milestones_parse(text) == numbers


@pytest.mark.parametrize(
    "text",
    ["1000 lots", "-5", "0", "1e6", "١٠٠٠", "=1+1", "1 2 3 4 5 6 7 8 9 10 11 12 13", "9" * 12],
)
def test_bad_milestones_are_refused_with_a_reason(text):
    with pytest.raises(MilestonesRefused):
        milestones_parse(text)


def test_the_target_is_emailed_once_when_the_total_passes_a_milestone(petition, owner):
    milestones_set(
        petition=petition, target_email="minister@example.org", milestones=[3, 10], by=owner
    )
    confirmed(petition, 2)

    assert milestones_check() == 0
    confirmed(petition, 2)
    assert milestones_check() == 1
    assert milestones_check() == 0  # a second check, and a third, record nothing more
    assert milestones_check() == 0
    _mail_jobs_run()
    _mail_jobs_run()  # a retried job sends nothing twice

    [message] = mail.outbox
    assert message.to == ["minister@example.org"]
    assert "4 people have signed" in message.subject
    text = message.body
    assert "has passed 3 signatures" in text and "4 people have now signed" in text
    assert f"/p/{petition.slug}/" in text
    [html] = [body for body, kind in message.alternatives if kind == "text/html"]
    assert "4</strong>" in html
    sent = MilestoneSent.objects.get()
    assert (sent.milestone, sent.count, sent.sent_at is not None) == (3, 4, True)


def test_only_the_highest_milestone_passed_is_sent(petition, owner):
    confirmed(petition, 12)
    milestones_set(
        petition=petition, target_email="minister@example.org", milestones=[3, 10, 50], by=owner
    )

    milestones_check()
    _mail_jobs_run()

    assert [m.milestone for m in MilestoneSent.objects.all()] == [10]
    assert len(mail.outbox) == 1
    confirmed(petition, 40)
    milestones_check()
    assert sorted(MilestoneSent.objects.values_list("milestone", flat=True)) == [10, 50]


def test_no_address_or_no_milestones_sends_nothing(petition, owner):
    confirmed(petition, 5)
    milestones_set(petition=petition, target_email="", milestones=[1], by=owner)

    assert milestones_check() == 0


def test_a_milestone_is_recorded_once_even_if_two_checks_race(petition, owner):
    milestones_set(
        petition=petition, target_email="minister@example.org", milestones=[1], by=owner
    )
    confirmed(petition, 1)
    MilestoneSent.objects.create(
        petition=petition, milestone=1, count=1, to="minister@example.org"
    )

    # The other check got there first: the unique row refuses a second one.
    with pytest.raises(IntegrityError):
        MilestoneSent.objects.create(petition=petition, milestone=1, count=1, to="x@example.org")


def test_a_check_that_loses_the_race_records_no_job(petition, owner, monkeypatch):
    milestones_set(
        petition=petition, target_email="minister@example.org", milestones=[1], by=owner
    )
    confirmed(petition, 1)
    from delivery import milestones

    # Another check recorded the row between this check's read and its insert.
    monkeypatch.setattr(milestones, "milestone_due", lambda row, total: 1)
    MilestoneSent.objects.create(
        petition=petition, milestone=1, count=1, to="minister@example.org"
    )

    assert milestones_check() == 0
    assert not Job.objects.filter(kind=MILESTONE_MAIL).exists()
