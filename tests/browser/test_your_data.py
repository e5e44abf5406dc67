"""A signer asks for a copy of their data, gets the email, follows the link and reads it."""

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lib.addresses import email_key
from members.models import Member, Suppression
from petitions.models import MailAllowance, Petition
from tests.browser.conftest import (
    DEMO_SLUG,
    fill_sign_form,
    mail_bodies,
    submit_sign_form,
    unique_email,
)
from tests.factories import PetitionFactory

pytestmark = pytest.mark.browser

SUBJECT = "Your data at"


@pytest.fixture
def open_petition():
    # The live server's database outlives a test: the second test here finds it made.
    found = Petition.objects.filter(slug="your-data-no-confirmation").first()
    organisation = Petition.objects.get(slug=DEMO_SLUG).organisation
    return found or PetitionFactory(
        organisation=organisation, slug="your-data-no-confirmation", require_confirmation=False
    )


def test_a_signer_gets_a_copy_of_their_data_through_the_emailed_link(
    page, inbox, live_app, shoot, open_petition
):
    address = unique_email("grace")
    page.goto(open_petition.get_absolute_url())
    fill_sign_form(page, email_address=address)
    submit_sign_form(page)

    page.get_by_role("link", name="Your data: see it or erase it").click()
    expect(page.locator("h1")).to_have_text("Your data")
    shoot(page, "request")
    local, _, domain = address.partition("@")
    typed = f"{local.upper()}@{domain}"  # a variant: the canonical key finds the signature
    page.fill("#id_email", typed)
    page.get_by_label("Send me a copy of my data").check()
    page.get_by_role("button", name="Email me the link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    shoot(page, "requested")

    text, html = mail_bodies(inbox.wait_for(typed, SUBJECT))
    [link] = re.findall(re.escape(live_app.url) + r"/your-data/copy/[^/\s]+/", text)
    assert link in html
    page.goto(link)
    expect(page.get_by_role("button", name="Show my data")).to_be_visible()
    assert address not in page.content()  # following the link shows nothing yet
    shoot(page, "link")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download it as a file (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text())
    [signature] = data["signatures"]
    assert signature["email"] == address and signature["petition"] == open_petition.title

    page.get_by_role("button", name="Show my data").click()
    expect(page.locator("h1")).to_have_text("Your data")
    expect(page.get_by_text(address).first).to_be_visible()
    expect(page.get_by_role("link", name=open_petition.title)).to_be_visible()
    shoot(page, "copy")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "copy-phone")


def _link_from_email(page, inbox, live_app, address: str, purpose: str, nth: int) -> str:
    # As if the mail ceiling's five minutes since the last email to the address had passed.
    MailAllowance.objects.all().delete()
    page.goto(f"{live_app.url}/your-data/")
    page.fill("#id_email", address)
    page.locator(f"input[name=purpose][value={purpose}]").check()
    page.get_by_role("button", name="Email me the link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    text, _ = mail_bodies(inbox.wait_for(address, "data at", count=nth))  # either purpose
    [link] = re.findall(re.escape(live_app.url) + rf"/your-data/{purpose}/[^/\s]+/", text)
    return link


def test_an_erased_subscriber_is_told_their_address_stays_off_the_mailings_as_a_code(
    page, inbox, live_app, shoot, open_petition
):
    address = unique_email("ada")
    page.goto(open_petition.get_absolute_url())
    fill_sign_form(page, email_address=address)
    page.check("#id_opt_in")
    submit_sign_form(page)
    subscribed = Member.objects.filter(email=address, status="subscribed")
    deadline = time.monotonic() + 30
    while not subscribed.exists() and time.monotonic() < deadline:  # the worker's turn
        time.sleep(0.1)
    assert subscribed.exists()

    hidden = Suppression.objects.filter(email_key__startswith="hmac:").count()
    page.goto(_link_from_email(page, inbox, live_app, address, "erase", nth=1))
    expect(page.get_by_text("only as a code made from it", exact=False)).to_be_visible()
    expect(
        page.get_by_text("An old list we import cannot put you back", exact=False)
    ).to_be_visible()
    shoot(page, "erase-confirm")
    page.get_by_role("button", name="Erase my data").click()
    expect(page.locator("h1")).to_have_text("Your data is erased")
    assert Suppression.objects.filter(email_key__startswith="hmac:").count() == hidden + 1
    assert not Suppression.objects.filter(email_key=email_key(address)).exists()

    page.goto(_link_from_email(page, inbox, live_app, address, "copy", nth=2))
    page.get_by_role("button", name="Show my data").click()
    expect(page.get_by_text("kept as a code made from it", exact=False)).to_be_visible()
    assert address not in page.content()
    shoot(page, "copy-after-erasure")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "copy-after-erasure-phone")
