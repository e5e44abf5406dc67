"""A member follows a mailing's link: the petition page knows them, and one press signs.

The page is the same cached HTML for everyone; its script reads the recognition token
from the link's fragment and asks the server who it names. The tokens are signed with
the servers' SECRET_KEY (live_app.secret_key), as the sending worker signs them. The
screenshots kept in the browser tests' shots directory are those in docs/screenshots.
"""

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from mailings import tokens
from mailings.models import Recipient
from members.models import Member
from members.services import Consent, member_subscribe
from petitions.models import Petition, Signature
from tests.browser.conftest import DEMO_PATH, DEMO_SLUG, SHOTS, unique_email
from tests.factories import MailingFactory, MemberFactory, RecipientFactory

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _recipient(first_name: str) -> Recipient:
    petition = Petition.objects.get(slug=DEMO_SLUG)
    member = MemberFactory(
        organisation=petition.organisation,
        email=unique_email(first_name.lower()),
        first_name=first_name,
        last_name="Johnson",
        country="GB",
    )
    member_subscribe(
        member=member,
        consent=Consent(
            wording="Email me.",
            wording_version="test",
            source="test",
            at=timezone.now(),
            address_proven=True,
        ),
    )
    mailing = MailingFactory(
        organisation=petition.organisation,
        petition=petition,
        links=[f"https://example.org{DEMO_PATH}"],
        state="sent",
    )
    return RecipientFactory(mailing=mailing, member=member, sent_at=timezone.now(), state="done")


def _axe_clean(page) -> None:
    """No serious or critical axe-core violation, as tests/browser/test_axe.py asks."""
    results = Axe().run(page)
    found = [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert found == [], f"{page.url}: {found}"


def _token(live_app, recipient: Recipient, purpose: str) -> str:
    with override_settings(SECRET_KEY=live_app.secret_key):
        return tokens.recipient_token(recipient.pk, purpose)


def _wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        time.sleep(0.2)
    return value


def test_a_member_follows_the_link_sees_their_name_and_signs_with_one_press(
    open_page, live_app, inbox, shoot
):
    recipient = _recipient("Katherine")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(viewport=DESKTOP)
    page.goto(f"/m/c/{_token(live_app, recipient, tokens.CLICK)}/0/")

    recognised = page.locator("[data-recognised]")
    expect(recognised).to_be_visible()
    expect(recognised).to_contain_text("Signing as Katherine.")
    expect(page.get_by_role("button", name="Not Katherine?")).to_be_visible()
    expect(page.locator("[data-sign-block]")).to_be_hidden()
    # The token left the address bar: a copied link recognises nobody.
    assert "#mt=" not in page.url and page.url.endswith(f"{DEMO_PATH}?ch=mailing")
    page.screenshot(path=str(SHOTS / "recognised-desktop.png"))
    _axe_clean(page)
    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"/m/c/{_token(live_app, recipient, tokens.CLICK)}/0/")
    expect(phone.locator("[data-recognised]")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "recognised-phone.png"))
    _axe_clean(phone)

    with page.expect_navigation():
        page.get_by_role("button", name="Sign now").click()
    expect(page.locator("h1")).to_have_text("Your signature is confirmed")
    shoot(page, "signed-with-one-press")

    signature = Signature.objects.get(email=recipient.member.email)
    assert signature.state == Signature.State.CONFIRMED
    assert signature.channel == "mailing"
    recipient.refresh_from_db()
    assert recipient.signature_id == signature.pk and recipient.clicks == 2
    # The worker makes the signer's member record match; it emails nobody.
    _wait_for(lambda: Signature.objects.get(pk=signature.pk).member_id == recipient.member_id)
    time.sleep(1)
    assert inbox.to(recipient.member.email) == []

    page.goto(DEMO_PATH)
    expect(page.locator("[data-signed-when=confirmed]")).to_be_visible()


def test_not_me_clears_the_recognition_and_shows_the_normal_form(open_page, live_app):
    recipient = _recipient("Dorothy")
    page = open_page()
    page.goto(f"/m/c/{_token(live_app, recipient, tokens.CLICK)}/0/")
    expect(page.locator("[data-recognised]")).to_contain_text("Signing as Dorothy.")

    page.get_by_role("button", name="Not Dorothy?").click()
    expect(page.locator("[data-recognised]")).to_be_hidden()
    expect(page.locator("[data-sign-form]")).to_be_visible()
    expect(page.locator("#id_first_name")).to_be_focused()
    expect(page.locator("#id_first_name")).to_have_value("")

    page.reload()
    expect(page.locator("[data-csrf]")).not_to_have_value("")
    expect(page.locator("[data-sign-form]")).to_be_visible()
    expect(page.locator("[data-recognised]")).to_be_hidden()
    assert not Signature.objects.filter(email=recipient.member.email).exists()


def test_a_forged_fragment_shows_the_normal_form(page, live_app):
    page.goto(f"{DEMO_PATH}?ch=mailing#mt=1.a.AAAAAAAAAAAAAAAAAAAAAA")
    expect(page.locator("[data-csrf]")).not_to_have_value("")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-recognised]")).to_be_hidden()
    expect(page.locator("[data-sign-form]")).to_be_visible()


def test_the_unsubscribe_page_takes_one_press(open_page, live_app):
    SHOTS.mkdir(parents=True, exist_ok=True)
    recipient = _recipient("Mary")
    url = f"/m/u/{_token(live_app, recipient, tokens.UNSUBSCRIBE)}/"
    page = open_page(viewport=DESKTOP)
    page.goto(url)
    expect(page.locator("h1")).to_have_text("Stop these emails?")
    page.screenshot(path=str(SHOTS / "unsubscribe-desktop.png"))
    _axe_clean(page)
    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(url)
    phone.screenshot(path=str(SHOTS / "unsubscribe-phone.png"))

    with page.expect_navigation():
        page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    page.screenshot(path=str(SHOTS / "unsubscribed-desktop.png"))
    _axe_clean(page)
    assert Member.objects.get(pk=recipient.member_id).status == Member.Status.UNSUBSCRIBED


def test_staff_see_the_mailings_a_member_received_and_their_clicks(open_page, live_app, shoot):
    from tests.browser.conftest import staff_sign_in
    from tests.browser.test_axe import Audit
    from tests.browser.test_workspace_members import PASSWORD, _colleague

    recipient = _recipient("Ada")
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk).update(clicks=1, first_clicked_at=now, signed_at=now)
    recipient.click_log.create(link=0, at=now)
    other = RecipientFactory(
        member=recipient.member,
        mailing=MailingFactory(organisation=recipient.mailing.organisation, name="May update"),
        sent_at=now,
        bounced_at=now,
        bounce_kind="soft",
    )
    assert other.pk
    username, secret = _colleague("Analyst")
    page = open_page(viewport=DESKTOP)
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)
    page.goto(f"/staff/members/{recipient.member_id}/")
    expect(page.locator("#mailings-heading")).to_have_text("Mailings received")
    expect(page.locator("section", has=page.locator("#mailings-heading"))).to_contain_text(
        "2 mailings received."
    )
    expect(page.locator("section", has=page.locator("#clicks-heading"))).to_contain_text(
        f"https://example.org{DEMO_PATH}"
    )
    audit = Audit()
    audit.page(page, "member with mailings", shoot)
    audit.assert_clean()
