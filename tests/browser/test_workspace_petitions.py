"""A campaigner runs a petition from the workspace in Chromium: creates it (watching the story's
preview follow their typing), meets an error without losing anything, fixes it, publishes it
through the confirmation step, edits the story, closes and reopens it."""

import base64
import io
import re
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import Page, expect

from orgs.roles import roles_ensure
from petitions.models import Petition, PetitionEvent
from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser

SIZES = {"wide": (1280, 800), "phone": (390, 844)}
PASSWORD = "a long test password for petitions"


@pytest.fixture
def campaigner_login(live_app):
    roles_ensure()
    user = User.objects.create_user(
        f"petitions-cam-{uuid4().hex[:6]}",
        password=PASSWORD,
        is_staff=True,
        first_name="Sam",
        last_name="Rivera",
    )
    user.groups.add(Group.objects.get(name="Campaigner"))
    device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    secret = base64.b32encode(device.bin_key).decode()
    yield user, secret
    Petition.objects.filter(events__by=user).distinct().delete()
    # Not deleted: the audit log names the account as having published (PROTECT).
    User.objects.filter(pk=user.pk).update(is_active=False)


def _jpeg() -> bytes:
    content = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 90, 160)).save(content, "JPEG")
    return content.getvalue()


def shoot_sizes(page: Page, shoot, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        shoot(page, f"{name}-{size}")
    page.set_viewport_size({"width": 1280, "height": 800})


def assert_no_serious_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious


def test_a_campaigner_creates_previews_fixes_publishes_edits_closes_and_reopens(
    page, live_app, campaigner_login, shoot
):
    user, secret = campaigner_login
    staff_sign_in(page, username=user.username, password=PASSWORD, secret=secret)
    page.goto("/staff/petitions/")
    assert_no_serious_axe_violations(page)
    page.click("text=New petition")
    expect(page.locator("h1")).to_have_text("New petition")

    # The preview follows the story as it is typed, through the public page's sanitiser.
    page.locator("#id_story").press_sequentially("Night **workers** get home <script>x</script>")
    preview = page.locator("[data-preview-target]")
    expect(preview.locator("strong")).to_have_text("workers")
    expect(preview.locator("script")).to_have_count(0)
    expect(page.locator("[data-preview-button]")).to_be_hidden()

    # Sent without the ask: refused, with everything kept, the image included.
    page.fill("#id_target", "The city transport board")
    page.fill("#id_summary", "Night workers need a way home.")
    page.set_input_files(
        "#id_image", {"name": "night-bus.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    page.fill("#id_image_alt", "A night bus at an empty stop")
    page.check("text=Postcode")
    page.click("button:has-text('Create draft')")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Enter the ask")
    expect(summary).to_be_focused()
    expect(page.locator("#id_target")).to_have_value("The city transport board")
    expect(page.locator("#id_story")).to_have_value(re.compile(r"Night \*\*workers\*\*"))
    expect(page.locator("#id_image_alt")).to_have_value("A night bus at an empty stop")
    expect(page.locator("input[value=postcode]")).to_be_checked()
    expect(page.locator(".pt-kept")).to_contain_text("Image kept: night-bus.jpg")
    expect(preview.locator("strong")).to_have_text("workers")
    assert_no_serious_axe_violations(page)
    shoot_sizes(page, shoot, "form-with-error")

    # The summary's link takes the keyboard to the field.
    summary.locator("a[href='#id_title']").click()
    expect(page.locator("#id_title")).to_be_focused()
    page.fill("#id_title", "Keep the night buses running")
    page.click("button:has-text('Create draft')")
    expect(page.locator(".ws-msg")).to_contain_text("Petition created as a draft")
    expect(page.locator("h1")).to_have_text("Keep the night buses running")
    assert_no_serious_axe_violations(page)
    shoot_sizes(page, shoot, "edit")
    petition = Petition.objects.get(title="Keep the night buses running")
    assert petition.image.name.startswith("petitions/")
    assert petition.delivery_fields == ["name", "country", "postcode"]

    # Publish, through a page that says what will happen.
    page.click("text=Publish…")
    expect(page.locator("main")).to_contain_text(f"becomes public at {live_app.url}/p/")
    assert_no_serious_axe_violations(page)
    shoot_sizes(page, shoot, "confirm-publish")
    page.click("button:has-text('Publish now')")
    expect(page.locator(".ws-msg")).to_contain_text("Published.")
    expect(page.locator(".pt-history")).to_contain_text("Published by Sam Rivera")

    # Edit the story of the open petition.
    page.fill("#id_story", "Night workers keep the city running. *Keep the buses.*")
    expect(preview.locator("em")).to_have_text("Keep the buses.")
    page.click("button:has-text('Save changes')")
    expect(page.locator(".ws-msg")).to_contain_text("Changes saved.")
    expect(page.locator("#id_slug")).to_be_disabled()

    # Close, then reopen.
    page.click("text=Close…")
    expect(page.locator("main")).to_contain_text("0 confirmed signers keep their signatures")
    shoot_sizes(page, shoot, "confirm-close")
    page.click("button:has-text('Close the petition')")
    expect(page.locator(".pt-side .badge")).to_have_text("Closed")
    page.click("text=Reopen…")
    page.click("button:has-text('Reopen the petition')")
    expect(page.locator(".pt-side .badge")).to_have_text("Open for signatures")

    events = list(
        PetitionEvent.objects.filter(petition=petition)
        .order_by("at", "id")
        .values_list("action", "by")
    )
    assert events == [
        (action, user.pk) for action in ("created", "published", "edited", "closed", "reopened")
    ]

    page.goto("/staff/petitions/")
    expect(page.locator(".pt-list")).to_contain_text("Keep the night buses running")
    shoot_sizes(page, shoot, "list")


def test_without_script_the_preview_button_renders_the_story(
    open_page, live_app, campaigner_login
):
    user, secret = campaigner_login
    page = open_page(java_script_enabled=False)
    staff_sign_in(page, username=user.username, password=PASSWORD, secret=secret)
    page.goto("/staff/petitions/new/")
    page.fill("#id_story", "## Why it matters\n\nBecause.")

    page.click("button:has-text('Preview')")

    expect(page.locator("[data-preview-target] h2")).to_have_text("Why it matters")
    expect(page.locator("#id_story")).to_have_value(re.compile("Because."))
    assert not Petition.objects.filter(events__by=user).exists()
