"""A mailing's message as a real SMTP server receives it: every header bulk senders need,
the per-recipient return path, and a DKIM signature dkimpy verifies."""

from datetime import timedelta

import dkim
import pytest
from django.urls import reverse
from django.utils import timezone

from mailings import tokens
from mailings.message import SenderNotAllowed, message_build
from mailings.models import Mailing, Recipient
from mailings.render import mailing_compile
from mailings.sending import mailing_start, recipients_drain
from members.models import Member
from tests.dkimkeys import dkim_key_make
from tests.factories import MailingFactory, MemberFactory, PetitionFactory
from tests.mailings.smtp_server import inbox_serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings):
    yield from inbox_serve(settings)


BASE = "https://act.openfaces.example"


@pytest.fixture
def sent(organisation, inbox, settings):
    """One mailing sent through the send loop to one member.

    (message, raw bytes, envelope sender, recipient)
    """
    settings.MAILING_SENDERS = ["campaigns@openfaces.example"]
    settings.MAILING_RETURN_DOMAIN = "bounce.openfaces.example"
    MemberFactory(
        organisation=organisation,
        email="grace@example.org",
        first_name="Grace",
        status=Member.Status.SUBSCRIBED,
    )
    mailing = MailingFactory(
        organisation=organisation,
        petition=PetitionFactory(organisation=organisation),
        from_name="Open Faces",
        from_address="campaigns@openfaces.example",
        reply_to="team@openfaces.example",
        subject="They are scraping our photos, {{first_name|friend}}",
        preheader="Read this before you post again",
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(seconds=1),
    )
    mailing_start(mailing=mailing)
    assert recipients_drain() == 1
    [(mail_from, [to], message, raw)] = inbox.messages
    assert to == "grace@example.org"
    return message, raw, mail_from, Recipient.objects.get()


def test_the_message_says_who_sent_it_to_whom_and_where_replies_go(sent):
    message, _, _, _ = sent
    assert message["From"] == "Open Faces <campaigns@openfaces.example>"
    assert message["To"] == "grace@example.org"
    assert message["Reply-To"] == "team@openfaces.example"
    assert message["Subject"] == "They are scraping our photos, Grace"
    assert message["Date"]
    assert message["Message-ID"].endswith("@openfaces.example>")
    assert message["Feedback-ID"].endswith(":chorus")


def test_the_message_carries_one_click_unsubscribe_by_https_and_by_mail(sent):
    message, _, _, recipient = sent
    token = tokens.recipient_token(recipient.pk, tokens.UNSUBSCRIBE)
    url = BASE + reverse("mailings:unsubscribe", args=[token])
    assert message["List-Unsubscribe"].strip() == (
        f"<{url}>, <mailto:unsubscribe+{token}@bounce.openfaces.example>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_return_path_names_the_recipient(sent):
    _, _, mail_from, recipient = sent
    local, _, domain = mail_from.partition("@")
    assert domain == "bounce.openfaces.example"
    assert local.startswith("bounces+")
    token = local.removeprefix("bounces+")
    assert tokens.recipient_id_from_token(token, tokens.BOUNCE) == recipient.pk
    assert tokens.recipient_id_from_token(token, tokens.UNSUBSCRIBE) is None


def test_the_parts_are_personalised_and_carry_the_preheader(sent):
    message, _, _, _ = sent
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Grace," in text
    assert "Read this before you post again" in html
    assert "/m/c/" in html  # the petition link is a tracked one


def test_no_header_can_be_injected_through_the_from_name(organisation, settings):
    settings.MAILING_SENDERS = ["campaigns@openfaces.example"]
    mailing = MailingFactory(
        organisation=organisation,
        from_name="Evil\r\nBcc: victim@example.org",
        from_address="campaigns@openfaces.example",
    )
    member = MemberFactory(organisation=organisation)
    rendered = mailing_compile(mailing).personalise(member, 1)
    message = message_build(mailing=mailing, to=member.email, recipient_id=1, rendered=rendered)
    data = message.message().as_bytes()
    assert b"\nBcc:" not in data
    assert b"Evil Bcc: victim@example.org" in data or b"=?utf-8?" in data


def test_a_sender_outside_the_configured_ones_is_refused(organisation, settings):
    settings.MAILING_SENDERS = ["campaigns@openfaces.example"]
    mailing = MailingFactory(organisation=organisation, from_address="ceo@elsewhere.example")
    member = MemberFactory(organisation=organisation)
    rendered = mailing_compile(mailing).personalise(member, 1)
    with pytest.raises(SenderNotAllowed):
        message_build(mailing=mailing, to=member.email, recipient_id=1, rendered=rendered)


@pytest.fixture
def dkim_key(tmp_path, settings):
    private = tmp_path / "dkim.pem"
    public = dkim_key_make(private)
    settings.MAILING_DKIM_KEY_PATH = str(private)
    settings.MAILING_DKIM_SELECTOR = "chorus"
    settings.MAILING_DKIM_DOMAIN = "openfaces.example"
    return public


def test_a_dkim_signed_message_verifies_against_the_published_key(dkim_key, sent):
    _, raw, _, _ = sent
    record = b"v=DKIM1; k=rsa; p=" + dkim_key
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return record

    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=dns)
    assert asked == [b"chorus._domainkey.openfaces.example."]


def test_a_message_changed_on_the_way_fails_dkim(dkim_key, sent):
    _, raw, _, _ = sent
    record = b"v=DKIM1; k=rsa; p=" + dkim_key
    tampered = raw.replace(b"Hello Grace", b"Hello Gracf")
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


def test_without_dkim_settings_nothing_is_signed(sent):
    _, raw, _, _ = sent
    assert b"DKIM-Signature" not in raw


def test_any_other_email_backend_gets_the_same_message_built_by_django(organisation, settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MAILING_SENDERS = ["campaigns@openfaces.example"]
    MemberFactory(
        organisation=organisation, email="grace@example.org", status=Member.Status.SUBSCRIBED
    )
    mailing = MailingFactory(
        organisation=organisation,
        from_address="campaigns@openfaces.example",
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now(),
    )
    mailing_start(mailing=mailing)
    from lib.mail import mail_connection_close

    mail_connection_close()
    assert recipients_drain() == 1
    [message] = mail.outbox
    recipient = Recipient.objects.get()
    assert message.from_email.startswith("bounces+")
    assert message.extra_headers["From"] == "Open Faces <campaigns@openfaces.example>"
    built = message.message()
    assert built["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert tokens.recipient_token(recipient.pk, tokens.UNSUBSCRIBE) in built["List-Unsubscribe"]
    mail_connection_close()
