"""Bounces, complaints and mailto unsubscribes, as the mail server pipes them in."""

import io
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from mailings import tokens
from mailings.inbound import inbound_handle, message_parse
from mailings.models import Recipient, SoftBounce
from members.models import ConsentRecord, Member, Suppression
from tests.factories import RecipientFactory
from tests.mailings.inbound_helpers import (  # noqa: F401 (fixtures)
    mailing_fixture,
    recipient_fixture,
    token_for,
)

pytestmark = pytest.mark.django_db
DOMAIN = "bounces.openfaces.example"


def verp(recipient) -> str:
    return f"bounces+{token_for(recipient, tokens.BOUNCE)}@{DOMAIN}"


def dsn(
    *,
    to: str = "",
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <grace@example.org>: Recipient address rejected",
    original_headers: str = "",
) -> bytes:
    """A delivery status notification as Postfix writes one (RFC 3464)."""
    return f"""Return-Path: <>
Delivered-To: {to}
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--B0UND
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 4F1B2C3D4E
Arrival-Date: Sat,  5 Dec 2026 18:00:00 +0000 (UTC)

Final-Recipient: rfc822; grace@example.org
Original-Recipient: rfc822;grace@example.org
Action: {action}
Status: {status}
Remote-MTA: dns; gmail-smtp-in.l.google.com
Diagnostic-Code: {diagnostic}

--B0UND
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{original_headers or "Subject: They are scraping our photos"}
From: Open Faces <petitions@openfaces.example>
To: grace@example.org

--B0UND--
""".encode()


def arf(*, to: str = "fbl@openfaces.example", original_headers: str = "") -> bytes:
    """An abuse report as Yahoo's and Microsoft's feedback loops send one (RFC 5965)."""
    return f"""From: feedback@fbl.example.net
To: {to}
Subject: FW: They are scraping our photos
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARFB"

--ARFB
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP 192.0.2.1.

--ARFB
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1

--ARFB
Content-Type: message/rfc822

{original_headers}
From: Open Faces <petitions@openfaces.example>
To: grace@example.org
Subject: They are scraping our photos

Hello Grace
--ARFB--
""".encode()


def member_of(recipient) -> Member:
    return Member.objects.get(pk=recipient.member_id)


def test_a_hard_bounce_suppresses_the_member_at_once(recipient):
    assert inbound_handle(dsn(to=verp(recipient)), verp(recipient)) == "bounced"
    recipient.refresh_from_db()
    assert recipient.bounce_kind == "hard" and recipient.bounced_at is not None
    member = member_of(recipient)
    assert member.status == Member.Status.BOUNCED
    suppression = Suppression.objects.get(email_key=member.email_key)
    assert suppression.reason == Suppression.Reason.BOUNCED
    assert "5.1.1" in suppression.note and "Recipient address rejected" in suppression.note
    assert ConsentRecord.objects.get(member=member, action="withdrawn").source_kind == "mailing"


def test_the_recipient_is_found_from_the_delivered_to_header_alone(recipient):
    assert inbound_handle(dsn(to=verp(recipient))) == "bounced"


def test_the_recipient_is_found_from_the_original_messages_return_path(recipient):
    message = dsn(
        to="bounces@openfaces.example", original_headers=f"Return-Path: <{verp(recipient)}>"
    )
    assert inbound_handle(message, "bounces@openfaces.example") == "bounced"


