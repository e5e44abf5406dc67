"""The petition page talks to no one but Chorus, and is the same page for everyone."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PATH, wait_for_counts_settled

pytestmark = pytest.mark.browser


def test_the_petition_page_makes_no_request_to_any_other_host(page, live_app):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(DEMO_PATH, wait_until="networkidle")
    expect(page.locator("[data-csrf]")).not_to_have_value("")

    app = urlsplit(live_app.url)
    assert requested, "no requests were recorded"
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme not in {"data", "blob"}
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (app.scheme, app.netloc)
    ]
    assert elsewhere == []
    paths = {urlsplit(url).path for url in requested}
    assert f"{DEMO_PATH}me.json" in paths, "the per-visitor state comes from Chorus itself"


def test_two_visitors_get_the_same_petition_page_html(open_page):
    wait_for_counts_settled()
    visitors = [
        open_page(locale="en-GB", user_agent="Mozilla/5.0 (X11; Linux x86_64) First/1.0"),
        # The same language, so the same address (a browser preferring German is sent to
        # /de/ once: tests/browser/test_languages.py), from another country and device.
        open_page(locale="en-US", user_agent="Mozilla/5.0 (Android 14) Second/2.0"),
    ]
    pages = []
    for visitor in visitors:
        response = visitor.goto(DEMO_PATH + "?ch=whatsapp" if pages else DEMO_PATH)
        assert response.status == 200
        assert "set-cookie" not in response.headers, "the cacheable page sets no cookie"
        pages.append(response.text())
    assert pages[0] == pages[1]
    # What differs per visitor is filled in by the page's script.
    expect(visitors[1].locator("[data-channel]")).to_have_value("whatsapp")
    expect(visitors[1].locator("[data-country]")).to_have_value("US")
    expect(visitors[0].locator("[data-country]")).to_have_value("GB")
