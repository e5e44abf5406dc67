"""The one ceiling on mail to unverified addresses, whichever path asks for the mail."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs.models import Job
from jobs.registry import KINDS
from jobs.services import jobs_drain
from petitions.models import MailAllowance, Signature
from petitions.services import (
    unverified_mail_permit,
    unverified_mail_permit_return,
    unverified_mail_permits,
)
from tests.conftest import postgres_only, sign_data
from tests.factories import PetitionFactory
from tests.links import confirm_token

pytestmark = pytest.mark.django_db

ADDRESS = "grace@example.org"


def _sign(petition, remote_addr="203.0.113.7", **overrides):
    data = sign_data(**overrides)
    url = reverse("petitions:sign", args=[petition.slug])
    return Client(REMOTE_ADDR=remote_addr).post(url, data)


def _resend(petition, email=ADDRESS):
    url = reverse("petitions:resend", args=[petition.slug])
    return Client().post(url, {"email": email})


# How the public causes each kind of job there is, for a pending signature of ADDRESS
# on `petition`; None for kinds that never mail an unverified address. A new kind
# fails the completeness test below until it is listed here, and so checked.
CAUSES = {
    "signature_submitted": lambda petition: _sign(petition, first_name="Mallory"),
    "send_confirmation": _resend,
    "signature_confirmed": None,  # the address has just been proven
    "petition_recount": None,  # staff only, and it mails nobody
    # An owner's invitation of a colleague: the public cannot cause it (staff.jobs).
    "staff_invitation_mail": None,
    # The confirmed opt-in email asks this ceiling too, but the public can cause at most
    # one per member while its link is valid (30 days): tests/members/test_member_optin.py
    # checks that it is held after a confirmation email and sent once the ceiling allows.
    "member_optin_send": None,
    # An owner's member import: staff only, and it mails nobody (staff.jobs).
    "member_import_run": None,
    # A staff bulk invalidation or reinstatement (petitions.jobs): it mails nobody.
    "bulk_action_run": None,
    # A delivery pack (delivery.jobs): staff only, and it mails nobody.
    "delivery_pack_run": None,
    # A milestone email to the target: an address staff typed, never one the public
    # gave, at most once per milestone (delivery.milestones).
    "delivery_milestone_mail": None,
    # A request for a copy of one's data or its erasure (rights.jobs): a link by email.
    "rights_request": lambda petition, email=ADDRESS: Client().post(
        "/your-data/", {"email": email, "purpose": "copy"}
    ),
    # A webhook delivery to a partner's server (api.jobs): an HTTP POST, never an email.
    "webhook_deliver": None,
}


def _app_kinds() -> set[str]:
    return {kind for kind, handler in KINDS.items() if not handler.__module__.startswith("tests")}


def test_every_job_kind_is_known_to_these_tests():
    assert _app_kinds() == set(CAUSES)


SENDERS = sorted(kind for kind, cause in CAUSES.items() if cause)


def _later(settings, intervals: int):
    step = timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL + 1)
    return freeze_time(timezone.now() + intervals * step)


@pytest.mark.parametrize("kind", SENDERS)
def test_no_job_kind_mails_an_address_again_within_the_interval(kind, petition, mailoutbox):
    _sign(petition)
    jobs_drain()
    for _ in range(5):
        CAUSES[kind](petition)
    jobs_drain()

    assert len(mailoutbox) == 1
    assert Job.objects.filter(kind=kind).count() >= 5  # the kind did run


@pytest.mark.parametrize("kind", SENDERS)
def test_no_job_kind_mails_an_address_more_than_the_daily_cap(
    kind, petition, mailoutbox, settings
):
    _sign(petition)
    jobs_drain()
    for intervals in range(1, 8):
        with _later(settings, intervals):
            CAUSES[kind](petition)
            jobs_drain()

    assert len(mailoutbox) == settings.UNVERIFIED_MAIL_PER_DAY


def test_the_paths_share_one_ceiling(petition, mailoutbox, settings):
    _sign(petition)
    jobs_drain()
    with _later(settings, 1):
        _sign(petition, first_name="Mallory")
        _resend(petition)
        jobs_drain()

    assert len(mailoutbox) == 2


def test_a_new_signature_held_by_the_ceiling_gets_its_link_once_the_interval_has_passed(
    organisation, mailoutbox, settings
):
    first, second = (
        PetitionFactory(organisation=organisation),
        PetitionFactory(organisation=organisation),
    )
    _sign(first)
    _sign(second)
    jobs_drain()
    assert len(mailoutbox) == 1

    with _later(settings, 1):
        jobs_drain()

    assert len(mailoutbox) == 2
    path = reverse("petitions:confirm", args=[confirm_token(mailoutbox[1])])
    assert Client().post(path).status_code == 302
    assert {s.state for s in Signature.objects.all()} == {"pending", "confirmed"}


def test_the_ceiling_is_kept_in_the_database_under_a_keyed_hash(petition, settings):
    settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR = 0
    _sign(petition)
    jobs_drain()

    [allowance] = MailAllowance.objects.all()
    assert allowance.sent_in_window == 1
    assert "grace" not in allowance.key and len(allowance.key) == 64
    # Any other process or machine asks the same table, and is held too.
    assert not unverified_mail_permit(email_key=Signature.objects.get().email_key).granted


def test_mail_that_could_not_be_sent_does_not_count(petition, mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    _sign(petition)
    jobs_drain()  # refused by the closed port: the job will be retried
    assert Job.objects.get().last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with freeze_time(timezone.now() + timedelta(minutes=1)):  # its retry, within the interval
        jobs_drain()

    assert len(mailoutbox) == 1


def test_one_network_fans_out_to_no_more_addresses_than_its_limit(petition, mailoutbox, settings):
    settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR = 3
    answers = {
        _sign(petition, "198.51.100.9", email=f"victim{n}@example.org")["Location"]
        for n in range(5)
    }
    _sign(petition, "192.0.2.1", email="someone@example.org")  # another network
    _resend(petition, "victim4@example.org")  # the resend form, from a third network
    jobs_drain()

    assert len(answers) == 1  # every one of them looked like success
    assert Signature.objects.count() == 6  # and was stored
    sent = sorted(m.to[0] for m in mailoutbox)
    assert len([a for a in sent if a.startswith("victim")]) == 4
    assert "someone@example.org" in sent
    with freeze_time(timezone.now() + timedelta(hours=1, minutes=1)):
        _sign(petition, "198.51.100.9", email="later@example.org")
        jobs_drain()
    assert "later@example.org" in {m.to[0] for m in mailoutbox}


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_two_workers_asking_at_once_get_one_permit():
    barrier = threading.Barrier(4)
    granted, errors = [], []

    def ask():
        try:
            barrier.wait(timeout=10)
            granted.append(unverified_mail_permit(email_key="1:grace@example.org").granted)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(granted) == [False, False, False, True]


def test_the_same_email_asking_again_is_not_held_by_its_own_earlier_attempt():
    first = unverified_mail_permit(email_key="2:grace@example.org", holder="confirm:1")
    again = unverified_mail_permit(email_key="2:grace@example.org", holder="confirm:1")
    other = unverified_mail_permit(email_key="2:grace@example.org", holder="confirm:2")
    nameless = unverified_mail_permit(email_key="2:grace@example.org")

    assert first.granted and first.taken  # counted
    assert again.granted and again.taken == []  # granted on what the first took
    assert not other.granted and not nameless.granted
    [allowance] = MailAllowance.objects.all()
    assert (allowance.sent_in_window, allowance.taken_by) == (1, "confirm:1")


def test_once_another_email_took_the_allowance_the_first_waits_like_any_other(settings):
    start = timezone.now()
    unverified_mail_permit(email_key="2:grace@example.org", holder="confirm:1")
    later = start + timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL + 1)
    with freeze_time(later):
        assert unverified_mail_permit(email_key="2:grace@example.org", holder="confirm:2").granted
        assert not unverified_mail_permit(
            email_key="2:grace@example.org", holder="confirm:1"
        ).granted


def test_a_permit_given_back_gives_back_its_holder_too():
    permit = unverified_mail_permit(email_key="2:grace@example.org", holder="confirm:1")

    unverified_mail_permit_return(permit=permit)

    [allowance] = MailAllowance.objects.all()
    assert (allowance.sent_in_window, allowance.taken_by, allowance.last_sent_at) == (0, "", None)


def test_a_confirmation_whose_worker_died_after_taking_its_permit_goes_out_at_once(
    petition, mailoutbox
):
    _sign(petition)
    signature = Signature.objects.get()
    # What the killed worker did before it died: asked the ceiling for this email.
    [taken] = unverified_mail_permits(
        requests=[(signature.email_key, "")], holders=[f"confirm:{signature.pk}"]
    )
    assert taken.granted and not mailoutbox

    jobs_drain()  # the job's lease ran out; another worker runs it, within the interval

    [message] = mailoutbox
    assert message.to == [signature.email] and confirm_token(message)
    assert MailAllowance.objects.get(taken_by=f"confirm:{signature.pk}").sent_in_window == 1
