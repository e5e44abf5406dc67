"""An owner switches the workspace to French, then to German, from the header's language
switcher; the choice stays as they move between pages and tabs, and English comes back."""

import re
from uuid import uuid4

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from orgs.roles import owner_create
from orgs.signin import totp_secret_text
from tests.browser.conftest import staff_sign_in
from tests.browser.test_axe import Audit

pytestmark = pytest.mark.browser

SIZES = {"wide": (1280, 800), "phone": (390, 844)}
PASSWORD = "a long walk by the canal"


@pytest.fixture
def owner(live_app):
    username = f"owner-{uuid4().hex[:6]}"
    user = owner_create(username=username, email=f"{username}@example.org", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


def _switch(page: Page, language_name: str, button: str) -> None:
    page.select_option("#ws-language", label=language_name)
    page.locator("header").get_by_role("button", name=button, exact=True).click()


def test_the_workspace_changes_language_from_the_header_and_keeps_it(open_page, owner, shoot):
    username, secret = owner
    page = open_page()
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)
    page.goto("/staff/petitions/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Petitions")

    _switch(page, "Français", "Change")

    expect(page).to_have_url(re.compile(r"/staff/petitions/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pétitions")
    nav = page.get_by_role("navigation", name="Sections de l’espace de travail")
    expect(nav.get_by_role("link", name="Membres")).to_be_visible()
    expect(page.get_by_label("Langue")).to_have_value("fr")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        shoot(page, f"fr-{size}")
        # The header's longer French words wrap; nothing makes the page scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    audit = Audit()
    audit.page(page, "petitions in French")
    audit.assert_clean()
    page.set_viewport_size({"width": 1280, "height": 800})

    nav.get_by_role("link", name="Membres").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Membres")

    _switch(page, "Deutsch", "Changer")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitglieder")
    shoot(page, "de-wide")

    # A new tab of the same browser keeps the choice (it is the cookie's).
    page = page.context.new_page()
    page.goto("/staff/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit-Protokoll")

    _switch(page, "English", "Ändern")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
