"""A sending worker killed mid-send and started again: nobody skipped, and at most the
messages in flight at that instant sent twice: those the server took but the worker had
not yet marked done, at most MAILING_MARK_EVERY per job thread.

The worker is the real `manage.py chorus_worker` in its own process, sending to a real
SMTP server this test runs, against the test database: PostgreSQL only, since another
process cannot open SQLite's in-memory test database.
"""

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from mailings.models import Mailing, Recipient
from members.models import Member
from tests.conftest import postgres_only
from tests.factories import MailingFactory, PetitionFactory
from tests.mailings.smtp_server import free_port
from tests.worker_process import SlowInbox, wait_for, worker_start

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
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    log = tmp_path / "worker.log"
    worker = _worker(controller.port, log)
    try:
        wait_for(lambda: len(inbox.addresses()) >= MEMBERS // 4, 60, "a quarter sent", log)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        at_kill = len(inbox.addresses())
        assert at_kill < MEMBERS, "the worker finished before it could be killed"

        worker = _worker(controller.port, log)
        done = Recipient.objects.filter(mailing=mailing, state=Recipient.State.DONE)
        wait_for(lambda: done.count() == MEMBERS, 90, "every recipient done", log)
        wait_for(
            lambda: Mailing.objects.get(pk=mailing.pk).state == Mailing.State.SENT,
            10,
            "the mailing marked sent",
            log,
        )
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        controller.stop()

    received = Counter(inbox.addresses())
    expected = {f"m{n}@example.org" for n in range(MEMBERS)}
    assert set(received) == expected, "someone was skipped"
    repeats = sum(count - 1 for count in received.values())
    in_flight = THREADS * MARK_EVERY
    assert repeats <= in_flight, f"{repeats} repeated; at most {in_flight} were in flight"
    assert Recipient.objects.filter(mailing=mailing).count() == MEMBERS
    assert not Recipient.objects.filter(sent_at__isnull=True).exists()
