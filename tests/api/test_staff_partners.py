"""The Partners section: who may see and change partners, tokens and webhooks."""

import pytest

from api.models import ApiToken, WebhookEndpoint
from api.tokens import api_token_authenticate, api_token_create
from orgs.models import AuditEvent
from partners.models import Partner
from tests.factories import PartnerFactory
from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db

# What each persona gets: 200/302 where allowed, 403 where not.
MAY_VIEW = {"owner", "campaigner", "analyst", "superuser"}
MAY_MANAGE = {"owner", "superuser"}
MAY_VIEW_WEBHOOKS = {"owner", "campaigner", "superuser"}


@pytest.fixture
def partner(organisation):
    return PartnerFactory(organisation=organisation, name="Friends of Faces", slug="fof")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_partners_list_and_a_partner(persona, partner):
    _, client = staff_client(persona)

    listed = client.get("/staff/partners/")
    detail = client.get(f"/staff/partners/{partner.pk}/")

    expected = 200 if persona in MAY_VIEW else 403
    assert (listed.status_code, detail.status_code) == (expected, expected)
    petitions = client.get("/staff/petitions/").content.decode()
    assert ('href="/staff/partners/"' in petitions) == (persona in MAY_VIEW)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_owners_add_a_partner(persona, organisation):
    _, client = staff_client(persona)

    response = client.post(
        "/staff/partners/new/", {"name": "Newsroom", "slug": "newsroom", "website": ""}
    )

    assert response.status_code == (302 if persona in MAY_MANAGE else 403)
    assert Partner.objects.filter(slug="newsroom").exists() == (persona in MAY_MANAGE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_owners_make_a_token_and_see_it_once(persona, partner):
    user, client = staff_client(persona)

    response = client.post(
        f"/staff/partners/{partner.pk}/tokens/",
        {"name": "sign-up form", "scopes": ["signatures:write"]},
    )

    if persona not in MAY_MANAGE:
        assert response.status_code == 403 and ApiToken.objects.count() == 0
        return
    html = response.content.decode()
    token = ApiToken.objects.get()
    secret = html.split('value="chorus_', 1)[1].split('"', 1)[0]
    assert api_token_authenticate(f"Bearer chorus_{secret}") == token
    assert (
        response["Cache-Control"].startswith("max-age=0")
        or "no-store" in response["Cache-Control"]
    )
    later = client.get(f"/staff/partners/{partner.pk}/").content.decode()
    assert secret not in later and token.prefix in later
    assert AuditEvent.objects.filter(action="token_create", actor=user).count() == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_owners_revoke_a_token(persona, partner):
    made = api_token_create(partner=partner, name="form", scopes=["signatures:write"], by=None)
    _, client = staff_client(persona)

    response = client.post(f"/staff/partners/{partner.pk}/tokens/{made.token.pk}/revoke/")

    assert response.status_code == (302 if persona in MAY_MANAGE else 403)
    assert (api_token_authenticate(f"Bearer {made.secret}") is None) == (persona in MAY_MANAGE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_owners_switch_a_partner_off(persona, partner):
    _, client = staff_client(persona)

    response = client.post(f"/staff/partners/{partner.pk}/active/", {"active": "0"})

    assert response.status_code == (302 if persona in MAY_MANAGE else 403)
    partner.refresh_from_db()
    assert partner.active == (persona not in MAY_MANAGE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_adds_a_webhook_and_who_reads_its_log(persona, partner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    _, client = staff_client(persona)

    added = client.post(
        f"/staff/partners/{partner.pk}/webhooks/", {"url": "http://127.0.0.1:9/hook"}
    )

    assert added.status_code == (200 if persona in MAY_MANAGE else 403)
    if persona in MAY_MANAGE:
        assert "whsec_" in added.content.decode()
    endpoint = WebhookEndpoint.objects.first() or WebhookEndpoint.objects.create(
        partner=partner, url="https://hooks.example/x", secret="whsec_x"
    )
    log = client.get(f"/staff/partners/{partner.pk}/webhooks/{endpoint.pk}/")
    assert log.status_code == (200 if persona in MAY_VIEW_WEBHOOKS else 403)
    assert "whsec_" not in log.content.decode()


def test_a_private_webhook_address_gets_a_clear_message_and_stores_nothing(
    partner, owner_client, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = owner_client.post(
        f"/staff/partners/{partner.pk}/webhooks/", {"url": "http://192.168.0.10/hook"}
    )

    assert response.status_code == 400
    assert "private or local network" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "slug": "x"},
        {"name": "A", "slug": "not a slug"},
        {"name": "A", "slug": "fof"},
        {"name": "A\u0000", "slug": "ok"},
        {"name": "A", "slug": "ok", "website": "javascript:alert(1)"},
    ],
)
def test_a_bad_partner_form_says_what_to_fix_and_stores_nothing(partner, owner_client, data):
    response = owner_client.post("/staff/partners/new/", data)

    assert response.status_code == 200
    assert "Check this before you go on" in response.content.decode()
    assert Partner.objects.count() == 1


def test_a_token_of_another_partner_cannot_be_revoked_through_this_one(
    partner, organisation, owner_client
):
    other = PartnerFactory(organisation=organisation)
    made = api_token_create(partner=other, name="x", scopes=["signatures:write"], by=None)

    response = owner_client.post(f"/staff/partners/{partner.pk}/tokens/{made.token.pk}/revoke/")

    assert response.status_code == 404
    assert api_token_authenticate(f"Bearer {made.secret}") is not None
