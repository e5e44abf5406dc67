"""A campaigner opens a petition's dashboard on a phone: the charts draw (no script
error, no console error such as a refused style), the page fits 375 px without scrolling
sideways, the tables open without script, and axe finds no serious violation."""

from uuid import uuid4

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from orgs.signin import totp_secret_text
from petitions.models import Petition
from tests.browser.conftest import staff_sign_in, wait_for_counts_settled
from tests.browser.test_axe import Audit
from tests.factories import SignatureFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a long walk by the canal"
PHONE = {"width": 375, "height": 812}


def _campaigner() -> tuple[str, str]:
    username = f"campaigner-{uuid4().hex[:6]}"
    user = UserFactory(username=username, role="Campaigner")
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


def test_a_campaigner_reads_the_dashboard_on_a_phone(open_page, live_app, shoot):
    petition = Petition.objects.get(slug="stop-face-scraping")
    tag = uuid4().hex[:6]
    for n, country in enumerate(["KE", "KE", "BR", "JP"]):
        SignatureFactory(
            petition=petition,
            email=f"dash{n}-{tag}@example.org",
            country=country,
            channel="whatsapp",
            state="confirmed",
            confirmed_at=timezone.now(),
            count_dirty=True,
        )
    wait_for_counts_settled()
    username, secret = _campaigner()
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto(f"/staff/petitions/{petition.pk}/")
    page.get_by_role("link", name="Dashboard", exact=True).click()

    expect(page.locator("#hours-heading")).to_have_text("The last 72 hours")
    expect(page.locator("#chart-map")).to_be_visible()
    expect(page.locator("#chart-map title", has_text="Kenya")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    countries = page.locator("#countries-heading ~ details")
    countries.locator("summary").click()
    expect(page.locator("#table-countries")).to_contain_text("Kenya")
    shoot(page, "dashboard-phone")
    audit = Audit()
    audit.page(page, "dashboard", shoot)
    audit.assert_clean()
    assert console_errors == []
