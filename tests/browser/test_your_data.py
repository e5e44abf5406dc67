"""A signer asks for a copy of their data, gets the email, follows the link and reads it."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from petitions.models import Petition
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
    organisation = Petition.objects.get(slug=DEMO_SLUG).organisation
    return PetitionFactory(
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
