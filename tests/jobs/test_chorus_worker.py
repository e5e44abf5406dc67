"""manage.py chorus_worker: runs due jobs and the apps' loops (the count fold among them)."""

import email
import email.policy
import os
import signal
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse

from jobs.models import Job
from petitions.counting import petition_count
from petitions.models import Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data
from tests.links import CONFIRM_LINK

pytestmark = pytest.mark.django_db


def test_once_it_sends_every_waiting_email_and_folds_the_counts(petition, mailoutbox):
    petition.require_confirmation = False
    petition.save()
    for n in range(3):
        signature_create(
            petition=petition, data=sign_data(email=f"p{n}@example.org"), request_meta=REQUEST_META
        )

    call_command("chorus_worker", "--once")

    assert petition_count(petition) == 3
    assert not Job.objects.filter(state=Job.State.DUE).exists()
    assert Signature.objects.filter(member__isnull=False).count() == 3


def test_once_it_sends_the_confirmation_emails(petition, mailoutbox):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)

    call_command("chorus_worker", "--once")

    assert [m.to for m in mailoutbox] == [["grace@example.org"]]


def test_job_threads_run_on_idle_cpu_only_and_leave_the_caller_alone():
    import os
    import threading

    from jobs.management.commands.chorus_worker import use_idle_cpu_only

    seen = {}

    def job_thread():
        use_idle_cpu_only()
        seen["policy"] = os.sched_getscheduler(0)

    thread = threading.Thread(target=job_thread)
    thread.start()
    thread.join(timeout=5)

    assert seen["policy"] == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


class Mailbox:
    """An SMTP server's inbox: each message as received, parsed."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def mailbox(settings):
    inbox = Mailbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def _run_worker_until(arrived: threading.Event, *options: str) -> None:
    """Run the real worker command until `arrived`, then stop it as a supervisor would."""

    def stop_when_arrived():
        arrived.wait(timeout=120)  # a safety net: without mail the test fails, not hangs
        os.kill(os.getpid(), signal.SIGTERM)

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    threading.Thread(target=stop_when_arrived, daemon=True).start()
    try:
        call_command(
            "chorus_worker", "--nice", "0", "--threads", "2", "--idle-sleep", "0.05", *options
        )
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


@pytest.mark.django_db(transaction=True)
def test_the_running_worker_sends_a_new_signer_the_email_whose_link_confirms_them(
    petition, mailbox
):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)

    _run_worker_until(mailbox.arrived)

    [(recipients, message)] = mailbox.messages
    assert recipients == ["grace@example.org"]
    assert message["To"] == "grace@example.org"
    assert petition.title in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    [token] = CONFIRM_LINK.findall(text)
    response = Client().post(reverse("petitions:confirm", args=[token]))
    assert response.status_code == 302
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def _when(condition) -> threading.Event:
    """An event set once `condition()` holds, polled from another thread."""
    happened = threading.Event()

    def poll():
        while not happened.is_set():
            try:
                if condition():
                    happened.set()
            except DatabaseError:
                # SQLite's shared in-memory test database refuses a read while the
                # worker writes ("table is locked"): ask again, rather than let the
                # thread die and the test wait out its two-minute safety net.
                pass
            threading.Event().wait(0.05)
        connection.close()

    threading.Thread(target=poll, daemon=True).start()
    return happened


@pytest.mark.django_db(transaction=True)
def test_a_jobs_only_worker_sends_the_email_and_leaves_the_counts_to_the_loops(petition, mailbox):
    petition.require_confirmation = False
    petition.save()
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)

    _run_worker_until(
        _when(lambda: not Job.objects.filter(state=Job.State.DUE).exists()), "--only", "jobs"
    )

    assert not Job.objects.filter(state=Job.State.DUE).exists()
    assert Signature.objects.get().member is not None
    assert petition_count(petition) == 0  # folding is the loops' work


@pytest.mark.django_db(transaction=True)
def test_a_loops_only_worker_folds_the_counts_and_sends_nothing(petition, mailbox):
    petition.require_confirmation = False
    petition.save()
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)

    _run_worker_until(_when(lambda: petition_count(petition) == 1), "--only", "loops")

    assert petition_count(petition) == 1
    assert Job.objects.filter(state=Job.State.DUE).count() == 1
    assert mailbox.messages == []
