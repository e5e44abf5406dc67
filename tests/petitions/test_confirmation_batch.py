"""A backlog of confirmations, sent a batch at a time by the ledger's worker: each once,
a failed one retried alone, and a worker killed mid-batch repeats at most the emails it
had sent but not yet marked done (jobs.services.MARK_EVERY)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs import services as ledger
from jobs.models import Job
from jobs.services import jobs_claim, jobs_drain
from petitions import jobs as petition_jobs
from petitions.jobs import signatures_submitted
from petitions.models import MailAllowance, Signature
from petitions.services import (
    SIGNATURE_SUBMITTED,
    unverified_mail_permit_return,
    unverified_mail_permits,
)
from tests.conftest import sign_data
from tests.mailings.smtp_server import inbox_serve

pytestmark = pytest.mark.django_db

# Batches of 20 here (100 in production), so that a few signers make more than one batch
# and a batch is marked done in more than one group.
BATCH = 20
SIGNERS = BATCH + 5


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(ledger, "BATCH", BATCH)
    assert ledger.MARK_EVERY < BATCH


@pytest.fixture
def inbox(settings):
    yield from inbox_serve(settings)


class Killed(BaseException):
    """What kill -9 does to a worker, as near as one process can: nothing after it runs
    (a BaseException passes the ledger's handlers of failures)."""


def _sign_many(petition, count: int = SIGNERS) -> list[str]:
    addresses = [f"signer{n}@example.org" for n in range(count)]
    url = reverse("petitions:sign", args=[petition.slug])
    for n, address in enumerate(addresses):
        # A network each: the per-network ceiling is not what these tests are about.
        Client(REMOTE_ADDR=f"198.51.{n}.7").post(url, sign_data(email=address))
    return addresses


def test_a_batch_of_confirmations_sends_each_signer_one_email(petition, inbox):
    addresses = _sign_many(petition)

    assert jobs_drain() == SIGNERS

    assert Counter(inbox.addresses()) == Counter(addresses)
    assert not Job.objects.filter(kind=SIGNATURE_SUBMITTED).exclude(state=Job.State.DONE).exists()
    assert jobs_drain() == 0
    assert len(inbox.addresses()) == SIGNERS


def test_a_refused_confirmation_is_retried_alone_and_the_rest_are_not_sent_again(petition, inbox):
    addresses = _sign_many(petition)
    inbox.refuse["signer3@example.org"] = "550 5.1.1 no such mailbox today"

    assert jobs_drain() == SIGNERS - 1
    failed = Job.objects.get(kind=SIGNATURE_SUBMITTED, state=Job.State.DUE)
    assert "550" in failed.last_error
    assert "signer3@example.org" not in inbox.addresses()

    inbox.refuse.clear()
    with freeze_time(timezone.now() + timedelta(minutes=1)):
        assert jobs_drain() == 1

    assert Counter(inbox.addresses()) == Counter(addresses)


def test_a_worker_killed_mid_batch_repeats_at_most_the_emails_not_yet_marked(
    petition, inbox, settings, monkeypatch
):
    addresses = _sign_many(petition)
    # The worker dies just after its 19th email of the first batch: ten are marked done
    # by then, nine are sent and not yet marked.
    submitted, sent = petition_jobs._submitted, []

    def dying(payload, signature, permit=None):
        submitted(payload, signature, permit)
        sent.append(signature.email)
        if len(sent) == 19:
            raise Killed

    monkeypatch.setattr(petition_jobs, "_submitted", dying)
    with pytest.raises(Killed):
        jobs_drain()
    monkeypatch.setattr(petition_jobs, "_submitted", submitted)
    marked = Job.objects.filter(kind=SIGNATURE_SUBMITTED, state=Job.State.DONE).count()
    assert sorted(inbox.addresses()) == sorted(sent)
    assert marked == ledger.MARK_EVERY
    in_flight = set(sent) - _marked_addresses()
    assert len(in_flight) == len(sent) - marked <= ledger.MARK_EVERY

    # Its leases run out: another worker sends the rest at once, and the unmarked ones
    # again once the mail ceiling lets those addresses have mail again.
    later = timezone.now() + ledger.LEASE + timedelta(seconds=1)
    with freeze_time(later):
        jobs_drain()
    with freeze_time(later + timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL + 1)):
        jobs_drain()

    received = Counter(inbox.addresses())
    assert set(received) == set(addresses)  # nobody skipped
    repeated = {address for address, times in received.items() if times > 1}
    assert repeated == in_flight
    assert max(received.values()) == 2
    assert not Job.objects.exclude(state=Job.State.DONE).exists()


