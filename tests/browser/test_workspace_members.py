"""A campaigner finds a member by email, reads their history, and unsubscribes them on
request with the keyboard alone; an owner sets Austria's consent rule. axe finds no serious
violation on the pages on the way, wide or on a phone."""

from uuid import uuid4

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from members.models import ConsentRecord, CountryConsentRule, Member
from members.services import Consent, member_subscribe
from orgs.models import Organisation
from orgs.signin import totp_secret_text
from petitions.models import Petition
from tests.browser.conftest import staff_sign_in
from tests.browser.test_axe import Audit
from tests.factories import MemberFactory, SignatureFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a long walk by the canal"
WIDE = {"width": 1280, "height": 800}


def _colleague(role: str) -> tuple[str, str]:
    username = f"{role.lower()}-{uuid4().hex[:6]}"
    user = UserFactory(username=username, role=role)
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


def _audit_both_sizes(page: Page, audit: Audit, name: str) -> None:
    audit.page(page, name)  # wide and on a phone
    page.set_viewport_size(WIDE)


@pytest.fixture
def member(live_app):
    organisation = Organisation.objects.current()
    email = f"grace-{uuid4().hex[:6]}@example.org"
    member = MemberFactory(organisation=organisation, email=email, first_name="Grace")
    petition = Petition.objects.get(slug="stop-face-scraping")
    SignatureFactory(petition=petition, member=member, email=email, state="confirmed")
    member_subscribe(
        member=member,
        consent=Consent(
            wording="Email me about this and other campaigns.",
            wording_version="email-2026-11",
            source=petition.get_absolute_url(),
            at=member.created_at,
            address_proven=True,
        ),
    )
    return member


def test_a_campaigner_finds_a_member_and_unsubscribes_them_with_the_keyboard(
    open_page, member, shoot
):
    audit = Audit()
    username, secret = _colleague("Campaigner")
    page = open_page()
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto("/staff/members/")
    expect(page.locator("h1")).to_have_text("Members")
    _audit_both_sizes(page, audit, "members list")
    page.fill("#id_q", member.email.upper())
    page.keyboard.press("Enter")
    expect(page.locator("tbody th[scope=row] a")).to_have_count(1)
    page.locator("tbody th[scope=row] a").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Grace Hopper")
    expect(page.locator("#signatures-heading + .ws-table-wrap")).to_contain_text(
        "Stop the scraping"
    )
    expect(page.locator(".mb-ledger")).to_contain_text("Email me about this and other campaigns.")
    _audit_both_sizes(page, audit, "member")
    shoot(page, "member")

    page.locator("summary", has_text="Unsubscribe on request").focus()
    page.keyboard.press("Enter")
    page.locator("#id_reason-unsubscribe").focus()
    page.keyboard.press("Enter")  # no reason yet: the browser asks for one, nothing is sent
    assert Member.objects.get(pk=member.pk).status == Member.Status.SUBSCRIBED
    page.keyboard.type("Asked by email")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Yes, unsubscribe")
    page.keyboard.press("Enter")

    expect(page.locator(".ws-msg")).to_contain_text("Unsubscribed")
    expect(page.locator(".ws-lede .badge")).to_have_text("Unsubscribed")
    assert ConsentRecord.objects.filter(member=member, action="withdrawn").count() == 1
    _audit_both_sizes(page, audit, "member after unsubscribing")
    audit.assert_clean()


def test_an_owner_sets_a_countrys_consent_rule(open_page):
    audit = Audit()
    username, secret = _colleague("Owner")
    page = open_page()
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto("/staff/members/")
    page.click("text=Consent rules by country")
    expect(page.locator("h1")).to_have_text("Consent rules by country")
    page.fill("#id_country", "Narnia")
    page.click("main form.ws-form button[type=submit]")
    expect(page.locator(".ws-error-summary")).to_contain_text("No country is called")
    _audit_both_sizes(page, audit, "consent rules with an error")
    page.fill("#id_country", "Austria")
    page.check("input[name=double_opt_in][value=no]")
    page.fill("#id_note", "Our lawyers said so")
    page.click("main form.ws-form button[type=submit]")

    expect(page.locator(".ws-msg")).to_contain_text("Saved the rule for Austria")
    assert CountryConsentRule.objects.filter(country="AT", double_opt_in=False).exists()
    page.click("button:has-text('Reset')")
    expect(page.locator(".ws-msg")).to_contain_text("Austria follows the built-in default")
    assert not CountryConsentRule.objects.exists()
    audit.assert_clean()
