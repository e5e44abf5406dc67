"""The public templates: WCAG 2.1 AA basics the pages promise, checked on the HTML itself.

The palette's contrast, labelled inputs, errors tied to their fields, no inline
styles or third-party resources (the CSP allows only 'self'), and error pages
that render without a request or a database.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tests.conftest import sign_data

CSS = Path(settings.BASE_DIR) / "static" / "chorus" / "chorus.css"

# (foreground, background, minimum): text needs 4.5:1, borders and bars 3:1.
PALETTE_PAIRS = [
    ("--ink", "--bg", 4.5),
    ("--ink", "--soft", 4.5),
    ("--muted", "--bg", 4.5),
    ("--muted", "--soft", 4.5),
    ("--brand", "--bg", 4.5),
    ("--brand", "--soft", 4.5),
    ("--on-brand", "--brand", 4.5),
    ("--on-brand", "--brand-dark", 4.5),
    ("--error", "--bg", 4.5),
    ("--error", "--soft", 4.5),
    ("--victory-ink", "--victory-bg", 4.5),
    ("--ink", "--closed-bg", 4.5),
    ("--ink", "--preview-bg", 4.5),
    ("--focus-ink", "--focus", 4.5),
    ("--line", "--bg", 3.0),
    ("--brand", "--track", 3.0),
]


def _palette() -> dict[str, str]:
    root = re.search(r":root\s*{([^}]*)}", CSS.read_text()).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})", root))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted([_luminance(first), _luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


class _Page(HTMLParser):
    """Collects the elements the checks need, with their attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.elements if name == tag]

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.elements if "id" in attrs}


def _petition_html(client, petition) -> str:
    return client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()


@pytest.mark.parametrize(("foreground", "background", "minimum"), PALETTE_PAIRS)
def test_its_palette_meets_wcag_aa_contrast(foreground, background, minimum):
    palette = _palette()

    ratio = contrast(palette[foreground], palette[background])

    assert ratio >= minimum, f"{foreground} on {background}: {ratio:.2f}:1"


@pytest.mark.django_db
def test_the_petition_page_has_a_language_a_skip_link_and_no_inline_style(public_client, petition):
    html = _petition_html(public_client, petition)
    page = _Page(html)

    assert page.all("html")[0]["lang"]
    assert any(a.get("href") == "#main" for a in page.all("a"))
    assert "main" in page.ids()
    assert not any("style" in attrs for _, attrs in page.elements), "the CSP blocks style=''"
    assert "<script>" not in html, "the CSP blocks inline scripts"
    assert not any(name.startswith("on") for _, attrs in page.elements for name in attrs)


@pytest.mark.django_db
def test_the_petition_page_loads_nothing_from_elsewhere(public_client, petition):
    page = _Page(_petition_html(public_client, petition))

    loaded = [a["src"] for a in page.all("script") + page.all("img")]
    loaded += [a["href"] for a in page.all("link") if a.get("rel") in {"stylesheet", "icon"}]
    assert loaded
    assert all(url.startswith("/") and not url.startswith("//") for url in loaded), loaded


@pytest.mark.django_db
def test_every_input_a_person_fills_in_has_a_label(public_client, petition):
    page = _Page(_petition_html(public_client, petition))

    labelled = {attrs.get("for") for attrs in page.all("label")}
    controls = page.all("input") + page.all("select") + page.all("textarea")
    visible = [c for c in controls if c.get("type") != "hidden"]
    assert {c["id"] for c in visible} >= {"id_first_name", "id_email", "id_country", "id_opt_in"}
    assert all(c["id"] in labelled for c in visible)


@pytest.mark.django_db
def test_the_honeypot_is_out_of_reach_of_keyboards_and_screen_readers(public_client, petition):
    html = _petition_html(public_client, petition)

    [honeypot] = [c for c in _Page(html).all("input") if c.get("name") == "website"]
    assert honeypot["tabindex"] == "-1"
    assert honeypot["autocomplete"] == "off"
    assert re.search(r'<div class="hp" aria-hidden="true">\s*<label for="id_website">', html)


@pytest.mark.django_db
def test_the_thermometer_width_is_a_class_not_a_style(public_client, petition):
    page = _Page(_petition_html(public_client, petition))

    [fill] = [a for a in page.all("span") if "data-bar-fill" in a]
    assert re.fullmatch(r"w-(\d|[1-9]\d|100)", fill["class"])
    assert ".w-100 { width: 100%; }" in CSS.read_text()


@pytest.mark.django_db
def test_an_invalid_submit_ties_each_error_to_its_field_and_lists_them_first(
    public_client, petition
):
    url = reverse("petitions:sign", args=[petition.slug])
    response = public_client.post(url, sign_data(first_name="", email="not-an-email"))
    page = _Page(response.content.decode())

    assert response.status_code == 400
    ids = page.ids()
    invalid = [c for c in page.all("input") if c.get("aria-invalid") == "true"]
    assert {c["id"] for c in invalid} == {"id_first_name", "id_email"}
    for control in invalid:
        assert set(control["aria-describedby"].split()) <= ids
        assert f"{control['id']}_error" in control["aria-describedby"].split()
    [summary] = [a for _, a in page.elements if "data-error-summary" in a]
    assert summary["tabindex"] == "-1" and summary["role"] == "alert"
    assert {a["href"] for a in page.all("a")} >= {"#id_first_name", "#id_email"}


@pytest.mark.django_db
def test_the_staff_preview_shows_a_banner_and_an_inert_form(owner_client, petition):
    response = owner_client.get(reverse("petition_preview", args=[petition.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'class="banner preview"' in html
    assert "<fieldset disabled>" in html


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_the_error_pages_render_without_a_request_or_a_database(template):
    # No django_db mark: any query here would fail the test.
    html = render_to_string(template)

    assert '<html lang="en">' in html
    assert 'href="/static/chorus/chorus.css"' in html
    assert "{%" not in html
