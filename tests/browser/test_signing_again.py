"""Signing twice: only the browser that signed is told so; anyone else sees the neutral answer."""

import pytest
from playwright.sync_api import expect

from petitions.models import Signature
from tests.browser.conftest import (
    DEMO_PATH,
    confirm_links,
    fill_sign_form,
    mail_bodies,
    submit_sign_form,
    unique_email,
)

pytestmark = pytest.mark.browser

ALREADY_SIGNED_SUBJECT = "You have already signed"


def thank_you_wording(page) -> str:
    return page.locator("main").inner_text()


def test_the_browser_that_signed_is_told_it_already_signed(page, inbox, shoot):
    address = unique_email("grace")
    page.goto(DEMO_PATH)
    fill_sign_form(page, email_address=address, first_name="Grace", last_name="Hopper")
    submit_sign_form(page)
    expect(page.locator("h1")).to_have_text("Thank you for signing")

    page.goto(DEMO_PATH)
    expect(page.locator("[data-signed-notice]")).to_be_visible()
    shoot(page, "petition-signed-notice")
    fill_sign_form(page, email_address=address, first_name="Grace", last_name="Hopper")
    submit_sign_form(page)
    expect(page.locator("h1")).to_have_text("You have already signed this petition")
    shoot(page, "already-signed")
    assert Signature.objects.filter(email=address).count() == 1
    inbox.wait_for(address, ALREADY_SIGNED_SUBJECT)


def test_another_browser_sees_only_the_neutral_answer_and_the_owner_is_emailed(
    open_page, inbox, shoot
):
    address = unique_email("katherine")
    first_browser = open_page()
    first_browser.goto(DEMO_PATH)
    fill_sign_form(first_browser, email_address=address, first_name="Katherine")
    submit_sign_form(first_browser)
    first_signer_sees = thank_you_wording(first_browser)
    assert first_signer_sees.startswith("Thank you for signing")
    inbox.wait_for(address, "Please confirm your signature")

    stranger = open_page()
    stranger.goto(DEMO_PATH)
    expect(stranger.locator("[data-csrf]")).not_to_have_value("")
    expect(stranger.locator("[data-signed-notice]")).to_be_hidden()
    fill_sign_form(stranger, email_address=address, first_name="Mallory", last_name="Stranger")
    response = submit_sign_form(stranger)
    shoot(stranger, "stranger-thanks")
    assert response.status == 200
    assert "already" not in stranger.url
    assert thank_you_wording(stranger) == first_signer_sees
    assert Signature.objects.filter(email=address).count() == 1

    message = inbox.wait_for(address, ALREADY_SIGNED_SUBJECT)
    text, html = mail_bodies(message)
    # Neither the owner's name nor the stranger's: the address is not proven to be anyone's.
    assert "Katherine" not in text + html
    assert "Mallory" not in text + html
    # Not confirmed yet: the owner gets a way to confirm.
    signature = Signature.objects.get(email=address)
    assert signature.state == Signature.State.PENDING
    assert confirm_links(text, stranger.url.split("/p/")[0])
