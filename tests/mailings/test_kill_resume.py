"""A sending worker killed mid-send and started again: nobody skipped, and at most the
messages in flight at that instant sent twice: those the server took but the worker had
not yet marked done, at most MAILING_MARK_EVERY per job thread.

The worker is the real `manage.py chorus_worker` in its own process, sending to a real
SMTP server this test runs, against the test database: PostgreSQL only, since another
process cannot open SQLite's in-memory test database.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from mailings.models import Mailing, Recipient
from members.models import Member
from tests.conftest import postgres_only
from tests.factories import MailingFactory, PetitionFactory
from tests.mailings.smtp_server import Inbox, free_port

REPO = Path(__file__).resolve().parents[2]
THREADS = 2
BATCH = 25
MARK_EVERY = 10
MEMBERS = 600


class SlowInbox(Inbox):
    """Takes a couple of milliseconds per message, so the kill lands mid-send."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.002)
        return await super().handle_DATA(server, session, envelope)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return (
        f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f"{port}/{quote(db['NAME'], safe='')}"
    )


def _worker(smtp_port: int, log: Path) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CHORUS_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "REDIS_URL"}
        and not key.startswith("PYTEST_")
    }
    env.update(
        SECRET_KEY="kill-resume-" + uuid4().hex,
        IP_HASH_KEY="kill-resume-ip-" + uuid4().hex,
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        DATABASE_URL=_database_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        BASE_URL="https://act.openfaces.example",
        ALLOWED_HOSTS="act.openfaces.example",
        MAILING_BATCH=str(BATCH),
        MAILING_MARK_EVERY=str(MARK_EVERY),
        MAILING_LEASE_SECONDS="3",
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "chorus_worker", "--nice", "0"]
        + ["--threads", str(THREADS), "--idle-sleep", "0.05"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")
        time.sleep(0.05)


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
        _wait(lambda: len(inbox.addresses()) >= MEMBERS // 4, 60, "a quarter sent", log)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        at_kill = len(inbox.addresses())
        assert at_kill < MEMBERS, "the worker finished before it could be killed"

        worker = _worker(controller.port, log)
        done = Recipient.objects.filter(mailing=mailing, state=Recipient.State.DONE)
        _wait(lambda: done.count() == MEMBERS, 90, "every recipient done", log)
        _wait(
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
