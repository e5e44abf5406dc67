"""POST /api/v1/petitions/<slug>/signatures/: a partner signs for a person with its token."""

import json

import pytest
from django.core import mail
from django.test import Client
from freezegun import freeze_time

from api.models import ApiToken
from api.tokens import api_token_authenticate, api_token_create, api_token_revoke, token_hash
from jobs.models import Job
from jobs.services import jobs_drain
from orgs.models import AuditEvent
from partners.models import Partner
from petitions.models import Channel, Petition, Signature
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

PERSON = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@example.org",
    "country": "GB",
}


@pytest.fixture
def partner(organisation):
    return PartnerFactory(organisation=organisation, slug="friends-of-faces")


@pytest.fixture
def token(partner):
    return api_token_create(
        partner=partner, name="sign-up form", scopes=["signatures:write"], by=None
    ).secret


def _sign(petition, token, body=None, client=None, **headers):
    content = (
        body if isinstance(body, (str, bytes)) else json.dumps(PERSON if body is None else body)
    )
    return (client or Client()).post(
        f"/api/v1/petitions/{petition.slug}/signatures/",
        content,
        content_type=headers.pop("content_type", "application/json"),
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


def test_a_token_is_kept_as_a_hash_with_a_prefix_that_names_it(partner):
    made = api_token_create(partner=partner, name="form", scopes=["signatures:write"], by=None)
    stored = ApiToken.objects.get()

    assert made.secret.startswith(f"chorus_{stored.prefix}_")
    assert stored.token_hash == token_hash(made.secret) != made.secret
    assert made.secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert api_token_authenticate(f"Bearer {made.secret}") == stored
    assert api_token_authenticate(f"Bearer {made.secret}x") is None
    assert api_token_authenticate(f"Basic {made.secret}") is None


def test_the_partner_signs_through_the_form_rules_and_the_signature_is_theirs(
    petition, partner, token
):
    response = _sign(petition, token, {**PERSON, "show_name": True, "comment": "Because."})

    assert response.status_code == 202
    signature = Signature.objects.get()
    assert signature.partner == partner and signature.channel == Channel.PARTNER
    assert signature.state == Signature.State.PENDING and signature.show_name
    assert signature.ip_hash == "" and not signature.opt_in
    assert ApiToken.objects.get().last_used_at is not None


def test_the_confirmation_email_goes_as_for_the_form(petition, token):
    _sign(petition, token)
    jobs_drain()

    assert [m.to for m in mail.outbox] == [["grace@example.org"]]
    assert "/c/" in mail.outbox[0].body


def test_a_repeat_gets_exactly_the_answer_a_new_signature_gets(petition, token):
    with freeze_time("2026-12-01 10:00:00"):
        _sign(petition, token)
        new = _sign(petition, token, {**PERSON, "email": "katherine@example.org"})
        repeat = _sign(petition, token, {**PERSON, "first_name": "Mallory"})

    def whole(response):
        return response.status_code, dict(response.headers), response.content

    assert whole(repeat) == whole(new)
    assert Signature.objects.filter(email="grace@example.org").get().first_name == "Grace"
    assert Job.objects.filter(kind="signature_submitted").count() == 3


def test_the_route_takes_no_csrf_token_but_needs_the_bearer_token(petition, token):
    browser = Client(enforce_csrf_checks=True)

    assert _sign(petition, token, client=browser).status_code == 202
    assert _sign(petition, "", client=browser).status_code == 401


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nope", "Token chorus_x", "Bearer chorus_" + "a" * 300]
)
def test_a_missing_or_wrong_token_gets_a_401(petition, header):
    response = Client().post(
        f"/api/v1/petitions/{petition.slug}/signatures/",
        json.dumps(PERSON),
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Signature.objects.count() == 0


def test_a_revoked_token_stops_at_once_and_the_revocation_is_audited(petition, token, owner):
    stored = ApiToken.objects.get()

    assert api_token_revoke(token=stored, by=owner) is True
    assert api_token_revoke(token=stored, by=owner) is False
    assert _sign(petition, token).status_code == 401
    assert AuditEvent.objects.filter(action="token_revoke", actor=owner).count() == 1
    assert AuditEvent.objects.filter(action="token_create").count() == 1


def test_a_switched_off_partners_token_is_refused(petition, partner, token):
    Partner.objects.filter(pk=partner.pk).update(active=False)

    assert _sign(petition, token).status_code == 401


def test_a_token_without_the_scope_gets_a_403(petition, partner):
    unscoped = api_token_create(partner=partner, name="read", scopes=[], by=None).secret

    response = _sign(petition, unscoped)

    assert response.status_code == 403 and "signatures:write" in response.json()["error"]
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PERSON, "email": "not-an-address"}, "email"),
        ({**PERSON, "first_name": ""}, "first_name"),
        ({**PERSON, "first_name": "<script>alert(1)</script>"}, "first_name"),
        ({**PERSON, "last_name": "a\u0000b"}, "last_name"),
        ({**PERSON, "country": "XX"}, "country"),
        ({**PERSON, "postcode": "N1; DROP"}, "postcode"),
        ({**PERSON, "comment": "x" * 1001}, "comment"),
        ({**PERSON, "first_name": 7}, "first_name"),
        ({**PERSON, "show_name": "yes"}, "show_name"),
        ({**PERSON, "website": "http://spam.example"}, "website"),
        ({**PERSON, "channel": "facebook"}, "channel"),
        ({**PERSON, "opt_in": True}, "opt_in"),
        ({**PERSON, "opt_in": True, "opt_in_wording_version": "old"}, "opt_in"),
        ({k: v for k, v in PERSON.items() if k != "email"}, "email"),
    ],
)
def test_bad_fields_get_a_400_naming_each_and_store_nothing(petition, token, body, field):
    response = _sign(petition, token, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ('["a list"]', "application/json"),
        (b"\xff\xfe", "application/json"),
        ("first_name=Grace", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_a_400(petition, token, body, content_type):
    response = _sign(petition, token, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_opt_in_is_stored_only_with_the_wording_the_signer_saw(petition, token):
    from members.consent import OPT_IN_WORDING_VERSION

    body = {**PERSON, "opt_in": True, "opt_in_wording_version": OPT_IN_WORDING_VERSION}

    assert _sign(petition, token, body).status_code == 202
    signature = Signature.objects.get()
    assert signature.opt_in and signature.opt_in_wording_version == OPT_IN_WORDING_VERSION


def test_a_closed_petition_gets_a_409(petition, token):
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.CLOSED)

    response = _sign(petition, token)

    assert response.status_code == 409 and Signature.objects.count() == 0


def test_an_unknown_petition_gets_a_404(organisation, token):
    response = Client().post(
        "/api/v1/petitions/nope/signatures/",
        json.dumps(PERSON),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 404


def test_each_token_is_limited_per_minute(petition, partner, token, settings):
    settings.API_PARTNER_PER_MINUTE = 2
    other = api_token_create(partner=partner, name="b", scopes=["signatures:write"], by=None)

    answers = [_sign(petition, token, {**PERSON, "email": f"p{n}@example.org"}) for n in range(3)]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert _sign(petition, other.secret).status_code == 202


def test_get_on_the_signing_route_is_a_405(petition, token):
    response = Client().get(
        f"/api/v1/petitions/{petition.slug}/signatures/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ("{}", {"content_type": "application/json; charset=latin-1"}, 400),
        ("x" * 200_000, {"content_type": "application/json"}, 413),
    ],
)
def test_a_body_the_guard_refuses_gets_a_json_answer_too(petition, token, body, headers, status):
    response = _sign(petition, token, body, **headers)

    assert response.status_code == status
    assert "error" in response.json()
    assert Signature.objects.count() == 0
