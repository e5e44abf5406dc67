"""A visitor who arrives through a share link carries its channel tag into the signature."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from petitions.models import Signature
from tests.browser.conftest import DEMO_PATH, fill_sign_form, submit_sign_form, unique_email

pytestmark = pytest.mark.browser


def test_a_visitor_from_a_whatsapp_share_is_recorded_as_coming_from_whatsapp(
    open_page, live_app, shoot
):
    sharer = open_page()
    sharer.goto(DEMO_PATH)
    fill_sign_form(sharer, email_address=unique_email("sharer"))
    submit_sign_form(sharer)
    whatsapp = sharer.get_by_role("list", name="Share this petition").get_by_role(
        "link", name="WhatsApp"
    )
    # WhatsApp's link carries the message; the petition's address ends it.
    message = parse_qs(urlsplit(whatsapp.get_attribute("href")).query)["text"][0]
    shared_url = message.split()[-1]
    assert shared_url == f"{live_app.url}{DEMO_PATH}?ch=whatsapp"

    friend = open_page()
    friend.goto(shared_url)
    expect(friend.locator("[data-channel]")).to_have_value("whatsapp")
    shoot(friend, "petition-from-whatsapp")
    address = unique_email("friend")
    fill_sign_form(friend, email_address=address)
    submit_sign_form(friend)
    expect(friend.locator("h1")).to_have_text("Thank you for signing")

    assert Signature.objects.get(email=address).channel == "whatsapp"


def test_a_visitor_with_an_unknown_channel_tag_is_recorded_as_direct(page):
    page.goto(DEMO_PATH + "?ch=<script>")
    address = unique_email("direct")
    fill_sign_form(page, email_address=address)
    submit_sign_form(page)
    expect(page.locator("h1")).to_have_text("Thank you for signing")
    assert Signature.objects.get(email=address).channel == ""
