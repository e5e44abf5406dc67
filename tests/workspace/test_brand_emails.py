"""The signers' emails carry the brand: the sender's name, the colour, the logo, the footer.

Received as Django's locmem backend keeps them, the way a mail program would read them:
the headers parsed back, and both parts compared whole with the email sent before the
change.
"""

import email
import email.policy
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from lib.mail import sender_address
from orgs.brand import logo_prepare, organisation_brand_update, organisation_logo_set
from petitions import jobs
from petitions.services import signature_create
from tests.conftest import sign_data
from tests.links import CONFIRM_LINK

pytestmark = pytest.mark.django_db

PURPLE = {
    "name": "Purple Rights",
    "primary_colour": "#5b2a86",
    "sender_name": "Purple Rights petitions",
    "postal_address": "1 Rue Exemple\n75001 Paris",
    "privacy_email": "data@purple.example",
}


def _sent(petition, mailoutbox, address: str, ip: str):
    """Sign as `address`, run the worker once, and return the email it sent."""
    signature_create(
        petition=petition, data=sign_data(email=address), request_meta={"REMOTE_ADDR": ip}
    )
    # A worker keeps each petition, with its organisation, for 30 seconds
    # (petitions.jobs._petitions, its text per language in _translated, and the rendered
    # confirmation in _confirm_rendered): a brand change reaches emails within that time.
    jobs._petitions.clear()
    jobs._translated.clear()
    jobs._confirm_rendered.clear()
    call_command("chorus_worker", "--once")
    return mailoutbox[-1]


def _parts(message) -> tuple[str, str]:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return (CONFIRM_LINK.sub("LINK", message.body), CONFIRM_LINK.sub("LINK", html))


