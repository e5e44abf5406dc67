"""Emails to addresses nobody has proven are theirs echo nothing the sender typed.

Anyone can type a stranger's address into the sign form; if the email repeated the name or
comment typed with it, Chorus would carry their words into the stranger's inbox under the
organisation's name. So these emails hold only the petition's own text and the links.
Subjects are plain text: a petition titled with & or quotes arrives with them, not &amp;.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs.services import jobs_drain
from lib.mail import absolute_url
from tests.conftest import sign_data
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

MARKERS = {
    "first_name": "Zqxfirst",
    "last_name": "Zqxlast",
    "postcode": "ZQX 1PC",
    "comment": "Zqxcomment visit evil.example now",
}
# Every email Chorus sends goes to an address not yet proven, unless it is named here.
VERIFIED_ONLY: set[str] = set()
TITLE = 'Tom & Jerry\'s "ask" <now>'


def _email_templates() -> list[str]:
    """Every email, found by its subject template: "petitions/email/confirm" and the like."""
    found = []
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for subject in Path(directory).glob("**/email/*_subject.txt"):
            name = str(subject.relative_to(directory)).removesuffix("_subject.txt")
            # The workspace's emails go to colleagues an owner invited, about no petition:
            # tests/workspace/test_people_invite.py checks those.
            if not name.startswith("staff/"):
                found.append(name)
    return sorted(found)


def _render(template: str, signature, petition) -> dict[str, str]:
    context = {
        "signature": signature,
        "petition": petition,
        "organisation": petition.organisation,
        "petition_url": absolute_url(petition.get_absolute_url()),
        "confirm_url": absolute_url(reverse("petitions:confirm", args=["t0ken"])),
    }
    return {
        part: render_to_string(f"{template}{suffix}", context)
        for part, suffix in [("subject", "_subject.txt"), ("text", ".txt"), ("html", ".html")]
    }


def _typed_text_in(text: str) -> list[str]:
    return [marker for marker in MARKERS.values() if marker.split()[0] in text]


def test_there_are_emails_to_check():
    assert "petitions/email/confirm" in _email_templates()
    assert "petitions/email/already_signed" in _email_templates()


@pytest.mark.parametrize("template", [t for t in _email_templates() if t not in VERIFIED_ONLY])
def test_no_email_to_an_unproven_address_repeats_what_was_typed(template, petition):
    signature = SignatureFactory(petition=petition, email="zqxlocal@example.org", **MARKERS)

    rendered = _render(template, signature, petition)

    for part, text in rendered.items():
        assert _typed_text_in(text) == [], f"{template} {part}"
        assert "zqxlocal" not in text, f"{template} {part}"


# The members' opt-in email is about no one petition: tests/members/test_member_optin.py.
@pytest.mark.parametrize("template", [t for t in _email_templates() if t.startswith("petitions/")])
def test_every_subject_shows_the_title_as_written(template, organisation):
    petition = PetitionFactory(organisation=organisation, title=TITLE)
    signature = SignatureFactory(petition=petition)

    rendered = _render(template, signature, petition)

    assert TITLE in rendered["subject"]
    assert TITLE in rendered["text"]
    assert "&amp;" not in rendered["subject"] + rendered["text"]
    assert "Tom &amp; Jerry&#x27;s &quot;ask&quot; &lt;now&gt;" in rendered["html"]


def test_the_emails_sent_after_signing_repeating_and_resending_echo_nothing_typed(
    organisation, mailoutbox, settings
):
    petition = PetitionFactory(organisation=organisation, title=TITLE)
    sign_url = reverse("petitions:sign", args=[petition.slug])
    # Each email waits out the mail ceiling's interval, so all three are sent.
    step = timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL + 1)
    Client().post(sign_url, sign_data(**MARKERS))
    jobs_drain()
    with freeze_time(timezone.now() + step):
        Client().post(sign_url, sign_data(first_name="Zqxrepeat", comment="Zqxcomment again"))
        jobs_drain()
    with freeze_time(timezone.now() + 2 * step):
        Client().post(
            reverse("petitions:resend", args=[petition.slug]), {"email": "grace@example.org"}
        )
        jobs_drain()

    assert len(mailoutbox) == 3
    for message in mailoutbox:
        [(html, _)] = message.alternatives
        for text in (message.subject, message.body, html):
            assert _typed_text_in(text) == []
            assert "Zqxrepeat" not in text
        assert TITLE in message.subject
