"""A newcomer signs in to the demo's staff area for the first time, sets up an authenticator
app as the pages guide them, keeps their recovery codes, and later signs in with one."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from orgs.signin import second_factor_reset
from tests.browser.conftest import code_from_secret, staff_sign_in

pytestmark = pytest.mark.browser

SIZES = {"wide": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def demo_login(live_app):
    """The demo campaigner's login, as `make run` tells a newcomer where to find it, as
    someone whose app is not set up yet (the demo sets one up; this takes it away, and
    takes the app these tests set up away again afterwards)."""
    text = (live_app.log_dir / "demo-login.txt").read_text()
    entry = text[text.index("username: campaigner\n") :].split("\n\n")[0]
    login = dict(line.split(": ", 1) for line in entry.splitlines())
    campaigner = User.objects.get(username="campaigner")
    second_factor_reset(user=campaigner)
    yield login["username"], login["password"]
    second_factor_reset(user=campaigner)


def shoot_sizes(page: Page, shoot, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        shoot(page, f"{name}-{size}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_newcomer_sets_up_an_app_keeps_recovery_codes_and_reaches_the_staff_area(
    page, live_app, demo_login, shoot
):
    username, password = demo_login
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login/\?next=/staff/$"))
    expect(page.locator("h1")).to_have_text("Sign in")
    shoot_sizes(page, shoot, "sign-in")

    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Set up your authenticator app")
    expect(page.locator("img.qr")).to_be_visible()
    shoot_sizes(page, shoot, "set-up")

    secret = page.locator("[data-secret]").inner_text()
    page.fill("#id_code", code_from_secret(secret))
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Keep your recovery codes")
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    shoot_sizes(page, shoot, "recovery-codes")

    page.click("text=I have kept them: continue")
    # The workspace's front door opens the first section of the campaigner's role.
    expect(page).to_have_url(f"{live_app.url}/staff/petitions/")
    expect(page.locator("h1")).to_have_text("Petitions")

    # The codes are not shown again, but a new set can be made from the staff area.
    page.click("text=Recovery codes")
    expect(page.locator("main")).to_contain_text("are not shown again")
    shoot_sizes(page, shoot, "recovery-codes-later")
    page.click("text=Make new recovery codes")
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    page.click("text=I have kept them: continue")

    # Signed out, the staff area asks for the password and then a code; a recovery code
    # works in place of the app's.
    page.click(".ws-who .sign-out button")
    expect(page.locator(".notice")).to_contain_text("You have signed out")
    page.goto("/staff/petitions/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Enter your code")
    shoot_sizes(page, shoot, "code")
    page.fill("#id_code", codes[0])
    page.click("button.primary")
    expect(page).to_have_url(f"{live_app.url}/staff/petitions/")
    expect(page.locator("body")).to_contain_text("You have 9 left")


def test_a_wrong_password_and_a_wrong_code_are_told_plainly(page, demo_login, shoot):
    username, password = demo_login
    page.goto("/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "not the password")
    page.click("button.primary")
    expect(page.locator(".problem")).to_contain_text("We could not sign you in")
    expect(page.locator("#id_username")).to_have_value(username)
    shoot_sizes(page, shoot, "sign-in-failed")

    staff_sign_in(page, username=username, password=password)
    expect(page.locator("h1")).to_have_text("Set up your authenticator app")
    page.fill("#id_code", "000000")
    page.click("button.primary")
    expect(page.locator(".problem")).to_contain_text("That code did not work")