def _marked_addresses() -> set[str]:
    done = Job.objects.filter(kind=SIGNATURE_SUBMITTED, state=Job.State.DONE)
    ids = [job.payload["signature"] for job in done]
    return set(Signature.objects.filter(pk__in=ids).values_list("email", flat=True))


def test_permits_for_a_batch_count_as_if_asked_one_after_another(settings):
    settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR = 2
    asked = [("key-a", "net-1"), ("key-a", "net-2"), ("key-b", "net-1"), ("key-c", "net-1")]

    granted = [permit.granted for permit in unverified_mail_permits(requests=asked)]

    # key-a again within the interval is held; net-1's third email is over its hour.
    assert granted == [True, False, True, False]


def test_a_permit_of_a_batch_given_back_does_not_undo_a_later_one(settings):
    settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR = 5
    first, second = unverified_mail_permits(requests=[("key-a", "net-1"), ("key-b", "net-1")])

    unverified_mail_permit_return(permit=first)

    # net-1 still counts both: the first's return finds the second taken since.
    assert sorted(MailAllowance.objects.values_list("sent_in_window", flat=True)) == [0, 1, 2]
    assert first.granted and second.granted


def test_confirmations_rendered_once_per_petition_each_carry_their_own_link(petition, mailoutbox):
    _sign_many(petition, 3)
    jobs_drain()

    links = []
    for message in mailoutbox:
        [link] = {word for word in message.body.split() if "/c/" in word}
        html = message.alternatives[0][0]
        assert html.count(link) == 3  # the button, the link to copy and its text
        assert "chorus-link-" not in message.body + html
        links.append(link)
    assert len(set(links)) == 3


def test_a_confirmation_sent_over_smtp_has_the_headers_and_parts_django_would_give_it(
    petition, inbox
):
    petition.title = "Sauvons l’école d’été"
    petition.save()
    petition.organisation.sender_name = "Visages Ouverts — Paris"
    petition.organisation.save()
    _sign_many(petition, 1)
    jobs_drain()

    [(envelope_from, recipients, message, raw)] = inbox.messages
    assert recipients == ["signer0@example.org"]
    assert message["To"] == "signer0@example.org"
    assert message["Subject"].endswith("Sauvons l’école d’été")
    assert message["From"].addresses[0].display_name == "Visages Ouverts — Paris"
    assert envelope_from == message["From"].addresses[0].addr_spec
    assert message["Message-ID"] and message["Date"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [link] = {word for word in text.split() if "/c/" in word}
    assert link in html
    assert "Sauvons l’école d’été" in text
    assert b"\r\n.\r\n" not in raw  # a line of one dot would have ended the message early


def test_a_job_another_worker_took_mid_batch_is_not_mailed_and_its_permit_goes_back(
    petition, inbox
):
    _sign_many(petition, 3)
    batch = jobs_claim(limit=3)

    outcomes = list(
        signatures_submitted([job.payload for job in batch], keep=lambda index: index != 1)
    )

    assert outcomes == [None, None, None]
    assert sorted(inbox.addresses()) == ["signer0@example.org", "signer2@example.org"]
    # The other worker, running it now, is not held back by the slow one's permit.
    [taken_back] = unverified_mail_permits(requests=[(_email_key(batch[1]), "")])
    assert taken_back.granted


def _email_key(job) -> str:
    return Signature.objects.get(pk=job.payload["signature"]).email_key
