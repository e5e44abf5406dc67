"""/p/<slug>/embed/: the embeddable widget, its form token, its partner, its privacy."""

import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from chorus.pagecache import kept_pages
from jobs.models import Job
from petitions.embed import EMBED_FORM_SALT, embed_token_make
from petitions.models import Signature
from petitions.services import petition_close
from tests.conftest import sign_data
from tests.factories import OrganisationFactory, PartnerFactory, PetitionFactory

pytestmark = pytest.mark.django_db


def _embed_url(petition, partner: str | None = None) -> str:
    url = reverse("petitions:embed", args=[petition.slug])
    return f"{url}?partner={partner}" if partner is not None else url


def _thanks_url(petition) -> str:
    return reverse("petitions:embed_thanks", args=[petition.slug])


def _token(client, petition) -> str:
    html = client.get(_embed_url(petition)).content.decode()
    return re.search(r'name="embed_token" value="([^"]+)"', html).group(1)


def _browser() -> Client:
    """A framed widget's browser: no cookie arrives, and CSRF is enforced as in production."""
    return Client(enforce_csrf_checks=True)


def _sign(petition, partner=None, client=None, **overrides):
    client = client or _browser()
    data = sign_data(**overrides)
    data.setdefault("embed_token", _token(client, petition))
    return client.post(_embed_url(petition, partner), data)


def test_the_widget_shows_the_ask_the_target_the_count_and_the_form(public_client, petition):
    response = public_client.get(_embed_url(petition))

    html = response.content.decode()
    assert response.status_code == 200
    assert petition.title in html and petition.target in html
    assert 'role="progressbar"' in html
    for field in ["first_name", "last_name", "email", "country", "postcode", "comment"]:
        assert f'name="{field}"' in html
    assert re.search(r'<form method="post"(?![^>]*action)', html), "posts back to its own address"
    assert 'target="_blank" rel="noopener"' in html
    assert "csrfmiddlewaretoken" not in html


def test_a_signature_through_the_widget_is_tagged_widget_and_thanked(petition):
    response = _sign(petition)

    assert response.status_code == 302
    assert response["Location"] == _thanks_url(petition)
    signature = Signature.objects.get()
    assert (signature.channel, signature.partner_id) == ("widget", None)
    thanks = Client().get(response["Location"])
    assert thanks.status_code == 200
    assert b"Thank you for signing" in thanks.content
    assert re.search(rb"(?i)check your inbox", thanks.content)


def test_an_active_partner_in_the_address_tags_the_signature(petition):
    partner = PartnerFactory(organisation=petition.organisation, slug="friends-of-the-earth")

    _sign(petition, partner="friends-of-the-earth")

    signature = Signature.objects.get()
    assert (signature.channel, signature.partner_id) == ("widget", partner.pk)


@pytest.mark.parametrize(
    "slug",
    ["nobody", "switched-off", "other-org", "", "x" * 500, "<script>", "caf\u00e9", "a\x00b"],
)
def test_an_unknown_inactive_or_malformed_partner_is_ignored_not_refused(petition, slug):
    PartnerFactory(organisation=petition.organisation, slug="switched-off", active=False)
    PartnerFactory(organisation=OrganisationFactory(name="Other"), slug="other-org")

    response = _sign(petition, partner=slug)

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.channel, signature.partner_id) == ("widget", None)


def test_the_channel_field_cannot_override_the_widget_channel(petition):
    _sign(petition, channel="facebook")

    assert Signature.objects.get().channel == "widget"


def test_it_sets_no_cookie_on_any_of_its_answers(petition):
    client = _browser()
    pages = [client.get(_embed_url(petition, "p")), _sign(petition, client=client)]
    pages.append(client.get(_thanks_url(petition)))
    pages.append(client.post(_embed_url(petition), sign_data(embed_token="bad")))

    assert [dict(page.cookies) for page in pages] == [{}, {}, {}, {}]
    assert not client.cookies