def _received(message):
    """The message as the recipient's mail program parses it."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def _logo(size=(300, 100)) -> bytes:
    content = io.BytesIO()
    Image.new("RGBA", size, (91, 42, 134, 255)).save(content, "PNG")
    return content.getvalue()


def test_an_email_after_a_change_differs_only_by_the_brand(petition, mailoutbox, owner):
    before = _sent(petition, mailoutbox, "ada@example.org", "203.0.113.7")
    organisation_brand_update(organisation=petition.organisation, data=PURPLE, by=owner)

    after = _sent(petition, mailoutbox, "grace@example.org", "198.51.100.9")

    text_before, html_before = _parts(before)
    text_after, html_after = _parts(after)
    assert text_after == (
        text_before.replace("Open Faces Alliance", "Purple Rights")
        .replace("12 Example Street\nLondon N1 0AA", "1 Rue Exemple\n75001 Paris")
        .replace("privacy@openfaces.example", "data@purple.example")
    )
    assert html_after == (
        html_before.replace("Open Faces Alliance", "Purple Rights")
        .replace("12 Example Street<br>London N1 0AA", "1 Rue Exemple<br>75001 Paris")
        .replace("privacy@openfaces.example", "data@purple.example")
        .replace("#0b5d1e", "#5b2a86")
    )
    assert html_after.count("#5b2a86") == 4  # header, button, the link to copy, privacy link
    assert after.subject == before.subject


def test_the_sender_is_the_sender_name_at_the_configured_address(
    petition, mailoutbox, owner, settings
):
    settings.DEFAULT_FROM_EMAIL = "Chorus <petitions@purple.example>"
    first = _received(_sent(petition, mailoutbox, "ada@example.org", "203.0.113.7"))
    organisation_brand_update(organisation=petition.organisation, data=PURPLE, by=owner)

    second = _received(_sent(petition, mailoutbox, "grace@example.org", "198.51.100.9"))

    assert first["From"] == "Open Faces Alliance <petitions@purple.example>"
    assert second["From"] == "Purple Rights petitions <petitions@purple.example>"


@pytest.mark.parametrize(
    "name",
    [
        "Éire Rights, “Ltd”",
        'Quote " and \\ backslash',
        "Рух за права <petitions@evil.example>",
        "多言語の名前" * 10,
    ],
)
def test_a_sender_name_of_any_script_arrives_whole_and_encoded(petition, mailoutbox, owner, name):
    organisation_brand_update(
        organisation=petition.organisation, data={"sender_name": name}, by=owner
    )

    message = _sent(petition, mailoutbox, "ada@example.org", "203.0.113.7")

    raw = message.message().as_bytes()
    [from_line] = [
        line for line in raw.split(b"\n\n")[0].splitlines() if line.startswith(b"From:")
    ]
    assert from_line.isascii()
    received = _received(message)["From"]
    # A long name is folded into several encoded words; Python's parser (unlike mail
    # programs, as RFC 2047 asks) puts a space where each fold was.
    assert received.addresses[0].display_name.replace(" ", "") == name.replace(" ", "")
    if len(name) < 20:
        assert received.addresses[0].display_name == name
    assert received.addresses[0].addr_spec == "petitions@chorus.invalid"
    assert len(received.addresses) == 1


@pytest.mark.parametrize(
    "name",
    ["Open Faces\r\nBcc: everyone@example.org", "Open Faces\nX-Evil: 1", "A\x0bB\u2028C\x85D"],
)
def test_a_sender_name_that_reached_the_database_with_line_breaks_adds_no_header(
    petition, mailoutbox, name
):
    # The forms refuse such names (test_brand_page); this is the last line of defence.
    organisation = petition.organisation
    organisation.sender_name = name
    organisation.save()

    message = _sent(petition, mailoutbox, "ada@example.org", "203.0.113.7")

    received = _received(message)
    assert received["Bcc"] is None and received["X-Evil"] is None
    assert message.bcc == []
    assert "\n" not in received["From"] and "\r" not in received["From"]
    assert received["From"].addresses[0].addr_spec == "petitions@chorus.invalid"


def test_an_empty_sender_name_leaves_the_configured_sender(settings):
    settings.DEFAULT_FROM_EMAIL = "Chorus <petitions@chorus.invalid>"

    assert sender_address("") == "Chorus <petitions@chorus.invalid>"
    assert sender_address(" \t") == "Chorus <petitions@chorus.invalid>"


def test_the_logo_heads_the_email_as_an_absolute_address_with_its_name(
    petition, mailoutbox, owner, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    organisation = petition.organisation
    organisation_logo_set(
        organisation=organisation,
        logo=logo_prepare(SimpleUploadedFile("logo.png", _logo())),
        by=owner,
    )

    message = _sent(petition, mailoutbox, "ada@example.org", "203.0.113.7")

    _, html = _parts(message)
    [img] = re.findall(r"<img [^>]+>", html)
    assert f'src="https://act.openfaces.example{organisation.logo.url}"' in img
    assert 'alt="Open Faces Alliance"' in img
    assert 'width="144" height="48"' in img
    assert "border-bottom: 4px solid #0b5d1e" in html
    # The name still signs the footer, for a mail program that shows no images.
    assert "Open Faces Alliance<br>12 Example Street<br>London N1 0AA" in html


def test_the_footer_of_both_parts_carries_the_postal_address_and_privacy_contact(
    petition, mailoutbox, owner
):
    organisation_brand_update(organisation=petition.organisation, data=PURPLE, by=owner)

    text, html = _parts(_sent(petition, mailoutbox, "ada@example.org", "203.0.113.7"))

    assert text.rstrip("\n").endswith(
        "--\nYou received this email because this address was used to sign a petition.\n"
        "Purple Rights\n1 Rue Exemple\n75001 Paris\n"
        "Questions about your data: data@purple.example"
    )
    assert "Purple Rights<br>1 Rue Exemple<br>75001 Paris" in html
    assert 'href="mailto:data@purple.example" style="color: #5b2a86;"' in html
