"""The sign form can be filled in and sent with the keyboard alone."""

import pytest
from playwright.sync_api import expect

from petitions.models import Signature
from tests.browser.conftest import DEMO_PATH, unique_email

pytestmark = pytest.mark.browser

# The order a keyboard user meets the form's controls in, one Tab apart.
FORM_ORDER = [
    "id_first_name",
    "id_last_name",
    "id_email",
    "id_country",
    "id_postcode",
    "id_comment",
    "id_show_name",
    "id_opt_in",
]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_the_form_can_be_filled_and_sent_with_the_keyboard_alone(page, shoot):
    address = unique_email("keys")
    page.goto(DEMO_PATH)
    expect(page.locator("[data-csrf]")).not_to_have_value("")

    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_id(page) == FORM_ORDER[0]:
            break
    assert focused_id(page) == FORM_ORDER[0], "Tab never reached the first field"

    typed = {
        "id_first_name": "Hedy",
        "id_last_name": "Lamarr",
        "id_email": address,
        "id_country": "Germany",
        "id_postcode": "10115",
        "id_comment": "Typed, not clicked.",
    }
    for field_id in FORM_ORDER:
        assert focused_id(page) == field_id
        if field_id == "id_show_name":
            page.keyboard.press("Space")
        elif field_id in typed:
            page.keyboard.type(typed[field_id])
        page.keyboard.press("Tab")

    submit = page.locator("form[data-sign-form] button[type=submit]")
    expect(submit).to_be_focused()
    shoot(page, "before-enter")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Thank you for signing")

    signature = Signature.objects.get(email=address)
    assert (signature.first_name, signature.last_name) == ("Hedy", "Lamarr")
    assert signature.country == "DE"
    assert signature.postcode == "10115"
    assert signature.comment == "Typed, not clicked."
    assert signature.show_name is True
    assert signature.opt_in is False
