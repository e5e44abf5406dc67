"""Signing twice: only a browser that proved it owns the address is told it signed;
anyone else, the signer's own browser included, sees the answer a first signature gets."""

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

CONFIRM_SUBJECT = "Please confirm your signature"


def thank_you_wording(page) -> str:
    return page.locator("main").inner_text()


def test_the_browser_that_confirmed_is_told_it_already_signed(page, inbox, live_app, shoot):
    address = unique_email("grace")
    page.goto(DEMO_PATH)
    fill_sign_form(page, email_address=address, first_name="Grace", last_name="Hopper")
    submit_sign_form(page)
    expect(page.locator("h1")).to_have_text("Thank you for signing")
    first_answer = thank_you_wording(page)

    # Signing again before confirming: the same answer, as anyone would get. The page
    # shows "check your inbox" from this browser's own memory of its thank-you page.
    page.goto(DEMO_PATH)
    expect(page.locator("[data-signed-when=pending]")).to_be_visible()
    fill_sign_form(page, email_address=address, first_name="Grace", last_name="Hopper")
    submit_sign_form(page)
    assert thank_you_wording(page) == first_answer

    text, _ = mail_bodies(inbox.wait_for(address, CONFIRM_SUBJECT))
    [link] = confirm_links(text, live_app.url)
    page.goto(link)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator("h1")).to_have_text("Your signature is confirmed")

    page.goto(DEMO_PATH)
    expect(page.locator("[data-signed-when=confirmed]")).to_be_visible()
    shoot(page, "petition-signed-notice")
    fill_sign_form(page, email_address=address, first_name="Grace", last_name="Hopper")
    submit_sign_form(page)
    expect(page.locator("h1")).to_have_text("You have already signed this petition")
    shoot(page, "already-signed")
    assert Signature.objects.filter(email=address).count() == 1


def test_another_browser_sees_only_the_neutral_answer(open_page, inbox, shoot):
    address = unique_email("katherine")
    first_browser = open_page()
    first_browser.goto(DEMO_PATH)
    fill_sign_form(first_browser, email_address=address, first_name="Katherine")
    submit_sign_form(first_browser)
    first_signer_sees = thank_you_wording(first_browser)
    assert first_signer_sees.startswith("Thank you for signing")
    inbox.wait_for(address, CONFIRM_SUBJECT)

    stranger = open_page()
    stranger.goto(DEMO_PATH)
    expect(stranger.locator("[data-csrf]")).not_to_have_value("")
    expect(stranger.locator("[data-signed-state]")).to_be_hidden()
    fill_sign_form(stranger, email_address=address, first_name="Mallory", last_name="Stranger")
    response = submit_sign_form(stranger)
    shoot(stranger, "stranger-thanks")
    assert response.status == 200
    assert stranger.url == first_browser.url
    assert thank_you_wording(stranger) == first_signer_sees
    assert Signature.objects.filter(email=address).count() == 1
    assert Signature.objects.get(email=address).first_name == "Katherine"
