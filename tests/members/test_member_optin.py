"""A member whose country asks for a confirmed opt-in gets one email, and its link subscribes.

Driven the way a signer meets it: a German signs a petition that asks no
confirmation, the worker runs, the email arrives, the link is followed and pressed.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from freezegun import freeze_time

from jobs.models import Job
from jobs.services import job_record, jobs_drain
from members.consent import (
    CONFIRMED_OPT_IN_SOURCE,
    CONFIRMED_OPT_IN_VERSION,
    CONFIRMED_OPT_IN_WORDING,
)
from members.models import ConsentRecord, Member, OptInLink, Suppression
from members.selectors import mailable_members
from members.services import member_suppress, member_unsubscribe
from petitions.jobs import MEMBER_OPTIN_SEND
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db

OPTIN_LINK = re.compile(r"https?://[^\s\"'<>]+/m/opt-in/([^/\s\"'<>]+)/")


def _optin_tokens(message) -> set[str]:
    parts = [message.body] + [content for content, _ in message.alternatives]
    return {token for part in parts for token in OPTIN_LINK.findall(part)}


def _optin_token(message) -> str:
    [token] = _optin_tokens(message)
    return token


def _optin_emails(outbox) -> list:
    return [message for message in outbox if _optin_tokens(message)]


@pytest.fixture
def open_petition(organisation):
    return PetitionFactory(organisation=organisation, require_confirmation=False)


def _sign(petition, **fields):
    fields.setdefault("country", "DE")
    data = sign_data(opt_in=True, **fields)
    signature_create(petition=petition, data=data, request_meta=REQUEST_META)
    jobs_drain()


def _url(token: str) -> str:
    return f"/m/opt-in/{token}/"


def test_a_german_signer_of_a_petition_without_confirmation_gets_exactly_one_optin_email(
    open_petition, mailoutbox
):
    _sign(open_petition)

    assert Member.objects.get().status == Member.Status.PENDING
    [message] = mailoutbox
    assert message.to == ["grace@example.org"]
    assert _optin_token(message)


def test_a_retried_job_sends_no_second_email(open_petition, mailoutbox):
    _sign(open_petition)
    member = Member.objects.get()

    job_record(kind=MEMBER_OPTIN_SEND, payload={"member": member.pk})
    jobs_drain()

    assert len(mailoutbox) == 1


def test_a_british_signer_is_subscribed_at_once_and_gets_no_optin_email(open_petition, mailoutbox):
    _sign(open_petition, country="GB")

    assert Member.objects.get().status == Member.Status.SUBSCRIBED
    assert mailoutbox == []


def test_following_the_link_changes_nothing_until_the_button_is_pressed(
    open_petition, mailoutbox, client
):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])
    ledger_before = ConsentRecord.objects.count()

    response = client.get(_url(token))

    assert response.status_code == 200
    assert b"Yes, email me" in response.content
    assert Member.objects.get().status == Member.Status.PENDING
    assert ConsentRecord.objects.count() == ledger_before
    assert not mailable_members(open_petition.organisation).exists()


def test_pressing_the_button_subscribes_with_the_emails_question_as_the_consent(
    open_petition, mailoutbox, client
):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])

    response = client.post(_url(token))

    assert response.status_code == 302
    assert response["Location"] == _url(token)
    member = Member.objects.get()
    assert member.status == Member.Status.SUBSCRIBED
    consent = ConsentRecord.objects.filter(member=member).order_by("-at", "-pk").first()
    organisation = open_petition.organisation
    assert (consent.action, consent.wording, consent.wording_version) == (
        ConsentRecord.Action.GRANTED,
        CONFIRMED_OPT_IN_WORDING.format(organisation=organisation.name),
        CONFIRMED_OPT_IN_VERSION,
    )
    assert (consent.source, consent.source_kind) == (
        CONFIRMED_OPT_IN_SOURCE,
        ConsentRecord.SourceKind.OPT_IN,
    )
    assert list(mailable_members(organisation)) == [member]
    thanks = client.get(_url(token))
    assert b"You are subscribed" in thanks.content


def test_pressing_the_button_again_writes_nothing_more(open_petition, mailoutbox, client):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])
    client.post(_url(token))
    ledger = ConsentRecord.objects.count()

    response = client.post(_url(token))

    assert response.status_code == 302
    assert ConsentRecord.objects.count() == ledger


def _invalid_page(client, token) -> bytes:
    response = client.get(_url(token))
    assert response.status_code == 410
    return response.content


def test_unknown_expired_and_tampered_links_get_the_same_page(open_petition, mailoutbox):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    unknown = "x" * len(token)
    with freeze_time(OptInLink.objects.get().expires_at + timedelta(seconds=1)):
        expired = _invalid_page(Client(), token)

    pages = {_invalid_page(Client(), t) for t in (unknown, tampered)}

    assert pages == {expired}
    slashed = Client().get("/m/opt-in/<script>alert(1)</script>/")
    assert slashed.status_code == 404  # no such page at all: still no 500
    assert b"This link no longer works" in expired


def test_posting_an_unknown_or_expired_link_subscribes_nobody(open_petition, mailoutbox):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])

    with freeze_time(OptInLink.objects.get().expires_at + timedelta(seconds=1)):
        expired = Client().post(_url(token))
    unknown = Client().post(_url("y" * len(token)))

    assert expired.status_code == unknown.status_code == 410
    assert expired.content == unknown.content
    assert Member.objects.get().status == Member.Status.PENDING


def test_a_used_link_whose_member_unsubscribed_since_looks_like_an_unknown_one(
    open_petition, mailoutbox
):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])
    Client().post(_url(token))
    member_unsubscribe(member=Member.objects.get(), source="page", reason="Asked to stop")

    used = Client().post(_url(token))

    assert used.status_code == 410
    assert used.content == _invalid_page(Client(), "z" * len(token))
    assert Member.objects.get().status == Member.Status.UNSUBSCRIBED


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)<%5Cscript>",
        '"><img src=x onerror=alert(1)>',
        "a" * 5000,
        "abc%00def",
        "%00",
        "..%5C..%5Cetc",
        "é" * 43,
    ],
)
def test_hostile_tokens_get_the_same_clear_page(open_petition, mailoutbox, hostile):
    _sign(open_petition)
    reference = _invalid_page(Client(), "q" * 43)

    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/m/opt-in/{hostile}/")
        assert response.status_code == 410
        assert response.content == reference
    assert Member.objects.get().status == Member.Status.PENDING


def test_a_complaint_after_the_email_makes_the_link_subscribe_nobody(open_petition, mailoutbox):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])
    member = Member.objects.get()
    member_suppress(
        organisation_id=member.organisation_id, email_key=member.email_key, reason="complained"
    )

    response = Client().post(_url(token))

    assert response.status_code == 410
    assert Member.objects.get().status == Member.Status.COMPLAINED
    assert not mailable_members(open_petition.organisation).exists()


def test_an_address_that_complained_before_gets_no_optin_email(
    open_petition, organisation, mailoutbox
):
    from lib.addresses import normalised_email_key

    member_suppress(
        organisation_id=organisation.pk,
        email_key=normalised_email_key("grace@example.org"),
        reason=Suppression.Reason.COMPLAINED,
    )

    _sign(open_petition)

    assert mailoutbox == []
    assert not OptInLink.objects.exists()


def test_the_mail_ceiling_holds_the_optin_email_after_a_confirmation_email(
    organisation, open_petition, mailoutbox
):
    asks_confirmation = PetitionFactory(organisation=organisation, require_confirmation=True)
    _sign(asks_confirmation)  # a confirmation link went to the address a moment ago
    assert len(mailoutbox) == 1

    _sign(open_petition)

    assert len(mailoutbox) == 1
    assert _optin_emails(mailoutbox) == []
    held = Job.objects.filter(kind=MEMBER_OPTIN_SEND, state=Job.State.DUE)
    assert held.count() == 1  # tried again once the ceiling allows


def test_a_held_optin_email_goes_out_once_the_ceiling_allows(
    organisation, open_petition, mailoutbox, settings
):
    asks_confirmation = PetitionFactory(organisation=organisation, require_confirmation=True)
    _sign(asks_confirmation)
    _sign(open_petition)

    later = Job.objects.get(kind=MEMBER_OPTIN_SEND, state=Job.State.DUE).run_after + timedelta(
        seconds=1
    )
    with freeze_time(later):
        jobs_drain()

    assert len(_optin_emails(mailoutbox)) == 1


def test_a_second_pending_record_within_the_window_sends_nothing_more(
    organisation, open_petition, mailoutbox
):
    _sign(open_petition)
    another = PetitionFactory(organisation=organisation, require_confirmation=False)

    _sign(another)

    assert len(mailoutbox) == 1
    assert Member.objects.get().status == Member.Status.PENDING


def test_the_email_carries_the_sender_name_the_link_and_the_footer(
    open_petition, organisation, mailoutbox
):
    _sign(open_petition)
    [message] = mailoutbox
    [(html, mimetype)] = message.alternatives

    assert message.from_email.startswith(f'"{organisation.email_sender_name}" <') or (
        message.from_email.startswith(f"{organisation.email_sender_name} <")
    )
    assert message.subject == f"Do you want email from {organisation.name}? Please confirm"
    assert mimetype == "text/html"
    token = _optin_token(message)
    for part in (message.body, html):
        assert f"/m/opt-in/{token}/" in part
        assert "12 Example Street" in part
        assert organisation.privacy_email in part
        assert "with the box ticked" in part
        assert "Yes, email me" in part
    assert organisation.palette.brand in html


def test_the_email_repeats_nothing_the_signer_typed(open_petition, mailoutbox):
    # Anyone can type a stranger's address: the email must not carry their words.
    _sign(open_petition, first_name="Zqxfirst", last_name="Zqxlast", comment="Zqxcomment")
    [message] = mailoutbox
    [(html, _)] = message.alternatives

    for text in (message.subject, message.body, html):
        assert "Zqx" not in text


def test_the_link_expires_after_member_optin_days(open_petition, mailoutbox, settings):
    settings.MEMBER_OPTIN_DAYS = 3
    with freeze_time("2026-11-30 10:00:00"):
        _sign(open_petition)
    token = _optin_token(mailoutbox[0])

    with freeze_time("2026-12-03 09:59:00"):
        assert Client().get(_url(token)).status_code == 200
    with freeze_time("2026-12-03 10:00:01"):
        assert Client().get(_url(token)).status_code == 410


def test_the_pages_pass_the_content_security_policy(open_petition, mailoutbox):
    _sign(open_petition)
    token = _optin_token(mailoutbox[0])
    client = Client()

    pages = [client.get(_url(token))]
    client.post(_url(token))
    pages += [client.get(_url(token)), client.get(_url("w" * 43))]

    for page in pages:
        html = page.content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html
        assert "default-src 'self'" in page["Content-Security-Policy"]
