"""On a phone, the ask, the count and the start of the form show without scrolling."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PATH

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def test_on_a_phone_the_ask_the_count_and_the_first_field_show_without_scrolling(open_page, shoot):
    phone = open_page(**PHONE)
    phone.goto(DEMO_PATH)
    expect(phone.locator("[data-csrf]")).not_to_have_value("")
    phone.screenshot(path=str(shoot.directory / "phone--first-screen.png"))
    shoot(phone, "whole-page")

    assert phone.evaluate("window.scrollY") == 0
    for selector in ("h1", "[data-count]", "label[for=id_first_name]", "#id_first_name"):
        box = phone.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not rendered"
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, f"{selector} at {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{selector} at {box}"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "sideways scrolling"