def test_a_soft_bounce_counts_and_the_limit_in_a_row_suppresses(recipient, settings):
    settings.MAILING_SOFT_BOUNCE_LIMIT = 3
    member = recipient.member
    others = [
        RecipientFactory(member=member, mailing__organisation=member.organisation)
        for _ in range(2)
    ]
    soft = {"status": "4.2.2", "diagnostic": "smtp; 452 4.2.2 Mailbox full"}
    assert inbound_handle(dsn(to=verp(recipient), **soft)) == "soft"
    # The same mailing's second notice counts nothing more.
    assert inbound_handle(dsn(to=verp(recipient), action="delayed", **soft)) == "soft-again"
    assert SoftBounce.objects.get(member=member).count == 1
    assert inbound_handle(dsn(to=verp(others[0]), **soft)) == "soft"
    assert member_of(recipient).status == Member.Status.SUBSCRIBED
    assert inbound_handle(dsn(to=verp(others[1]), **soft)) == "bounced"
    assert member_of(recipient).status == Member.Status.BOUNCED
    suppression = Suppression.objects.get()
    assert suppression.reason == "bounced" and "3 soft bounces in a row" in suppression.note
    assert Recipient.objects.get(pk=recipient.pk).bounce_kind == "soft"


def test_a_sign_of_delivery_starts_the_soft_count_again(recipient, settings, client):
    settings.MAILING_SOFT_BOUNCE_LIMIT = 2
    member = recipient.member
    other = RecipientFactory(
        member=member,
        mailing__organisation=member.organisation,
        mailing__links=["https://news.example.org/"],
    )
    soft = {"status": "4.4.1", "action": "delayed"}
    inbound_handle(dsn(to=verp(recipient), **soft))
    # The member clicks a link in the next mailing: mail reaches them.
    assert client.get(f"/m/c/{token_for(other, tokens.CLICK)}/0/").status_code == 302
    assert SoftBounce.objects.get(member=member).count == 0
    assert inbound_handle(dsn(to=verp(other), **soft)) == "soft"
    assert member_of(recipient).status == Member.Status.SUBSCRIBED


def test_a_complaint_suppresses_the_member_at_once(recipient):
    unsubscribe_url = (
        f"https://act.openfaces.example/m/u/{token_for(recipient, tokens.UNSUBSCRIBE)}/"
    )
    message = arf(original_headers=f"List-Unsubscribe: <{unsubscribe_url}>")
    assert inbound_handle(message, "fbl@openfaces.example") == "complained"
    recipient.refresh_from_db()
    assert recipient.complained_at is not None
    assert member_of(recipient).status == Member.Status.COMPLAINED
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED


def test_a_complaint_about_an_address_unsubscribed_before_hardens_its_suppression(recipient):
    from members.services import member_unsubscribe

    member_unsubscribe(member=recipient.member, source="mailing", reason="test")
    message = arf(original_headers=f"Return-Path: <{verp(recipient)}>")
    assert inbound_handle(message) == "complained"
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED


def test_a_mail_to_the_unsubscribe_address_unsubscribes(recipient):
    address = f"unsubscribe+{token_for(recipient, tokens.UNSUBSCRIBE)}@{DOMAIN}"
    message = f"From: grace@example.org\nTo: {address}\nSubject: unsubscribe\n\nplease\n"
    assert inbound_handle(message.encode(), address) == "unsubscribed"
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    assert member_of(recipient).status == Member.Status.UNSUBSCRIBED
    assert "mailto" in ConsentRecord.objects.get(action="withdrawn").reason


def test_a_forged_token_does_nothing(recipient):
    token = token_for(recipient, tokens.BOUNCE)
    forged = f"bounces+{token[:-4]}AAAA@{DOMAIN}"
    assert inbound_handle(dsn(to=forged), forged) == "ignored"
    wrong_purpose = f"bounces+{token_for(recipient, tokens.UNSUBSCRIBE)}@{DOMAIN}"
    assert inbound_handle(dsn(to=wrong_purpose), wrong_purpose) == "ignored"
    unsubscribe_with_bounce_token = f"unsubscribe+{token}@{DOMAIN}"
    assert inbound_handle(b"Subject: x\n\nx", unsubscribe_with_bounce_token) == "ignored"
    assert member_of(recipient).status == Member.Status.SUBSCRIBED
    assert not Suppression.objects.exists()


def test_an_auto_reply_to_the_bounce_address_is_ignored(recipient):
    reply = f"From: grace@example.org\nTo: {verp(recipient)}\nSubject: Out of office\n\nAway.\n"
    assert inbound_handle(reply.encode(), verp(recipient)) == "ignored"
    assert member_of(recipient).status == Member.Status.SUBSCRIBED


