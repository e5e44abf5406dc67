"""A German signer of a petition that asks no confirmation confirms their opt-in by email."""

import re

import pytest
from playwright.sync_api import expect

from members.models import Member
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

OPTIN_SUBJECT = "Do you want email from"


@pytest.fixture
def unconfirmed_petition():
    organisation = Petition.objects.get(slug=DEMO_SLUG).organisation
    return PetitionFactory(
        organisation=organisation, slug="optin-no-confirmation", require_confirmation=False
    )


def test_a_german_signer_follows_the_optin_link_and_presses_the_button(
    page, inbox, live_app, shoot, unconfirmed_petition
):
    address = unique_email("ada")
    page.goto(unconfirmed_petition.get_absolute_url())
    fill_sign_form(page, email_address=address, country="DE")
    page.check("#id_opt_in")
    submit_sign_form(page)

    text, _ = mail_bodies(inbox.wait_for(address, OPTIN_SUBJECT))
    [link] = re.findall(re.escape(live_app.url) + r"/m/opt-in/[^/\s]+/", text)
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("Do you want email from")
    assert Member.objects.get(email=address).status == Member.Status.PENDING
    shoot(page, "optin-question")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, email me").click()

    expect(page.locator("h1")).to_have_text("You are subscribed")
    shoot(page, "optin-subscribed")
    assert Member.objects.get(email=address).status == Member.Status.SUBSCRIBED
