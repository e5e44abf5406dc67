"""An owner reads the audit log, narrows it to one person's exports (the filters opened and
sent from the keyboard), and follows a row to the petition it names. axe finds no serious
violation, wide or on a phone."""

from uuid import uuid4

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from orgs.audit import audit_record, audit_target
from orgs.signin import totp_secret_text
from petitions.models import Petition
from tests.browser.conftest import staff_sign_in
from tests.browser.test_axe import Audit
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a long walk by the canal"


def test_an_owner_filters_the_audit_log_and_follows_a_row(live_app, open_page, shoot):
    username = f"owner-{uuid4().hex[:6]}"
    owner = UserFactory(username=username, role="Owner")
    owner.set_password(PASSWORD)
    owner.save()
    device = TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)
    petition = Petition.objects.get(slug="stop-face-scraping")
    audit_record(
        by=owner,
        action="export",
        summary=f"Signatures of “{petition.title}” (confirmed)",
        target="orgs.exportrecord:1",
        detail={"scope": f"petition id {petition.pk}; states: confirmed", "columns": ["email"]},
    )
    audit_record(
        by=owner,
        action="close",
        summary=f"Closed “{petition.title}”",
        target=audit_target(petition),
        detail={"slug": petition.slug, "from": "open", "to": "closed"},
    )
    audit = Audit()
    page = open_page()
    staff_sign_in(
        page, username=username, password=PASSWORD, secret=totp_secret_text(device=device)
    )

    page.goto("/staff/")
    page.locator("nav a", has_text="Audit log").click()
    expect(page.locator("h1")).to_have_text("Audit log")
    expect(page.locator("tbody tr").first).to_contain_text("Closed a petition")
    audit.page(page, "audit log", shoot)

    page.locator("summary", has_text="Filter by action").focus()
    page.keyboard.press("Enter")
    page.locator("#id_action").select_option("export")
    page.locator("#id_who").select_option(str(owner.pk))
    page.locator("button", has_text="Apply filters").focus()
    page.keyboard.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Exported personal data")
    audit.page(page, "audit log filtered", shoot)

    page.goto("/staff/audit/?since=2026-13-45")
    expect(page.locator(".ws-error-summary")).to_contain_text("Enter a date as year-month-day")
    audit.page(page, "audit log with a refused date")

    page.goto("/staff/audit/?action=close")
    page.locator("tbody a", has_text=petition.title).first.click()
    expect(page).to_have_url(f"{live_app.url}/staff/petitions/{petition.pk}/")
    audit.assert_clean()