def test_a_delivered_report_changes_nothing(recipient):
    message = dsn(to=verp(recipient), action="delivered", status="2.0.0")
    assert inbound_handle(message, verp(recipient)) == "ignored"


GARBAGE = [
    b"",
    b"\x00\xff\xfe" * 1000,
    b"Content-Type: multipart/report; report-type=delivery-status\n\nno parts at all",
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\n\n--x\n'
    b"Content-Type: message/delivery-status\n\nAction: failed\nStatus: 5.1.1\n--x--",
    b"Content-Type: multipart/report; report-type=feedback-report\n\n",
    b"To: <script>alert(1)</script>\n\n<script>",
    b"To: bounces+" + b"a" * 5000 + b"@x\n\n",
    "To: unsubscribe+ü.ü.üüüüüüüüüüüüüüüüüüüüüü@x\n\nü".encode(),
    b'Content-Type: multipart/report; boundary="' + b"x" * 10000 + b'"\n\n',
]


@pytest.mark.parametrize("raw", GARBAGE)
def test_garbage_never_crashes_and_changes_nothing(recipient, raw):
    assert inbound_handle(raw, "bounces+nonsense@x") == "ignored"
    assert not Suppression.objects.exists()


def test_random_bytes_never_crash_the_parser():
    rng = random.Random(10)
    base = dsn(to="bounces+x@y")
    for _ in range(300):
        cut = bytearray(base)
        for _ in range(rng.randint(1, 30)):
            cut[rng.randrange(len(cut))] = rng.randrange(256)
        message_parse(bytes(cut[: rng.randrange(len(cut))]))


def _run_command(raw: bytes, recipient_address: str = "") -> str:
    out = io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="surrogateescape")
    call_command("chorus_mail_inbound", "--recipient", recipient_address, stdin=stdin, stdout=out)
    return out.getvalue().strip()


def test_the_command_reads_a_dsn_from_stdin_and_suppresses(recipient):
    assert _run_command(dsn(to="x@y"), verp(recipient)) == "bounced"
    assert member_of(recipient).status == Member.Status.BOUNCED


def test_the_command_exits_cleanly_on_garbage(recipient):
    for raw in GARBAGE:
        assert _run_command(raw, "bounces+nothing@x") == "ignored"


def test_the_command_asks_the_mail_server_to_retry_when_the_database_is_down(
    recipient, monkeypatch
):
    from django.db import OperationalError

    from mailings.management.commands import chorus_mail_inbound

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(chorus_mail_inbound, "inbound_handle", down)
    with pytest.raises(SystemExit) as exit_status:
        _run_command(dsn(to="x@y"), verp(recipient))
    assert exit_status.value.code == 75


def test_the_command_never_bounces_a_bounce_on_an_unexpected_error(recipient, monkeypatch):
    from mailings.management.commands import chorus_mail_inbound

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(chorus_mail_inbound, "inbound_handle", broken)
    assert _run_command(dsn(to="x@y"), verp(recipient)) == "failed"


def test_an_old_recipient_row_gone_is_ignored(recipient):
    address = verp(recipient)
    Recipient.objects.all().delete()
    assert inbound_handle(dsn(to=address), address) == "ignored"
    assert member_of(recipient).status_changed_at < timezone.now()


def test_the_addresses_the_sender_uses_are_the_ones_understood_here(recipient):
    from mailings.inbound import bounce_address, unsubscribe_address

    bounces = bounce_address(recipient.pk, DOMAIN)
    assert bounces.startswith("bounces+") and bounces.endswith(f"@{DOMAIN}")
    assert inbound_handle(dsn(to=bounces), bounces) == "bounced"
    unsubscribe = unsubscribe_address(recipient.pk, DOMAIN)
    assert inbound_handle(b"Subject: stop\n\nstop", unsubscribe) == "unsubscribed"
