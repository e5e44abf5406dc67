"""Updates emailed to the signers who agreed to hear: who gets one (and who never does),
once, through the mailings sender and a real SMTP server, with a working unsubscribe
link, in the member's language; two presses make one mailing."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from lib import mailrate
from lib.mail import mail_connection_close
from mailings import sending
from mailings.models import Mailing, Recipient
from mailings.outcome import (
    UpdateEmailRefused,
    petition_signers_mailable,
    update_email,
)
from members.models import Member
from members.services import member_suppress
from petitions.models import Petition, Signature, Update
from tests.concurrency import run_concurrently
from tests.conftest import postgres_only
from tests.factories import MemberFactory, PetitionFactory, SignatureFactory
from tests.mailings.smtp_server import inbox_serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings):
    yield from inbox_serve(settings)


@pytest.fixture(autouse=True)
def _fresh_rates():
    mailrate.mail_rates_forget()
    sending.compiled_forget()
    yield
    mailrate.mail_rates_forget()
    sending.compiled_forget()
    mail_connection_close()


def signer(petition, email, *, status=Member.Status.SUBSCRIBED, opt_in=True, state=None, **member):
    """A member and their signature of `petition`, linked as the worker links them."""
    person = MemberFactory(
        organisation=petition.organisation, email=email, status=status, **member
    )
    SignatureFactory(
        petition=petition,
        email=email,
        member=person,
        opt_in=opt_in,
        state=state or Signature.State.CONFIRMED,
    )
    return person


def an_update(petition, **fields) -> Update:
    values = {
        "title": "PhotoCircle agreed to meet us",
        "body": "We meet them on **Monday**. Thank you!",
        "published_at": timezone.now() - timedelta(minutes=1),
    }
    return Update.objects.create(petition=petition, **(values | fields))


def send_everything() -> None:
    sending.mailings_advance()
    for _ in range(20):
        if not sending.recipients_drain():
            break
    sending.mailings_advance()


@pytest.fixture
def audience(petition):
    """Two who should hear, and one of each kind who never should."""
    organisation = petition.organisation
    heard = [signer(petition, "ada@example.org"), signer(petition, "bo@example.org")]
    signer(petition, "quiet@example.org", opt_in=False)
    signer(petition, "pending@example.org", state=Signature.State.PENDING)
    signer(petition, "invalid@example.org", state=Signature.State.INVALIDATED)
    signer(petition, "gone@example.org", status=Member.Status.UNSUBSCRIBED)
    signer(petition, "bounced@example.org", status=Member.Status.BOUNCED)
    signer(petition, "complained@example.org", status=Member.Status.COMPLAINED)
    signer(petition, "awaiting@example.org", status=Member.Status.PENDING)
    suppressed = signer(petition, "suppressed@example.org")
    member_suppress(
        organisation_id=organisation.pk, email_key=suppressed.email_key, reason="complained"
    )
    # Subscribed, but signed another petition only.
    signer(PetitionFactory(organisation=organisation), "elsewhere@example.org")
    # Subscribed, no signature at all.
    MemberFactory(organisation=organisation, email="member@example.org", status="subscribed")
    return heard


def test_the_audience_is_the_consenting_confirmed_signers_still_subscribed(petition, audience):
    emails = set(petition_signers_mailable(petition).values_list("email", flat=True))
    assert emails == {"ada@example.org", "bo@example.org"}


def test_a_member_with_two_signatures_is_in_the_audience_once(petition):
    person = signer(petition, "ada@example.org")
    SignatureFactory(
        petition=petition,
        email="ada+petitions@example.org",
        member=person,
        opt_in=True,
        state=Signature.State.CONFIRMED,
    )
    assert list(petition_signers_mailable(petition)) == [person]


def test_an_update_is_emailed_once_through_real_smtp_to_the_consenting_signers_only(
    petition, audience, inbox
):
    update = an_update(petition)
    mailing = update_email(update=update, by=None)
    assert mailing.audience == Mailing.Audience.SIGNERS and mailing.update == update

    send_everything()

    assert sorted(inbox.addresses()) == ["ada@example.org", "bo@example.org"]
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.SENT and mailing.recipients_total == 2
    _, _, message, _ = inbox.messages[0]
    assert message["Subject"] == "PhotoCircle agreed to meet us"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/m/u/" in message["List-Unsubscribe"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<strong>Monday</strong>" in html
    for part in (html, text):
        assert petition.title in part
        assert "12 Example Street" in part  # the footer's postal address
        assert "Unsubscribe with one click" in part
        assert "asked Open Faces Alliance to email you" in part

    # Asking again, and the loop running again, send nothing more.
    with pytest.raises(UpdateEmailRefused) as refused:
        update_email(update=update, by=None)
    assert refused.value.mailing == mailing
    send_everything()
    assert len(inbox.messages) == 2
    assert Mailing.objects.filter(update=update).count() == 1


def test_the_unsubscribe_link_of_an_update_email_works_and_the_next_update_skips_them(
    petition, audience, inbox
):
    update_email(update=an_update(petition), by=None)
    send_everything()
    ada = next(m for _, tos, m, _ in inbox.messages if tos == ["ada@example.org"])
    url = ada["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = Client().generic(
        "POST",
        "/" + path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Member.objects.get(email="ada@example.org").status == Member.Status.UNSUBSCRIBED

    update_email(update=an_update(petition, title="We won"), by=None)
    sending.compiled_forget()
    send_everything()
    latest = [tos for _, tos, m, _ in inbox.messages if m["Subject"] == "We won"]
    assert latest == [["bo@example.org"]]


def test_each_member_gets_the_frame_in_their_own_language(petition, inbox):
    signer(petition, "fr@example.org", language="fr-CA")
    signer(petition, "en@example.org", language="")
    update_email(update=an_update(petition), by=None)
    send_everything()
    langs = {
        tos[0]: m.get_body(("html",)).get_content().split('<html lang="', 1)[1][:2]
        for _, tos, m, _ in inbox.messages
    }
    assert langs == {"fr@example.org": "fr", "en@example.org": "en"}


def test_an_update_published_later_is_emailed_when_it_is_published(petition, inbox):
    signer(petition, "ada@example.org")
    later = timezone.now() + timedelta(hours=2)
    mailing = update_email(update=an_update(petition, published_at=later), by=None)
    assert mailing.state == Mailing.State.SCHEDULED and mailing.scheduled_at == later
    send_everything()
    assert inbox.messages == [] and not Recipient.objects.exists()


def test_braces_in_an_update_are_text_not_merge_fields(petition, inbox):
    signer(petition, "ada@example.org")
    update_email(update=an_update(petition, body="Write {{first_name}} or {{nonsense}}"), by=None)
    send_everything()
    text = inbox.messages[0][2].get_body(("plain",)).get_content()
    assert "{ {first_name} }" in text and "{ {nonsense} }" in text


def test_a_draft_petition_or_an_organisation_without_address_is_refused(petition):
    update = an_update(petition)
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.DRAFT)
    update.petition.refresh_from_db()
    with pytest.raises(UpdateEmailRefused, match="draft"):
        update_email(update=update, by=None)
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.OPEN)
    update.petition.refresh_from_db()
    update.petition.organisation.postal_address = ""
    update.petition.organisation.save()
    with pytest.raises(UpdateEmailRefused, match="postal address"):
        update_email(update=update, by=None)
    assert not Mailing.objects.exists()


def test_the_database_holds_one_mailing_per_update(petition):
    update = an_update(petition)
    update_email(update=update, by=None)
    first = Mailing.objects.get(update=update)
    with pytest.raises(IntegrityError), transaction.atomic():
        Mailing.objects.create(
            organisation=first.organisation, name="again", update=update, from_address="x@y.z"
        )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_presses_make_one_mailing(organisation):
    petition = PetitionFactory(organisation=organisation)
    update = an_update(petition)

    def press():
        try:
            return update_email(update=Update.objects.get(pk=update.pk), by=None).pk
        except UpdateEmailRefused as refused:
            return ("refused", refused.mailing.pk)

    results = run_concurrently(*[press] * 4)
    made = [r for r in results if not isinstance(r, tuple)]
    refused = [r[1] for r in results if isinstance(r, tuple)]
    assert len(made) == 1 and refused == made * 3
    assert Mailing.objects.filter(update=update).count() == 1
