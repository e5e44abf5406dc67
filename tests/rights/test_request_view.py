"""/your-data/: the request form answers every address the same, and the worker decides."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs.models import Job
from jobs.services import jobs_drain
from rights.models import RightsRequest
from rights.services import RIGHTS_REQUEST
from tests.rights.people import ADDRESS, VARIANT, known_person, rights_links, rows_mentioning

pytestmark = pytest.mark.django_db

URL = "/your-data/"


def _ask(email, purpose="copy", client=None):
    return (client or Client()).post(URL, {"email": email, "purpose": purpose})


def _whole(response) -> tuple:
    headers = sorted(
        (name, value) for name, value in response.headers.items() if name.lower() != "date"
    )
    cookies = sorted((name, morsel.OutputString()) for name, morsel in response.cookies.items())
    return response.status_code, headers, cookies, response.content


def test_every_public_page_links_to_it(public_client, petition):
    for page in ("/", petition.get_absolute_url(), URL):
        assert b'href="/your-data/"' in public_client.get(page).content


def test_it_answers_a_known_and_an_unknown_address_with_the_same_whole_response(
    organisation, mailoutbox
):
    known_person(organisation)
    Job.objects.all().delete()
    for purpose in ("copy", "erase"):
        with freeze_time(timezone.now()):  # never_cache's Expires names the second
            known = _ask(ADDRESS, purpose)
            unknown = _ask("nobody.at.all@gmail.com", purpose)
        assert known.status_code == 302 and known["Location"] == "/your-data/requested/"
        assert _whole(known) == _whole(unknown)
        assert b"Check your inbox" in Client().get(known["Location"]).content


def test_it_does_the_same_work_for_a_known_and_an_unknown_address(organisation):
    known_person(organisation)
    Job.objects.all().delete()

    def statements(email) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            _ask(email)
        shapes = [re.sub(r"'(?:[^']|'')*'", "?", query["sql"]) for query in queries]
        shapes = [re.sub(r'"s\d+_x\d+"', "?", sql) for sql in shapes]
        return [re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql) for sql in shapes]

    _ask("warm@example.org")  # the organisation's per-process cache
    Job.objects.all().delete()

    def shape(job):
        return job.kind, sorted(job.payload)

    assert statements(ADDRESS) == statements("nobody.at.all@gmail.com")
    first, second = Job.objects.order_by("pk")
    assert shape(first) == shape(second) == (RIGHTS_REQUEST, ["request"])


def test_the_worker_emails_a_link_only_when_something_is_held(organisation, mailoutbox):
    known_person(organisation)
    mailoutbox.clear()
    _ask("nobody.at.all@gmail.com")
    _ask(VARIANT.upper().replace("GOOGLEMAIL", "gmail"))
    jobs_drain()

    [message] = mailoutbox
    assert message.to == ["ADA.LOVE.LACE+PETITIONS@gmail.com"]
    [(purpose, token)] = rights_links(mailoutbox)
    assert purpose == "copy"
    # The unknown address is forgotten at once; the known one keeps only its key.
    request = RightsRequest.objects.get()
    assert request.email == "" and token not in str(request.__dict__)
    assert rows_mentioning("nobody.at.all") == []


def test_it_asks_again_only_within_the_mail_ceiling(organisation, mailoutbox):
    known_person(organisation)
    mailoutbox.clear()
    for _ in range(3):
        _ask(ADDRESS, "erase")
    jobs_drain()

    assert len(mailoutbox) == 1  # the others wait for the ceiling, as every unproven mail


HOSTILE = [
    "",
    "   ",
    "<script>alert(1)</script>@example.org",
    "ada@example.org<script>alert(1)</script>",
    "a" * 300 + "@example.org",
    "ada@" + "b" * 260 + ".org",
    "ada\x00@example.org",
    "ada@exam\ufffdple.org",
    "no-at-sign",
    "ada@@example.org",
    "ada@example",
    "'; DROP TABLE members_member; --@example.org",
    '=HYPERLINK("http://evil")@example.org',
    "ad\u202ea@example.org",
]


@pytest.mark.parametrize("email", HOSTILE)
def test_it_refuses_a_malformed_address_with_a_message_and_stores_nothing(organisation, email):
    response = _ask(email)

    assert response.status_code == 400
    assert b'class="error-summary"' in response.content
    assert b"<script>alert" not in response.content
    assert not RightsRequest.objects.exists() and not Job.objects.exists()


@pytest.mark.parametrize("purpose", ["", "delete-everything", "<b>copy</b>", "copy\x00"])
def test_it_refuses_an_unknown_choice(organisation, purpose):
    response = _ask(ADDRESS, purpose)

    assert response.status_code == 400
    assert b"Choose" in response.content or b"Select a valid choice" in response.content
    assert not RightsRequest.objects.exists()


def test_it_accepts_exotic_but_valid_addresses(organisation):
    for email in ('"ada lovelace"@example.org', "ada@bücher.example"):
        assert _ask(email).status_code == 302
    assert RightsRequest.objects.count() == 2


def test_it_shows_the_form(public_client, organisation):
    response = public_client.get(reverse("rights:request"))

    assert response.status_code == 200
    assert b'name="purpose"' in response.content and b"Erase my data" in response.content


def test_the_link_works_the_moment_its_email_is_sent_and_a_retry_sends_nothing(
    organisation, mailoutbox, monkeypatch
):
    from rights import services

    known_person(organisation)
    mailoutbox.clear()
    _ask(ADDRESS)
    request = RightsRequest.objects.get()
    seen = []

    def mail_send(**kwargs):
        seen.append(RightsRequest.objects.get(pk=request.pk).token_hash)

    monkeypatch.setattr(services, "mail_send", mail_send)
    services.rights_request_process(request_id=request.pk)
    services.rights_request_process(request_id=request.pk)

    assert len(seen) == 1 and seen[0] != ""


def test_a_failed_send_leaves_the_request_to_be_tried_again(organisation, mailoutbox, monkeypatch):
    from rights import services

    known_person(organisation)
    mailoutbox.clear()
    _ask(ADDRESS)
    request = RightsRequest.objects.get()

    def mail_send(**kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(services, "mail_send", mail_send)
    with pytest.raises(ConnectionRefusedError):
        services.rights_request_process(request_id=request.pk)
    monkeypatch.undo()
    request.refresh_from_db()
    assert request.token_hash == "" and request.email == ADDRESS

    assert services.rights_request_process(request_id=request.pk).sent
    assert len(mailoutbox) == 1
