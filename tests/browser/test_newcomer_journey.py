"""A newcomer opens the demo petition, signs, confirms by email and sees the count rise."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from petitions.models import Signature
from tests.browser.conftest import (
    DEMO_PATH,
    confirm_links,
    displayed_count,
    expect_count_after_reload,
    fill_sign_form,
    mail_bodies,
    submit_sign_form,
    unique_email,
    wait_for_counts_settled,
)

pytestmark = pytest.mark.browser

SHARE_CHANNELS = {
    "Facebook": "facebook",
    "X": "x",
    "WhatsApp": "whatsapp",
    "Telegram": "telegram",
    "Email": "email",
    "Copy link": "link",
}


def channel_tag(href: str) -> str:
    """The ch= tag of the petition URL a share link carries, wherever it sits in the link."""
    query = parse_qs(urlsplit(href).query)
    for values in query.values():
        for value in values:
            for word in value.split():
                if DEMO_PATH in word:
                    return parse_qs(urlsplit(word).query)["ch"][0]
    if href.startswith("mailto:"):
        return channel_tag("?body=" + parse_qs(urlsplit(href).query)["body"][0].split()[-1])
    return parse_qs(urlsplit(href).query).get("ch", [""])[0]


def test_a_newcomer_signs_confirms_by_email_and_sees_the_count_rise(page, live_app, inbox, shoot):
    address = unique_email("ada")
    wait_for_counts_settled()
    page.goto(DEMO_PATH)
    shoot(page, "petition")
    expect(page.locator("h1")).to_have_text("Stop the scraping of our photos for face recognition")
    expect(page.locator(".petition-head .to")).to_contain_text("PhotoCircle, the social network")
    count_before = displayed_count(page)

    fill_sign_form(page, email_address=address)
    response = submit_sign_form(page)
    assert response.status == 200
    assert urlsplit(page.url).path == f"{DEMO_PATH}thanks/"
    expect(page.locator("h1")).to_have_text("Thank you for signing")
    expect(page.locator(".lead")).to_contain_text(re.compile("check your inbox", re.I))
    shoot(page, "thanks")

    share_list = page.get_by_role("list", name="Share this petition")
    expect(share_list.get_by_role("link")).to_have_count(len(SHARE_CHANNELS))
    for label, channel in SHARE_CHANNELS.items():
        link = share_list.get_by_role("link", name=re.compile(rf"\b{label}\b"))
        href = link.get_attribute("href")
        assert channel_tag(href) == channel, f"{label}: {href}"

    message = inbox.wait_for(address, "Please confirm your signature")
    assert message["Subject"] == (
        "Please confirm your signature: Stop the scraping of our photos for face recognition"
    )
    text, html = mail_bodies(message)
    # Greeted without a name: whoever typed the address may not be its owner.
    assert text.startswith("Hello,") and not re.search(r"\bAda\b", text)
    assert "Hello," in html and not re.search(r"\bAda\b", html)
    [link] = confirm_links(text, live_app.url)
    assert link in confirm_links(html, live_app.url)

    signature = Signature.objects.get(email=address)
    assert signature.state == Signature.State.PENDING
    page.goto(link)
    shoot(page, "confirm-button")
    expect(page.locator("h1")).to_have_text("Confirm your signature")
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING, "a GET alone must not confirm"

    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator("h1")).to_have_text("Your signature is confirmed")
    shoot(page, "confirmed")
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED

    page.get_by_role("link", name="See the petition").click()
    expect_count_after_reload(page, count_before + 1)
    shoot(page, "petition-counted")

    page.goto(link)
    expect(page.locator("h1")).to_have_text("This link no longer works")
