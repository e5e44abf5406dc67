"""An owner adds a partner in Chromium, makes a token, and the partner's server signs with
it through the running Chorus; revoked, the token is refused. axe finds no serious
violation on the Partners pages, wide or on a phone, nor on the API's docs page."""

import json
import urllib.error
import urllib.request
from uuid import uuid4

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from orgs.signin import totp_secret_text
from partners.models import Partner
from petitions.models import Signature
from tests.browser.conftest import staff_sign_in
from tests.browser.test_axe import Audit
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a long walk by the canal"


def _owner() -> tuple[str, str]:
    username = f"owner-{uuid4().hex[:6]}"
    user = UserFactory(username=username, role="Owner")
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


def _partner_signs(base_url: str, token: str, email: str) -> int:
    body = {"first_name": "Ada", "last_name": "Byron", "email": email, "country": "GB"}
    request = urllib.request.Request(  # noqa: S310 - the live app's http address
        f"{base_url}/api/v1/petitions/stop-face-scraping/signatures/",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_an_owner_makes_a_partner_and_a_token_the_partner_signs_with(live_app, open_page, shoot):
    username, secret = _owner()
    page = open_page(viewport={"width": 1280, "height": 800})
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)
    audit = Audit()
    slug = f"newsroom-{uuid4().hex[:6]}"

    page.goto("/staff/partners/")
    page.get_by_role("link", name="Add a partner").click()
    audit.page(page, "add a partner", shoot=shoot)
    page.fill("#id_name", "The Newsroom")
    page.fill("#id_slug", slug)
    page.fill("#id_website", "https://newsroom.example")
    page.get_by_role("button", name="Add the partner").click()
    expect(page.locator(".ws-msg")).to_contain_text("Partner added")
    partner = Partner.objects.get(slug=slug)

    page.fill("#id_name", "Sign-up form")
    page.get_by_role("button", name="Make the token").click()
    token = page.locator("#secret").input_value()
    assert token.startswith("chorus_")
    audit.page(page, "a new token, shown once", shoot=shoot)

    email = f"partner-{uuid4().hex[:6]}@example.org"
    assert _partner_signs(live_app.url, token, email) == 202
    signature = Signature.objects.get(email=email)
    assert signature.partner_id == partner.pk and signature.channel == "partner"

    page.get_by_role("link", name="I have copied it").click()
    expect(page.locator("main")).not_to_contain_text(token)
    audit.page(page, "a partner", shoot=shoot)
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".ws-msg")).to_contain_text("revoked")
    assert _partner_signs(live_app.url, token, f"again-{email}") == 401

    endpoint = WebhookEndpoint.objects.create(
        partner=partner, url="https://hooks.newsroom.example/chorus", secret="whsec_x"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="test", event_key="test-1", payload={"event": "test"}
    )
    WebhookAttempt.objects.create(delivery=delivery, attempt=1, status_code=503, error="HTTP 503")
    WebhookAttempt.objects.create(delivery=delivery, attempt=2, status_code=200)
    page.goto(f"/staff/partners/{partner.pk}/webhooks/{endpoint.pk}/")
    expect(page.get_by_role("button", name="Send a test event")).to_be_visible()
    audit.page(page, "a webhook's delivery log", shoot=shoot)
    page.goto("/staff/partners/")
    audit.page(page, "partners", shoot=shoot)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/api/v1/")
    audit.page(page, "the API's docs page", shoot=shoot)
    audit.assert_clean()
