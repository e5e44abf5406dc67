"""The embeddable widget inside another site's page: a plain page served from another
port and host name (another origin, and another site for cookies), pasting the snippet
the Embed tab gives, signed through in Chromium."""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from partners.models import Partner
from petitions.models import Petition, Signature
from staff.views.petition_embed import FALLBACK_HEIGHT, embed_snippet
from tests.browser.conftest import DEMO_SLUG, staff_sign_in, unique_email
from tests.browser.test_axe import Audit, _demo_login

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Green News: a partner's page</title></head>
<body style="font-family: Georgia, serif; margin: 0 auto; max-width: 44rem; padding: 1rem">
<h1>Green News</h1>
<p>Our partners at Open Faces are asking the council to stop scraping photos. Sign below.</p>
{snippet}
<p id="after">The rest of the article, after the widget.</p>
</body></html>
"""


class _HostPage(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@pytest.fixture
def partner() -> Iterator[Partner]:
    petition = Petition.objects.get(slug=DEMO_SLUG)
    partner = Partner.objects.create(
        organisation=petition.organisation, name="Green News", slug="green-news-browser"
    )
    yield partner
    Signature.objects.filter(partner=partner).update(partner=None)
    partner.delete()


@pytest.fixture
def host_url(live_app, partner) -> Iterator[str]:
    """The partner's page, from another origin: localhost rather than 127.0.0.1, so the
    browser treats the widget as a third-party frame (no SameSite cookie goes to it)."""
    petition = Petition.objects.get(slug=DEMO_SLUG)
    with override_settings(BASE_URL=live_app.url):
        snippet = embed_snippet(petition, partner)
    handler = type("HostPage", (_HostPage,), {"body": HOST_PAGE.format(snippet=snippet).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _frame_height(page) -> int:
    return page.locator("iframe[data-chorus-embed]").evaluate("f => f.clientHeight")


def _fits(page) -> bool:
    """The frame is as tall as the widget's document: nothing to scroll inside it."""
    return (
        page.frame_locator("iframe[data-chorus-embed]")
        .locator("html")
        .evaluate("html => html.scrollHeight <= window.innerHeight + 1")
    )


def _shoot_whole(page, shoot, name: str) -> None:
    """A full-page shot paints a frame only where the viewport was: make the viewport the
    whole page for the shot, then put it back."""
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(200)
    shoot(page, name)
    page.set_viewport_size(size)


def test_a_visitor_signs_through_the_widget_on_a_partners_page(
    open_page, host_url, shoot, partner
):
    page = open_page(viewport={"width": 600, "height": 900})
    page.goto(host_url)
    frame_element = page.locator("iframe[data-chorus-embed]")
    expect(frame_element).to_have_attribute("data-chorus-height", re.compile(r"\d+"))
    widget = page.frame_locator("iframe[data-chorus-embed]")
    expect(widget.locator("h1")).to_contain_text("Stop")
    form_height = _frame_height(page)
    assert form_height != FALLBACK_HEIGHT and _fits(page)
    shoot(page, "widget-600")

    address = unique_email("widget")
    widget.locator("#id_first_name").fill("Ada")
    widget.locator("#id_last_name").fill("Lovelace")
    widget.locator("#id_email").fill(address)
    widget.locator("#id_country").select_option("GB")
    widget.get_by_role("button", name="Sign the petition").click()

    expect(widget.locator("h1")).to_have_text("Thank you for signing")
    expect(frame_element).not_to_have_attribute("data-chorus-height", str(form_height))
    assert _frame_height(page) < form_height and _fits(page)
    shoot(page, "widget-thanks-600")
    signature = Signature.objects.get(email=address)
    assert (signature.channel, signature.partner_id) == ("widget", partner.pk)
    # Nothing was set in the visitor's browser, for Chorus's origin or any other.
    assert page.context.cookies() == []


