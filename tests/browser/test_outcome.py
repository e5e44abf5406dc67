"""Victory and an update emailed, every part real: a won petition's page in Chromium (the
banner, the target's response, no sign form), and the update received by the SMTP server
from the servers' worker (both parts, List-Unsubscribe, the frame in the member's
language), its HTML shown in Chromium. Screenshots in the browser tests' shots directory
(outcome-*.png); those in docs/screenshots are copies."""

import datetime
import re
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from mailings.outcome import update_email
from members.models import Member
from orgs.models import Organisation
from petitions.models import Petition, Signature, Update
from petitions.services import petition_declare_victory, petition_response_set
from tests.browser.conftest import SHOTS, mail_bodies, staff_sign_in
from tests.browser.test_workspace_segments import PASSWORD, _campaigner
from tests.factories import MemberFactory, SignatureFactory

pytestmark = pytest.mark.browser

DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
RESPONSE = (
    "We have heard you. From 1 April PhotoCircle will no longer use members' photos to "
    "train face recognition, and the photos already used will be deleted. <b>Thank you</b>."
)


def _axe_clean(page) -> None:
    results = Axe().run(page)
    found = [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert found == [], f"{page.url}: {found}"


@pytest.fixture
def won(live_app):
    """A petition of the demo organisation, won, with two signers who asked to hear."""
    organisation = Organisation.objects.current()
    tag = uuid4().hex[:8]
    petition = Petition.objects.create(
        organisation=organisation,
        slug=f"photocircle-stops-{tag}",
        title="PhotoCircle: stop training face recognition on our photos",
        target="PhotoCircle",
        summary="Our holiday photos are not training data.",
        story="PhotoCircle trains its face recognition on members' photos.",
        status=Petition.Status.OPEN,
    )
    signers = {}
    for name, language in (("ada", "en"), ("aline", "fr")):
        email = f"{name}-{tag}@example.org"
        member = MemberFactory(
            organisation=organisation,
            email=email,
            first_name=name.title(),
            language=language,
            status=Member.Status.SUBSCRIBED,
        )
        SignatureFactory(
            petition=petition,
            email=email,
            member=member,
            opt_in=True,
            state=Signature.State.CONFIRMED,
            confirmed_at=timezone.now(),
        )
        signers[language] = email
    petition_declare_victory(petition=petition)
    petition_response_set(
        petition=petition,
        text=RESPONSE,
        on=datetime.date(2026, 3, 3),
        url="https://photocircle.example/news/photos",
        by=None,
    )
    return petition, signers


def test_a_won_page_shows_the_banner_and_the_response_and_no_form(open_page, won):
    petition, _ = won
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport, extra in (
        ("desktop", DESKTOP, {}),
        ("phone", PHONE, {"is_mobile": True, "has_touch": True}),
    ):
        page = open_page(viewport=viewport, **extra)
        page.goto(petition.get_absolute_url())
        expect(page.locator(".banner.victory")).to_contain_text("Victory!")
        response = page.locator("section.response")
        expect(response).to_contain_text("PhotoCircle responded on 3 March 2026")
        expect(response).to_contain_text("<b>Thank you</b>.")  # as text, never markup
        expect(page.get_by_role("link", name="Read the whole response")).to_be_visible()
        expect(page.locator("[data-sign-form]")).to_have_count(0)
        expect(page.get_by_role("heading", name="Signatures are closed")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"outcome-won-{name}.png"), full_page=True)
        _axe_clean(page)


def test_an_update_is_emailed_once_in_each_signers_language(open_page, won, inbox):
    petition, signers = won
    update = Update.objects.create(
        petition=petition,
        title="We won: PhotoCircle stops",
        body="PhotoCircle **agreed**. Thank you to the 1,204 of you who signed.",
        published_at=timezone.now(),
    )
    update_email(update=update, by=None)

    english = inbox.wait_for(signers["en"], "We won")
    french = inbox.wait_for(signers["fr"], "We won")
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = mail_bodies(english)
    assert "<strong>agreed</strong>" in html and "**agreed**" in text
    assert petition.title in text and "Unsubscribe with one click" in text
    assert '<html lang="en">' in html
    assert '<html lang="fr">' in mail_bodies(french)[1]

    page = open_page(viewport={"width": 700, "height": 900})
    page.set_content(html)
    expect(page.get_by_role("heading", name="We won: PhotoCircle stops")).to_be_visible()
    page.screenshot(path=str(SHOTS / "outcome-update-email.png"), full_page=True)
    assert len(inbox.to(signers["en"], "We won")) == 1


def test_the_workspace_shows_the_update_emailed_with_its_report(open_page, won):
    petition, _ = won
    update = Update.objects.create(
        petition=petition, title="A meeting", body="We met.", published_at=timezone.now()
    )
    mailing = update_email(update=update, by=None)
    username, secret = _campaigner()  # a campaigner of its own: codes are good once
    page = open_page(viewport=DESKTOP)
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto(f"/staff/petitions/{petition.pk}/updates/")
    row = page.get_by_role("row", name=re.compile("A meeting"))
    expect(row).to_contain_text(re.compile("Emailed|To be emailed|Sending"))
    expect(row.get_by_role("link", name=re.compile("Report"))).to_have_attribute(
        "href", f"/staff/mailings/{mailing.pk}/"
    )
    page.screenshot(path=str(SHOTS / "outcome-staff-updates.png"), full_page=True)
    page.goto(f"/staff/petitions/{petition.pk}/outcome/")
    expect(page.locator("#id_text")).to_have_value(RESPONSE)
    page.screenshot(path=str(SHOTS / "outcome-staff-response.png"), full_page=True)
    _axe_clean(page)
