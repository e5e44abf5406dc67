"""The public petition page as people see it: the phone's first screen, and a signer's state."""

import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from petitions.models import Petition
from tests.browser.conftest import (
    COUNT_TIMEOUT,
    DEMO_PATH,
    DEMO_SLUG,
    confirm_links,
    expect_after_reload,
    fill_sign_form,
    mail_bodies,
    submit_sign_form,
    unique_email,
)

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
CONFIRM_SUBJECT = "Please confirm your signature"

# Every layout shift the page has had since it started loading, added up (CLS).
LAYOUT_SHIFT = """() => new Promise((done) => {
    let total = 0;
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
    requestAnimationFrame(() => requestAnimationFrame(() => done(total)));
})"""


@pytest.fixture
def petition_with_image(live_app):
    """The demo petition with a landscape photo, stored where the servers keep media."""
    picture = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 120, 70)).save(picture, "JPEG", quality=70)
    stored = Path(live_app.log_dir, "media", "petitions", "first-screen.jpg")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(picture.getvalue())
    petitions = Petition.objects.filter(slug=DEMO_SLUG)
    before = petitions.values_list("image", "image_alt").get()
    petitions.update(image="petitions/first-screen.jpg", image_alt="A green field")
    yield
    petitions.update(image=before[0], image_alt=before[1])


def _top(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box["y"]


def test_on_a_phone_the_image_follows_the_ask_and_the_count_and_form_stay_on_screen(
    open_page, petition_with_image, shoot
):
    phone = open_page(**PHONE)
    phone.goto(DEMO_PATH)
    image = phone.locator(".petition-image img")
    expect_after_reload(phone, lambda: expect(image).to_be_attached(timeout=3_000), COUNT_TIMEOUT)
    expect(phone.locator("[data-csrf]")).not_to_have_value("")
    phone.evaluate("document.fonts.ready.then(() => true)")
    shoot(phone, "phone-first-screen")

    order = [".petition-head .to", "h1", ".petition-image img", "[data-count]", "[data-bar]"]
    order += ["label[for=id_first_name]", "#id_first_name"]
    tops = [_top(phone, selector) for selector in order]
    assert tops == sorted(tops), dict(zip(order, tops, strict=True))
    for selector in ("[data-count]", "[data-bar]", "#id_first_name"):
        box = phone.locator(selector).bounding_box()
        assert box["y"] + box["height"] <= 844, f"{selector} below the first screen: {box}"
    picture = image.bounding_box()
    assert picture["height"] == pytest.approx(picture["width"] / 2, abs=1.5), "compact, fixed"
    assert phone.evaluate(LAYOUT_SHIFT) < 0.01


def test_on_a_desktop_the_image_is_on_the_first_screen_beside_the_form(
    open_page, petition_with_image
):
    desktop = open_page(viewport={"width": 1280, "height": 800})
    desktop.goto(DEMO_PATH)
    image = desktop.locator(".petition-image img")
    expect_after_reload(
        desktop, lambda: expect(image).to_be_attached(timeout=3_000), COUNT_TIMEOUT
    )

    picture = image.bounding_box()
    form = desktop.locator(".sign").bounding_box()
    assert picture["y"] < 800 - 150, "most of the image shows without scrolling"
    assert picture["x"] + picture["width"] <= form["x"], "the image sits left of the form"
    assert desktop.evaluate(LAYOUT_SHIFT) < 0.01


def test_a_signer_sees_their_state_in_place_of_the_form_and_a_stranger_the_form(
    open_page, inbox, live_app, shoot
):
    address = unique_email("signer-state")
    signer = open_page(**PHONE)
    signer.goto(DEMO_PATH)
    fill_sign_form(signer, email_address=address, first_name="Rosalind")
    submit_sign_form(signer)
    expect(signer.locator("h1")).to_have_text("Thank you for signing")

    signer.goto(DEMO_PATH)
    expect(signer.locator("[data-signed-when=pending]")).to_be_visible()
    expect(signer.get_by_text("Check your inbox to confirm.")).to_be_visible()
    expect(signer.locator("[data-sign-form]")).to_be_hidden()
    expect(signer.get_by_role("link", name="WhatsApp")).to_be_visible()
    shoot(signer, "signed-pending")

    text, _ = mail_bodies(inbox.wait_for(address, CONFIRM_SUBJECT))
    [link] = confirm_links(text, live_app.url)
    signer.goto(link)
    with signer.expect_navigation():
        signer.get_by_role("button", name="Confirm my signature").click()
    signer.goto(DEMO_PATH)
    expect(signer.locator("[data-signed-when=confirmed]")).to_be_visible()
    expect(signer.get_by_text("Confirmed — thank you.")).to_be_visible()
    expect(signer.locator("[data-sign-form]")).to_be_hidden()
    shoot(signer, "signed-confirmed")

    stranger = open_page(**PHONE)
    stranger.goto(DEMO_PATH)
    expect(stranger.locator("[data-csrf]")).not_to_have_value("")
    expect(stranger.locator("[data-signed-state]")).to_be_hidden()
    expect(stranger.locator("[data-sign-form]")).to_be_visible()


def test_a_signer_can_still_sign_with_another_address(open_page):
    signer = open_page()
    signer.goto(DEMO_PATH)
    fill_sign_form(signer, email_address=unique_email("first"))
    submit_sign_form(signer)
    signer.goto(DEMO_PATH)
    expect(signer.locator("[data-signed-state]")).to_be_visible()

    signer.get_by_role("button", name="Sign with another email address").click()

    expect(signer.locator("[data-sign-form]")).to_be_visible()
    expect(signer.locator("#id_first_name")).to_be_focused()


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_nothing_serious_on_the_page_the_form_or_the_signers_state(
    open_page, petition_with_image
):
    phone = open_page(**PHONE)
    phone.goto(DEMO_PATH)
    expect(phone.locator("[data-csrf]")).not_to_have_value("")
    stranger_view = _serious(phone)
    fill_sign_form(phone, email_address=unique_email("axe"))
    submit_sign_form(phone)
    thanks = _serious(phone)
    phone.goto(DEMO_PATH)
    expect(phone.locator("[data-signed-state]")).to_be_visible()

    assert (stranger_view, thanks, _serious(phone)) == ([], [], [])
