"""The brand page in Chromium: the live preview, the saved colour on the workspace and the
public page, and axe-core on both."""

import os
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from tests.conftest import staff_login
from tests.factories import OrganisationFactory, PetitionFactory, UserFactory

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(os.environ.get("CHORUS_SHOTS_DIR") or Path(tempfile.gettempdir(), "chorus-shots"))
PURPLE_RGB = "rgb(91, 42, 134)"


@pytest.fixture
def owner_session(transactional_db, settings, tmp_path, monkeypatch):
    from chorus import urls
    from orgs.roles import roles_ensure

    settings.MEDIA_ROOT = str(tmp_path)
    [media] = [p for p in urls.urlpatterns if str(p.pattern).startswith("media/")]
    monkeypatch.setitem(media.default_args, "document_root", str(tmp_path))
    settings.PETITION_PAGE_CACHE_SECONDS = 0
    roles_ensure()
    organisation = OrganisationFactory()
    PetitionFactory(organisation=organisation, slug="stop-face-scraping")
    owner = UserFactory(username="olive-owner", role="Owner", first_name="Olive")
    client = staff_login(Client(), owner)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def page(live_server, owner_session):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": owner_session,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.base = live_server.url
        yield page
        browser.close()


def _serious(page, exclude: str = "") -> list[str]:
    results = Axe().run(page, context={"exclude": [[exclude]]} if exclude else None)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _background(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")


def test_the_preview_follows_the_colour_and_the_saved_colour_reaches_every_page(page):
    page.goto(page.base + "/staff/organisation/")
    assert _serious(page) == []

    page.fill("#id_primary_colour", "#8a5cc0")
    expect(page.locator("#brand-check")).to_contain_text("Fails WCAG AA")
    expect(page.locator("#brand-check")).to_contain_text("#8657be")
    assert _background(page, ".brand-preview-header") == "rgb(138, 92, 192)"
    assert _background(page, ".ws-top") == "rgb(11, 93, 30)"  # nothing saved yet

    page.fill("#id_primary_colour", "#5b2a86")
    expect(page.locator("#brand-check")).to_contain_text("Passes WCAG AA")
    page.fill("#id_name", "Purple Rights")
    page.locator("button.btn", has_text="Save").click()

    expect(page.locator(".ws-msg")).to_contain_text("Saved.")
    expect(page.locator(".ws-top")).to_have_css("background-color", PURPLE_RGB)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "brand-page-1280.png"), full_page=True)

    page.goto(page.base + "/p/stop-face-scraping/")
    expect(page.locator("header.site")).to_have_css("background-color", PURPLE_RGB)
    expect(page.get_by_role("button", name="Sign the petition")).to_have_css(
        "background-color", PURPLE_RGB
    )
    assert page.get_attribute('meta[name="theme-color"]', "content") == "#5b2a86"
    assert _serious(page) == []
    page.screenshot(path=str(SHOTS / "brand-petition-1280.png"), full_page=True)


def test_a_refused_colour_is_announced_and_the_summary_takes_the_focus(page):
    page.goto(page.base + "/staff/organisation/")

    page.fill("#id_primary_colour", "#ffcc00")
    page.locator("button.btn", has_text="Save").click()

    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Try #866b00")
    expect(page.locator("#brand-check")).to_contain_text("Fails WCAG AA")
    # The sample shows the refused colour on purpose, as a picture (role="img") of what
    # the owner would get; the rest of the page is held to AA.
    assert _serious(page, exclude=".brand-preview-sample") == []


def test_a_chosen_logo_shows_before_upload_and_heads_the_public_page_after(page, tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGBA", (300, 100), (91, 42, 134, 255)).save(logo)
    page.goto(page.base + "/staff/organisation/")

    page.set_input_files("#id_logo", str(logo))
    expect(page.locator("#logo-chosen")).to_be_visible()
    page.locator("button", has_text="Upload the logo").click()

    expect(page.locator(".ws-msg")).to_contain_text("Logo saved.")
    page.goto(page.base + "/p/stop-face-scraping/")
    header_logo = page.locator("header.site img.brand-logo")
    expect(header_logo).to_have_attribute("alt", "Open Faces Alliance")
    assert header_logo.evaluate("img => img.naturalWidth") == 300
    assert _serious(page) == []
