"""On a phone, the ask, the count and the start of the form show without scrolling."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from petitions.models import Petition, Signature
from tests.browser.conftest import COUNT_TIMEOUT, DEMO_PATH, expect_after_reload, unique_email
from tests.factories import SignatureFactory

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

# The longest German place-name-like word a signer might type, with no place to break.
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft"

# Elements that reach past the right edge: whatever makes a phone scroll sideways.
WIDER_THAN_SCREEN = """() => Array.from(document.querySelectorAll("body *"))
    .filter((element) => element.getBoundingClientRect().right > 390)
    .map((element) => element.tagName + "." + element.className + ": "
        + element.textContent.trim().slice(0, 60))"""


def test_on_a_phone_the_ask_the_count_and_the_first_field_show_without_scrolling(open_page, shoot):
    SignatureFactory(
        petition=Petition.objects.get(slug="stop-face-scraping"),
        email=unique_email("long"),
        first_name=LONG_NAME,
        state=Signature.State.CONFIRMED,
        confirmed_at=timezone.now(),
        show_name=True,
        count_dirty=True,
    )
    phone = open_page(**PHONE)
    phone.goto(DEMO_PATH)
    recent = phone.get_by_text(LONG_NAME)
    expect_after_reload(phone, lambda: expect(recent).to_be_attached(timeout=3_000), COUNT_TIMEOUT)
    expect(phone.locator("[data-csrf]")).not_to_have_value("")
    phone.screenshot(path=str(shoot.directory / "phone--first-screen.png"))
    shoot(phone, "whole-page")

    assert phone.evaluate("window.scrollY") == 0
    for selector in ("h1", "[data-count]", "label[for=id_first_name]", "#id_first_name"):
        box = phone.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not rendered"
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, f"{selector} at {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{selector} at {box}"
    too_wide = phone.evaluate(WIDER_THAN_SCREEN)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, too_wide
