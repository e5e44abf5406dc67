"""A campaigner builds a segment of two conditions in Chromium, watches the live count
follow each edit, and saves it; the list then counts it by itself. axe finds no serious
violation on the builder, wide or on a phone."""

from uuid import uuid4

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from mailings.models import Segment
from mailings.segments import segment_counts
from orgs.models import Organisation
from orgs.signin import totp_secret_text
from petitions.models import Petition
from tests.browser.conftest import staff_sign_in
from tests.browser.test_axe import Audit
from tests.factories import MemberFactory, SignatureFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a long walk by the canal"


def _campaigner() -> tuple[str, str]:
    username = f"campaigner-{uuid4().hex[:6]}"
    user = UserFactory(username=username, role="Campaigner")
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


@pytest.fixture
def register(live_app):
    """Members in Iceland, whom the demo has none of: four, two of whom signed."""
    organisation = Organisation.objects.current()
    petition = Petition.objects.get(slug="stop-face-scraping")
    tag = uuid4().hex[:6]
    for number in range(4):
        member = MemberFactory(
            organisation=organisation,
            email=f"islander-{tag}-{number}@example.org",
            country="IS",
            status="subscribed",
        )
        if number < 2:
            SignatureFactory(
                petition=petition, member=member, email=member.email, state="confirmed"
            )
    return organisation, petition


def _count(organisation, *conditions) -> int:
    definition = {"match": "all", "conditions": list(conditions)}
    return segment_counts(organisation=organisation, definition=definition).members


def test_a_campaigner_builds_a_segment_watching_the_count_and_saves_it(open_page, register, shoot):
    organisation, petition = register
    icelanders = {"kind": "country_in", "countries": ["IS"]}
    signed = {"kind": "signed", "petition": petition.pk}
    username, secret = _campaigner()
    page = open_page(viewport={"width": 1280, "height": 800})
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto("/staff/mailings/segments/new/")
    count = page.locator("[data-count]")
    expect(count).to_have_text(f"{_count(organisation):,}")  # no condition: every member
    expect(page.locator("[data-row]:visible")).to_have_count(1)

    page.select_option("#id_c-0-kind", "country_in")
    expect(page.locator("#id_c-0-petition")).to_be_hidden()
    page.fill("#id_c-0-countries", "Iceland")
    expect(count).to_have_text("4")

    page.click("[data-add]")
    expect(page.locator("[data-row]:visible")).to_have_count(2)
    page.select_option("#id_c-1-kind", "signed")
    expect(page.locator(".sg-count-errors")).to_contain_text("Condition 2: choose a petition.")
    page.select_option("#id_c-1-petition", str(petition.pk))
    expect(count).to_have_text("2")
    assert _count(organisation, icelanders, signed) == 2

    page.check("#id_c-1-negate")  # Icelanders who did not sign
    expect(count).to_have_text("2")
    page.uncheck("#id_c-1-negate")
    page.check("#id_match_1")  # any: Icelanders, or signers of the petition
    either = {"match": "any", "conditions": [icelanders, signed]}
    either_count = segment_counts(organisation=organisation, definition=either).members
    expect(count).to_have_text(f"{either_count:,}")
    page.check("#id_match_0")
    expect(count).to_have_text("2")
    expect(page.locator("[data-mailable]")).to_have_text("2")

    audit = Audit()
    audit.page(page, "segment builder", shoot=shoot)
    page.set_viewport_size({"width": 1280, "height": 800})
    audit.assert_clean()

    page.fill("#id_name", "Icelanders who signed")
    page.click("button[value=save]")
    expect(page.locator(".ws-msg")).to_contain_text("Saved the segment “Icelanders who signed”.")
    segment = Segment.objects.get(organisation=organisation, name="Icelanders who signed")
    assert segment.definition == {
        "match": "all",
        "conditions": [icelanders | {"negate": False}, signed | {"negate": False}],
    }
    expect(page.locator(f"[data-segment-count='{segment.pk}']")).to_have_text("2")
    shoot(page, "segment list")
