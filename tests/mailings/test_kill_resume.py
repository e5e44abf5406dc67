"""A sending worker killed mid-send and started again: nobody skipped, and at most the
messages in flight at that instant sent twice: those the server took but the worker had
not yet marked done, at most MAILING_MARK_EVERY per job thread.

The worker is the real `manage.py chorus_worker` in its own process, sending to a real
SMTP server this test runs, against the test database: PostgreSQL only, since another
process cannot open SQLite's in-memory test database.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailings.models import Mailing, Recipient
from members.models import Member
from tests.conftest import postgres_only
from tests.factories import MailingFactory, PetitionFactory
from tests.worker_process import killed_and_resumed, worker_start

THREADS = 2
BATCH = 25
MARK_EVERY = 10
MEMBERS = 600


def _worker(smtp_port: int, log):
    return worker_start(
        smtp_port=smtp_port,
        threads=THREADS,
        log=log,
        MAILING_BATCH=str(BATCH),
        MAILING_MARK_EVERY=str(MARK_EVERY),
        MAILING_LEASE_SECONDS="3",
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_and_restarted_skips_nobody_and_repeats_at_most_the_in_flight(
    organisation, tmp_path
):
    Member.objects.bulk_create(
        Member(
            organisation=organisation,
            email=f"m{n}@example.org",
            email_key=f"m{n}@example.org",
            first_name=f"N{n}",
            last_name="M",
            country="GB",
            status=Member.Status.SUBSCRIBED,
        )
        for n in range(MEMBERS)
    )
    mailing = MailingFactory(
        organisation=organisation,
        petition=PetitionFactory(organisation=organisation),
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(seconds=1),
    )
    done = Recipient.objects.filter(mailing=mailing, state=Recipient.State.DONE)
    received = killed_and_resumed(
        _worker,
        emails=MEMBERS,
        finished=lambda addresses: (
            done.count() == MEMBERS
            and Mailing.objects.get(pk=mailing.pk).state == Mailing.State.SENT
        ),
        log=tmp_path / "worker.log",
    )

    expected = {f"m{n}@example.org" for n in range(MEMBERS)}
    assert set(received) == expected, "someone was skipped"
    repeats = sum(count - 1 for count in received.values())
    in_flight = THREADS * MARK_EVERY
    assert repeats <= in_flight, f"{repeats} repeated; at most {in_flight} were in flight"
    assert Recipient.objects.filter(mailing=mailing).count() == MEMBERS
    assert not Recipient.objects.filter(sent_at__isnull=True).exists()
