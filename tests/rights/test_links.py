"""The links a request emails: a copy of everything held, or the erasure, and nothing else."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from jobs.services import jobs_drain
from members.models import ConsentRecord, Member
from petitions.models import Signature
from rights.models import RightsRequest
from rights.services import rights_token
from tests.rights.people import ADDRESS, VARIANT, known_person, rights_links

pytestmark = pytest.mark.django_db


def _link(organisation, mailoutbox, purpose="copy", email=ADDRESS) -> str:
    mailoutbox.clear()
    Client().post("/your-data/", {"email": email, "purpose": purpose})
    jobs_drain()
    [(sent_purpose, token)] = rights_links(mailoutbox)
    assert sent_purpose == purpose
    return token


@pytest.fixture
def person(organisation):
    return known_person(organisation)


def test_following_the_link_shows_a_button_and_no_data(organisation, person, mailoutbox):
    token = _link(organisation, mailoutbox)

    response = Client().get(f"/your-data/copy/{token}/")

    assert response.status_code == 200
    assert b"Show my data" in response.content
    assert b"Lovelace" not in response.content and b"gmail" not in response.content


def test_the_json_copy_holds_everything_the_database_holds(organisation, person, mailoutbox):
    token = _link(organisation, mailoutbox)

    response = Client().post(f"/your-data/copy/{token}/", {"format": "json"})
    data = json.loads(response.content)

    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert "no-store" in response["Cache-Control"]
    signatures = Signature.objects.filter(member=person).order_by("created_at", "id")
    assert [(s["email"], s["postcode"], s["comment"], s["state"]) for s in data["signatures"]] == [
        (s.email, s.postcode, s.comment, s.state) for s in signatures
    ]
    assert {s["email"] for s in data["signatures"]} == {ADDRESS, VARIANT}
    assert data["signatures"][0]["ip_network"] == "203.0.113.0/24"
    member = Member.objects.get(pk=person.pk)
    assert data["member"]["email"] == member.email
    assert data["member"]["subscription"] == member.status == "unsubscribed"
    consents = ConsentRecord.objects.filter(member=person).order_by("at", "id")
    assert [
        (c["action"], c["wording"], c["wording_version"], c["source"]) for c in data["consents"]
    ] == [(c.action, c.wording, c.wording_version, c.source) for c in consents]
    assert data["consents"][0]["at"] == consents[0].at.isoformat()
    [mailing] = data["mailings"]
    assert mailing["subject"] == "Our faces" and mailing["clicks"] == 1
    assert [c["url"] for c in data["clicks"]] == ["https://example.net/read"]
    assert data["suppression"]["reason"] == "unsubscribed"


def test_the_page_copy_shows_the_same(organisation, person, mailoutbox):
    token = _link(organisation, mailoutbox)

    page = Client().post(f"/your-data/copy/{token}/").content.decode()

    for text in ("Lovelace", "ada.lovelace@gmail.com", "SW1 1AA", "Count me in", "Our faces"):
        assert text in page
    assert "https://example.net/read" in page


def _same_refusal(response):
    assert response.status_code == 410
    assert b"This link no longer works" in response.content
    return response.content


def test_expired_tampered_and_other_purpose_links_get_the_same_page(
    organisation, person, mailoutbox, settings
):
    copy = _link(organisation, mailoutbox)
    request = RightsRequest.objects.get(token_hash__gt="")
    forged = rights_token(request.token_nonce, "erase")  # right nonce, other purpose
    tampered = copy[:-1] + ("A" if copy[-1] != "A" else "B")
    pages = set()
    for method in ("get", "post"):
        for url in (
            f"/your-data/erase/{copy}/",
            f"/your-data/copy/{forged}/",
            f"/your-data/erase/{forged}/",
            f"/your-data/copy/{tampered}/",
            "/your-data/copy/short/",
            "/your-data/copy/" + "A" * 43 + "/",
            "/your-data/copy/%3Cscript%3E/",
        ):
            pages.add(_same_refusal(getattr(Client(), method)(url)))
    with freeze_time(timezone.now() + timedelta(hours=settings.RIGHTS_LINK_HOURS, seconds=1)):
        pages.add(_same_refusal(Client().post(f"/your-data/copy/{copy}/")))
    assert len(pages) == 1
    assert Signature.objects.filter(member=person).exclude(email="").count() == 2


def test_a_link_never_signs_anyone_in(organisation, person, mailoutbox):
    token = _link(organisation, mailoutbox)
    client = Client()

    response = client.post(f"/your-data/copy/{token}/")

    assert not response.cookies.get("sessionid")
    assert "_auth_user_id" not in client.session
