"""Hostile and malformed input typed into the real form: a clear error, no row, no script."""

import re

import pytest
from playwright.sync_api import expect

from petitions.models import Signature
from tests.browser.conftest import (
    COUNT_TIMEOUT,
    DEMO_PATH,
    confirm_links,
    expect_after_reload,
    fill_sign_form,
    submit_sign_form,
    unique_email,
)

pytestmark = pytest.mark.browser

SET_VALUE = """([selector, value]) => {
    const field = document.querySelector(selector);
    field.removeAttribute("maxlength");
    field.value = value;
}"""

HOSTILE = [
    pytest.param("first_name", "<script>alert('first')</script>", id="script-tag-in-first-name"),
    pytest.param("last_name", '"><img src=x onerror=alert(1)>', id="markup-in-last-name"),
    pytest.param("comment", "<svg onload=alert(document.cookie)>", id="markup-in-comment"),
    pytest.param("first_name", "A" * 10_000, id="10000-character-first-name"),
    pytest.param("last_name", "B" * 10_000, id="10000-character-last-name"),
    pytest.param("email", "not-an-email", id="email-without-at"),
    pytest.param("email", "ada@example..org", id="email-with-empty-label"),
    pytest.param("email", "ada@exa mple.org", id="email-with-space"),
    pytest.param("first_name", "Ada\x00Lovelace", id="nul-byte-in-first-name"),
    pytest.param("email", "ada\x00@example.org", id="nul-byte-in-email"),
    pytest.param("postcode", "=1+1", id="formula-in-postcode"),
    pytest.param("last_name", "\u202eecalevoL", id="bidi-override-in-last-name"),
    pytest.param("first_name", "A\u200bda", id="zero-width-space-in-first-name"),
    pytest.param("comment", "Fine\n\u2067reversed\u2069", id="bidi-isolate-in-comment"),
    pytest.param("email", "zoë@example.org", id="email-the-mailer-cannot-deliver"),
]


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_hostile_input_gets_a_clear_error_beside_the_field_and_adds_nothing(
    page, field, value, shoot
):
    page.goto(DEMO_PATH)
    fill_sign_form(page, email_address=unique_email("hostile"))
    page.evaluate(SET_VALUE, [f"#id_{field}", value])
    rows_before = Signature.objects.count()

    response = submit_sign_form(page)

    shoot(page, "error")
    assert response.status == 400
    expect(page.locator(f"#id_{field}")).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#id_{field}_error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator(f"#id_{field}")).to_have_attribute(
        "aria-describedby", re.compile(rf"\bid_{field}_error\b")
    )
    expect(page.get_by_role("alert")).to_be_visible()
    assert Signature.objects.count() == rows_before


def test_a_name_in_another_encoding_is_refused_as_broken_utf8(page, shoot):
    """A form sent as windows-1252 arrives as bytes that are not UTF-8."""
    page.goto(DEMO_PATH)
    fill_sign_form(page, email_address=unique_email("zoe"), first_name="Zoë")
    page.evaluate("document.querySelector('[data-sign-form]').acceptCharset = 'windows-1252'")
    rows_before = Signature.objects.count()

    response = submit_sign_form(page)

    shoot(page, "error")
    assert response.status == 400
    expect(page.locator("#id_first_name_error")).to_be_visible()
    assert Signature.objects.count() == rows_before


def test_a_formula_looking_name_is_stored_as_typed_and_shown_as_text(
    open_page, live_app, inbox, shoot
):
    name = '=HYPERLINK("https://evil.example/","Tom &amp; Jerry")'
    address = unique_email("formula")
    signer = open_page()
    signer.goto(DEMO_PATH)
    fill_sign_form(signer, email_address=address, first_name=name, show_name=True)
    submit_sign_form(signer)
    expect(signer.locator("h1")).to_have_text("Thank you for signing")
    assert Signature.objects.get(email=address).first_name == name

    [link] = confirm_links(
        inbox.wait_for(address, "confirm").get_body(("plain",)).get_content(), live_app.url
    )
    signer.goto(link)
    signer.get_by_role("button", name="Confirm my signature").click()
    expect(signer.locator("h1")).to_have_text("Your signature is confirmed")

    visitor = open_page()
    visitor.goto(DEMO_PATH)
    # The page may be cached for a few seconds; reload until the new signer shows.
    shown = visitor.get_by_role("region", name="Recent signers").get_by_text(
        re.compile(re.escape(name) + r" L\.")
    )
    expect_after_reload(visitor, lambda: expect(shown).to_be_visible(timeout=3_000), COUNT_TIMEOUT)
    expect(shown).to_have_count(1)
    expect(visitor.locator("a[href^='https://evil.example']")).to_have_count(0)
    shoot(visitor, "recent-signers")
