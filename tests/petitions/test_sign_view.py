"""POST /p/<slug>/sign/: what a browser, a bot and a hostile client get back."""

import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from jobs.models import Job
from petitions.models import Signature
from petitions.services import petition_close
from tests.conftest import sign_data
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def _sign_url(petition):
    return reverse("petitions:sign", args=[petition.slug])


def _thanks_url(petition):
    return reverse("petitions:thanks", args=[petition.slug])


def _post(client, petition, **overrides):
    return client.post(_sign_url(petition), sign_data(**overrides))


def _without_csrf(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", html)


def _field_error(response, field: str) -> str:
    """The message shown beside a field, as a screen reader finds it."""
    html = response.content.decode()
    match = re.search(rf'<(\w+)[^>]*\bid="id_{field}_error"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no error shown beside {field}"
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_error\b', html)
    return re.sub(r"<[^>]+>", "", match.group(2))


def test_a_valid_signature_redirects_to_thanks_and_sets_no_cookie(public_client, petition):
    response = _post(public_client, petition)

    assert response.status_code == 302
    assert response["Location"] == _thanks_url(petition)
    assert Signature.objects.get().email == "grace@example.org"
    # A cookie set for a new signature alone would tell a repeat apart.
    assert not response.cookies


def test_the_thanks_page_asks_to_check_the_inbox_and_share(public_client, petition):
    response = public_client.get(_thanks_url(petition))

    assert response.status_code == 200
    assert re.search(rb"(?i)check your inbox", response.content)
    for channel in ["facebook", "x", "whatsapp", "telegram", "email", "link"]:
        assert f"ch%3D{channel}".encode() in response.content or (
            f"ch={channel}".encode() in response.content
        )


def test_it_records_the_share_channel_it_came_through(public_client, petition):
    _post(public_client, petition, channel="telegram")

    assert Signature.objects.get().channel == "telegram"


def test_it_drops_a_channel_outside_the_fixed_list(public_client, petition):
    _post(public_client, petition, channel="<script>")

    assert Signature.objects.get().channel == ""


def _answer(client, petition, **overrides) -> dict:
    """Everything a client sees of a sign POST: the answer in full, and the page it leads to.

    Cookie values are random per response (the CSRF cookie's) and so left out;
    their names and attributes are kept.
    """
    response = _post(client, petition, **overrides)
    page = client.get(response["Location"])

    def cookies(answer):
        return {
            name: {key: value for key, value in morsel.items() if value}
            for name, morsel in answer.cookies.items()
        }

    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": cookies(response),
        "page status": page.status_code,
        "page headers": dict(page.headers),
        "page cookies": cookies(page),
        "page": _without_csrf(page.content),
    }


@pytest.fixture
def frozen():
    """One instant for both answers: Expires headers carry the time."""
    with freeze_time("2026-11-30 12:00:00"):
        yield


@pytest.mark.parametrize("earlier", ["pending", "confirmed"])
def test_a_repeat_gets_exactly_the_answer_a_new_signature_gets(petition, frozen, earlier):
    _post(Client(), petition)
    if earlier == "confirmed":
        Signature.objects.update(state=Signature.State.CONFIRMED)

    new = _answer(Client(), petition, email="katherine@example.org")
    repeat = _answer(Client(), petition, first_name="Mallory")

    assert repeat == new
    assert Signature.objects.filter(email="grace@example.org").get().first_name == "Grace"


def test_the_browser_that_signed_gets_the_same_answer_when_it_signs_again(petition, frozen):
    first_browser = Client()
    first = _answer(first_browser, petition)

    again = _answer(first_browser, petition)

    assert again == first
    assert Signature.objects.count() == 1


def test_a_repeat_on_a_petition_without_confirmation_looks_like_a_new_signature(
    organisation, frozen
):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _post(Client(), petition)

    new = _answer(Client(), petition, email="katherine@example.org")
    repeat = _answer(Client(), petition)

    assert repeat == new


def test_already_signed_by_hand_in_the_address_reveals_nothing(petition, frozen):
    _post(Client(), petition)
    plain = Client().get(_thanks_url(petition))

    forged = Client().get(_thanks_url(petition) + "?already=1")

    assert _without_csrf(forged.content) == _without_csrf(plain.content)
    assert not re.search(rb"(?i)already signed", forged.content)


def _statements(queries) -> list[str]:
    """The SQL a request ran, with its values taken out: the work, not the data."""
    shapes = []
    for query in queries:
        sql = re.sub(r"'(?:[^']|'')*'", "?", query["sql"])
        sql = re.sub(r'"s\d+_x\d+"', "?", sql)  # savepoint names
        shapes.append(re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql))
    return shapes