def _refused_message(response) -> str:
    match = re.search(r"data-error-summary>(.*?)</div>", response.content.decode(), re.S)
    assert match, "no summary at the top of the widget"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_an_expired_form_token_asks_to_sign_again_and_stores_nothing(petition, settings):
    with freeze_time("2026-11-30 08:00:00"):
        token = embed_token_make(petition=petition)
    with freeze_time("2026-11-30 08:00:00") as frozen:
        frozen.tick(settings.EMBED_FORM_TOKEN_SECONDS + 1)
        response = _sign(petition, embed_token=token)

    assert response.status_code == 400
    assert "open for a long time" in _refused_message(response)
    assert "Nothing was sent yet" in _refused_message(response)
    assert 'value="Grace"' in response.content.decode(), "what was typed comes back"
    assert re.search(
        r'name="embed_token" value="(?!' + re.escape(token) + ")", response.content.decode()
    )
    assert not Signature.objects.exists() and not Job.objects.exists()


def _tampered(petition) -> str:
    token = embed_token_make(petition=petition)
    return token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        "tampered",
        "other petition",
        "other salt",
        "x" * 5000,
        "\x00",
    ],
)
def test_a_tampered_or_foreign_form_token_is_refused_with_a_clear_message(petition, token):
    other = PetitionFactory(organisation=petition.organisation, slug="another-one")
    token = {
        "tampered": _tampered(petition),
        "other petition": embed_token_make(petition=other),
        "other salt": signing.dumps(petition.pk, salt="chorus.other"),
    }.get(token, token)

    response = _sign(petition, embed_token=token)

    assert response.status_code == 400
    assert "could not be checked" in _refused_message(response)
    assert not Signature.objects.exists() and not Job.objects.exists()


def test_a_token_is_good_for_its_petition_only_not_for_its_slug(petition):
    """The token names the petition's id: a petition made later at a freed slug is another."""
    token = embed_token_make(petition=petition)
    assert signing.loads(token, salt=EMBED_FORM_SALT) == petition.pk


def test_an_invalid_form_shows_its_errors_in_the_widget_and_stores_nothing(petition):
    response = _sign(petition, email="not an address", first_name="")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Please correct these to sign" in html
    assert 'id="id_email_error"' in html and 'id="id_first_name_error"' in html
    assert "no-store" in response["Cache-Control"]
    assert not Signature.objects.exists()


def test_the_honeypot_looks_like_success_and_stores_nothing(petition):
    response = _sign(petition, website="https://spam.example")

    assert response.status_code == 302
    assert response["Location"] == _thanks_url(petition)
    assert not Signature.objects.exists() and not Job.objects.exists()


def test_a_closed_petition_shows_no_form_and_refuses_a_post(petition, owner):
    client = _browser()
    token = _token(client, petition)
    petition_close(petition=petition, by=owner)
    kept_pages.clear()  # as PETITION_PAGE_CACHE_SECONDS later

    page = Client().get(_embed_url(petition))
    response = client.post(_embed_url(petition), sign_data(embed_token=token))

    assert b"no longer takes signatures" in page.content and b'name="email"' not in page.content
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_a_draft_petition_has_no_widget(organisation):
    draft = PetitionFactory(organisation=organisation, status="draft", slug="a-draft")

    assert Client().get(_embed_url(draft)).status_code == 404
    assert Client().post(_embed_url(draft), sign_data()).status_code == 404
    assert Client().get(_thanks_url(draft)).status_code == 404


def test_the_fraud_limits_apply_to_the_widget_as_to_the_page(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 2
    for n in range(3):
        _sign(petition, email=f"person{n}@example.org")

    states = list(Signature.objects.order_by("pk").values_list("state", flat=True))
    assert states[-1] == "fraudulent"


# Same-answer privacy: the widget tells a repeat signer nothing a new one is not told.


@pytest.fixture
def frozen():
    with freeze_time("2026-11-30 12:00:00"):
        yield


def _answer(petition, **overrides) -> dict:
    client = _browser()
    response = _sign(petition, client=client, **overrides)
    page = client.get(response["Location"])
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": dict(response.cookies),
        "page status": page.status_code,
        "page headers": dict(page.headers),
        "page cookies": dict(page.cookies),
        "page": page.content,
    }


@pytest.mark.parametrize("earlier", ["pending", "confirmed"])
def test_a_repeat_signer_gets_exactly_the_answer_a_new_one_gets(petition, frozen, earlier):
    _sign(petition)
    if earlier == "confirmed":
        Signature.objects.update(state=Signature.State.CONFIRMED)

    new = _answer(petition, email="katherine@example.org")
    repeat = _answer(petition, first_name="Mallory")

    assert repeat == new
    assert Signature.objects.filter(email="grace@example.org").get().first_name == "Grace"