def test_the_widget_fits_a_phone_and_errors_show_inside_it(open_page, host_url, shoot):
    page = open_page(viewport={"width": 320, "height": 640}, is_mobile=True)
    page.goto(host_url)
    widget = page.frame_locator("iframe[data-chorus-embed]")
    expect(page.locator("iframe[data-chorus-embed]")).to_have_attribute(
        "data-chorus-height", re.compile(r"\d+")
    )
    assert _fits(page)
    before = _frame_height(page)
    _shoot_whole(page, shoot, "widget-320")

    widget.locator("#id_email").fill("not an address")
    widget.get_by_role("button", name="Sign the petition").click()

    expect(widget.locator("[data-error-summary]")).to_contain_text("Please correct")
    expect(widget.locator("#id_email_error")).to_be_visible()
    # The summary and the messages make the widget taller: the frame follows.
    page.wait_for_function(
        f"() => document.querySelector('iframe[data-chorus-embed]').clientHeight > {before}"
    )
    assert _fits(page)
    _shoot_whole(page, shoot, "widget-errors-320")


def test_only_chorus_may_resize_the_frame(open_page, host_url):
    page = open_page()
    page.goto(host_url)
    frame_element = page.locator("iframe[data-chorus-embed]")
    expect(frame_element).to_have_attribute("data-chorus-height", re.compile(r"\d+"))
    before = _frame_height(page)

    # A message from the partner's own origin (or any script there) claiming to be Chorus.
    page.evaluate("window.postMessage({type: 'chorus:embed-height', height: 150}, '*')")
    page.wait_for_timeout(300)

    assert _frame_height(page) == before


def test_without_javascript_the_widget_keeps_its_fixed_height_and_still_signs(
    open_page, host_url, partner
):
    page = open_page(java_script_enabled=False)
    page.goto(host_url)
    widget = page.frame_locator("iframe[data-chorus-embed]")
    expect(widget.locator("h1")).to_contain_text("Stop")
    assert _frame_height(page) == FALLBACK_HEIGHT

    address = unique_email("no-script")
    widget.locator("#id_first_name").fill("Grace")
    widget.locator("#id_last_name").fill("Hopper")
    widget.locator("#id_email").fill(address)
    widget.locator("#id_country").select_option("FR")
    widget.get_by_role("button", name="Sign the petition").click()

    expect(widget.locator("h1")).to_have_text("Thank you for signing")
    signature = Signature.objects.get(email=address)
    assert (signature.channel, signature.partner_id) == ("widget", partner.pk)


def test_the_widget_has_no_serious_accessibility_violation(page):
    audit = Audit()
    embed = f"/p/{DEMO_SLUG}/embed/"
    page.goto(embed)
    audit.page(page, "widget")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Sign the petition").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    audit.page(page, "widget with errors")
    page.goto(embed + "thanks/")
    audit.page(page, "widget thanks")
    audit.assert_clean()


def test_the_embed_tab_gives_the_code_to_copy_and_a_live_preview(
    live_app, open_page, partner, shoot
):
    owner = _demo_login(live_app, "owner")
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    staff_sign_in(
        page, username=owner["username"], password=owner["password"], secret=owner["secret"]
    )
    petition = Petition.objects.get(slug=DEMO_SLUG)
    page.goto(f"/staff/petitions/{petition.pk}/embed/")
    page.get_by_label("Partner", exact=True).select_option(partner.slug)
    page.get_by_role("button", name="Show the code").click()

    snippet = page.get_by_label("Copy this and send it to the partner")
    expect(snippet).to_have_value(re.compile(rf"embed/\?partner={partner.slug}"))
    page.get_by_role("button", name="Copy the code").click()
    expect(page.locator("[data-copy-status]")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == snippet.input_value()
    preview = page.locator("iframe.embed-preview")
    expect(preview).to_have_attribute("data-chorus-height", re.compile(r"\d+"))
    _shoot_whole(page, shoot, "embed-tab-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _shoot_whole(page, shoot, "embed-tab-390")