def _work(petition, **overrides) -> tuple[list[str], list[tuple]]:
    """The statements a sign POST ran and the job rows it left."""
    jobs_before = set(Job.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        assert _post(Client(), petition, **overrides).status_code == 302
    jobs = Job.objects.exclude(pk__in=jobs_before)
    return _statements(queries), [(job.kind, sorted(job.payload)) for job in jobs]


@pytest.mark.parametrize("earlier", ["pending", "confirmed"])
def test_a_repeat_does_the_same_work_in_the_request_as_a_new_signature(petition, earlier):
    _post(Client(), petition)  # also warms the per-process petition cache
    if earlier == "confirmed":
        Signature.objects.update(state=Signature.State.CONFIRMED)

    new = _work(petition, email="katherine@example.org")
    repeat = _work(petition, first_name="Mallory")

    assert repeat == new
    assert new[1] == [("signature_submitted", ["created", "net", "signature"])]


def _flagging(settings, reason: str) -> dict:
    """Set one fraud limit low; the email a flagged signature then uses."""
    settings.SIGN_LIMIT_NETWORK = 2 if reason == "network limit" else 0
    settings.DISPOSABLE_DOMAINS = "flag" if reason == "disposable domain" else "off"
    return {"email": "ada@mailinator.com" if reason == "disposable domain" else "ada@example.org"}


FLAG_REASONS = ["network limit", "disposable domain"]


@pytest.mark.parametrize("require_confirmation", [True, False])
@pytest.mark.parametrize("reason", FLAG_REASONS)
def test_a_flagged_signature_gets_exactly_the_answer_a_real_signer_gets(
    organisation, frozen, settings, reason, require_confirmation
):
    petition = PetitionFactory(
        organisation=organisation, require_confirmation=require_confirmation
    )
    flagged_email = _flagging(settings, reason)
    _post(Client(), petition, email="first@example.org")

    real = _answer(Client(), petition, email="katherine@example.org")
    flagged = _answer(Client(), petition, **flagged_email)

    assert flagged == real
    signature = Signature.objects.get(email=flagged_email["email"])
    assert (signature.state, signature.flag_reason) == (Signature.State.FRAUDULENT, reason)


@pytest.mark.parametrize("reason", FLAG_REASONS)
def test_a_flagged_signature_does_the_same_work_in_the_request_as_a_real_one(
    petition, settings, reason
):
    flagged_email = _flagging(settings, reason)
    _post(Client(), petition, email="first@example.org")  # also warms the petition cache

    real = _work(petition, email="katherine@example.org")
    flagged = _work(petition, **flagged_email)

    assert flagged == real
    assert Signature.objects.get(email=flagged_email["email"]).flag_reason == reason


def test_a_flagged_repeat_of_a_live_signature_looks_like_any_repeat(petition, frozen, settings):
    settings.SIGN_LIMIT_NETWORK = 2
    _post(Client(), petition)  # grace, live

    repeat = _answer(Client(), petition, first_name="Mallory")
    flagged_repeat = _answer(Client(), petition, first_name="Mallory")

    assert flagged_repeat == repeat
    assert Signature.objects.filter(state=Signature.State.FRAUDULENT).count() == 1


def test_a_filled_honeypot_looks_like_success_and_stores_nothing(public_client, petition):
    response = _post(public_client, petition, website="http://spam.example")

    assert response.status_code == 302
    assert response["Location"] == _thanks_url(petition)
    assert not Signature.objects.exists()


NUL_MESSAGE = "(characters we cannot store|Null characters are not allowed)"
HOSTILE_FIELDS = [
    ("first_name", "<script>alert(1)</script>", "remove &lt; and &gt;"),
    ("last_name", "<img src=x onerror=alert(1)>", "remove &lt; and &gt;"),
    ("first_name", "A" * 10_000, "at most 100 characters"),
    ("last_name", "B" * 10_000, "at most 100 characters"),
    ("email", "not-an-email", "valid email address"),
    ("email", "grace@", "valid email address"),
    ("email", "grace@localhost", "valid email address"),
    ("email", "<script>@example.org", "valid email address"),
    ("email", "g" * 300 + "@example.org", "at most 254 characters"),
    ("first_name", "Grace\x00", NUL_MESSAGE),
    ("last_name", "Hop\x00per", NUL_MESSAGE),
    ("comment", "fine\x00", NUL_MESSAGE),
    ("comment", "x" * 1001, "at most 1000 characters"),
    ("postcode", "=1+2", "letters, digits, spaces and hyphens"),
    ("postcode", "N" * 21, "at most 20 characters"),
    ("country", "ZZ", "Choose your country from the list"),
    ("first_name", "", "This field is required"),
    ("email", "", "This field is required"),
    ("country", "", "This field is required"),
]


@pytest.mark.parametrize(("field", "value", "message"), HOSTILE_FIELDS)
def test_hostile_input_gets_a_clear_message_beside_the_field_and_stores_nothing(
    public_client, petition, field, value, message
):
    response = _post(public_client, petition, **{field: value})

    assert response.status_code == 400
    assert re.search(message, _field_error(response, field))
    assert b'role="alert"' in response.content  # the summary a screen reader announces
    assert not Signature.objects.exists()


def test_hostile_input_is_shown_back_escaped(public_client, petition):
    response = _post(public_client, petition, first_name="<script>alert(1)</script>")

    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;alert(1)" in response.content


@pytest.mark.parametrize("missing", ["first_name", "last_name", "email", "country"])
def test_a_post_missing_a_field_is_refused(public_client, petition, missing):
    data = sign_data()
    del data[missing]

    response = public_client.post(_sign_url(petition), data)

    assert response.status_code == 400
    assert "required" in _field_error(response, missing)
    assert not Signature.objects.exists()


def test_an_empty_post_is_refused(public_client, petition):
    response = public_client.post(_sign_url(petition), {})

    assert response.status_code == 400
    assert not Signature.objects.exists()


def _post_raw(client, petition, body: bytes):
    return client.post(_sign_url(petition), body, content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("field", ["first_name", "last_name", "email"])
def test_percent_encoded_broken_utf8_is_refused(public_client, petition, field):
    data = sign_data(**{field: "PLACEHOLDER"})
    if field == "email":
        data[field] = "PLACEHOLDER@example.org"
    body = urlencode(data).replace("PLACEHOLDER", "Gr%FF%FEace").encode()

    response = _post_raw(public_client, petition, body)

    assert response.status_code == 400
    assert _field_error(response, field)
    assert not Signature.objects.exists()


@pytest.mark.parametrize("field", ["first_name", "last_name", "email"])
def test_raw_broken_utf8_bytes_are_refused(public_client, petition, field):
    data = sign_data(**{field: "PLACEHOLDER"})
    if field == "email":
        data[field] = "PLACEHOLDER@example.org"
    body = urlencode(data).encode().replace(b"PLACEHOLDER", b"Gr\xff\xfe\xc3ace")

    response = _post_raw(public_client, petition, body)

    assert response.status_code == 400
    assert _field_error(response, field)
    assert b"did not arrive intact" in response.content
    assert not Signature.objects.exists()


def test_well_formed_utf8_names_are_welcome(public_client, petition):
    response = _post(public_client, petition, first_name="Zoë", last_name="Ørsted-Łukasz 李")

    assert response.status_code == 302
    assert Signature.objects.get().last_name == "Ørsted-Łukasz 李"


def test_a_get_on_the_sign_url_is_not_allowed(public_client, petition):
    assert public_client.get(_sign_url(petition)).status_code == 405


def test_a_closed_petition_refuses_with_a_clear_message(public_client, petition):
    petition_close(petition=petition)

    response = _post(public_client, petition)

    assert response.status_code in (400, 410)
    assert not Signature.objects.exists()


def test_a_draft_cannot_be_signed(public_client, organisation):
    draft = PetitionFactory(organisation=organisation, status="draft")

    response = _post(public_client, draft)

    assert response.status_code == 404
    assert not Signature.objects.exists()


def test_csrf_failure_shows_the_form_again_with_what_was_typed(petition):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        _sign_url(petition), sign_data(first_name="Katherine", comment="Because it matters")
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert re.search("form had expired", html, re.I)
    assert 'value="Katherine"' in html
    assert "Because it matters" in html
    assert 'value="grace@example.org"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert token
    assert not Signature.objects.exists()

    # The fresh token in the re-rendered form lets the second press through.
    retry = client.post(
        _sign_url(petition),
        sign_data(first_name="Katherine", csrfmiddlewaretoken=token),
    )
    assert retry.status_code == 302
    assert Signature.objects.get().first_name == "Katherine"


@pytest.mark.parametrize(
    ("forwarded", "prefix"),
    [
        (None, "10.0.0.0/24"),  # no header: the proxy in front of us
        ("192.0.2.1", "10.0.0.0/24"),  # fewer hops than proxies
        ("192.0.2.1, 10.0.0.1", "192.0.2.0/24"),
        ("6.6.6.6, 192.0.2.1, 10.0.0.1", "192.0.2.0/24"),
        ("6.6.6.6, 6.6.6.7, 6.6.6.8, 192.0.2.1, 10.0.0.1", "192.0.2.0/24"),
        ("192.0.2.1:4711, 10.0.0.1", "192.0.2.0/24"),
        ("[2001:db8:7:1::9]:443, 10.0.0.1", "2001:db8:7::/48"),
        ("6.6.6.6, garbage, 10.0.0.1", ""),
        (" , , ", "10.0.0.0/24"),
        ("," * 500, "10.0.0.0/24"),
    ],
)
def test_behind_two_trusted_proxies_it_signs_with_the_client_the_outer_proxy_saw(
    public_client, petition, settings, forwarded, prefix
):
    settings.TRUSTED_PROXIES = 2
    headers = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded

    response = public_client.post(_sign_url(petition), sign_data(), **headers)

    assert response.status_code == 302
    assert Signature.objects.get().ip_prefix == prefix


def test_a_signature_validates_its_email_address_once(public_client, petition, monkeypatch):
    import lib.addresses

    validated = []
    validate = lib.addresses.validate_email
    monkeypatch.setattr(
        lib.addresses,
        "validate_email",
        lambda address, **options: validated.append(address) or validate(address, **options),
    )

    assert _post(public_client, petition).status_code == 302
    assert validated == ["grace@example.org"]
