"""The petition page in each language, in Chromium: its words, its lang, its links to the
other languages, the switcher, the browser's language as the default, and a German
signature's German email (docs/languages.md)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from petitions.models import Signature
from tests.browser.conftest import (
    DEMO_SLUG,
    fill_sign_form,
    mail_bodies,
    submit_sign_form,
    unique_email,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# language: (path, the demo's heading in it, the sign button, the locale a browser sends)
LANGUAGES = {
    "en": ("", "Stop the scraping of our photos", "Sign the petition", "en-GB"),
    "fr": ("/fr", "Stop à l’aspiration de nos photos", "Signer la pétition", "fr-FR"),
    "de": ("/de", "Stoppt das Abgreifen unserer Fotos", "Petition unterschreiben", "de-DE"),
    "es": ("/es", "Que dejen de copiar nuestras fotos", "Firmar la petición", "es-ES"),
}
_axe = Axe()


def _path(language: str) -> str:
    return f"{LANGUAGES[language][0]}/p/{DEMO_SLUG}/"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_languages_petition_page_reads_in_that_language(open_page, shoot, language):
    prefix, heading, button, locale = LANGUAGES[language]
    page = open_page(locale=locale, **PHONE)

    page.goto(_path(language))

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_contain_text(heading)
    expect(page.locator("form[data-sign-form] button[type=submit]")).to_have_text(button)
    alternates = page.locator('link[rel="alternate"][hreflang]')
    expect(alternates).to_have_count(5)
    assert sorted(alternates.evaluate_all("ls => ls.map(l => l.hreflang)")) == sorted(
        [*LANGUAGES, "x-default"]
    )
    current = page.locator("nav.languages a[aria-current=page]")
    expect(current).to_have_attribute("hreflang", language)
    # The count the script refreshes keeps the page's words.
    expect(page.locator("[data-count-label]")).to_have_text(
        page.locator("[data-count-label]").get_attribute("data-other")
    )
    serious = [
        f"{v['id']}: {v['help']}"
        for v in _axe.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    shoot(page, f"phone-{language}")


def test_the_switcher_goes_to_the_same_page_in_another_language_and_is_remembered(open_page):
    page = open_page(locale="fr-FR")

    page.goto(f"/p/{DEMO_SLUG}/")  # a French browser's first visit
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith(f"/fr/p/{DEMO_SLUG}/")

    page.click('nav.languages a[hreflang="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith(f"/p/{DEMO_SLUG}/") and "/fr/" not in page.url
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == "en"

    # Later, a link from an email or elsewhere: the choice holds.
    page.goto(f"/p/{DEMO_SLUG}/?ch=email")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.click('nav.languages a[hreflang="de"]')
    expect(page.locator("html")).to_have_attribute("lang", "de")
    # (A new address: the English page this browser holds for PETITION_PAGE_MAX_AGE
    # seconds would be shown from its own cache without asking.)
    page.goto(f"/p/{DEMO_SLUG}/?ch=link")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert page.url.endswith(f"/de/p/{DEMO_SLUG}/?ch=link")


def test_signing_on_the_german_page_is_stored_in_german_and_mailed_in_german(open_page, inbox):
    page = open_page(locale="de-DE")
    address = unique_email("greta")

    page.goto(_path("de"))
    fill_sign_form(page, email_address=address, first_name="Greta", country="DE")
    submit_sign_form(page)

    expect(page.locator("h1")).to_have_text("Danke für Ihre Unterschrift")
    assert page.url.endswith(f"/de/p/{DEMO_SLUG}/thanks/")
    assert Signature.objects.get(email=address).language == "de-DE"
    message = inbox.wait_for(address, subject_contains="Bitte bestätigen Sie Ihre Unterschrift")
    text, html = mail_bodies(message)
    assert "Stoppt das Abgreifen unserer Fotos" in str(message["Subject"])
    assert "Guten Tag," in text and "/de/c/" in text
    assert 'lang="de"' in html
