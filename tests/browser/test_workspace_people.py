"""An owner invites a colleague as Analyst; the colleague accepts from the email, sets up
their authenticator app and works within their role; the owner changes the role, then
deactivates the account, which ends the colleague's session at once."""

import re
from uuid import uuid4

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from orgs.people import staff_role
from orgs.roles import owner_create
from orgs.signin import totp_secret_text
from tests.browser.conftest import code_from_secret, mail_bodies, staff_sign_in, unique_email

pytestmark = pytest.mark.browser

SIZES = {"wide": (1280, 800), "phone": (390, 844)}
PASSWORD = "a long walk by the canal"


def shoot_sizes(page: Page, shoot, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        shoot(page, f"{name}-{size}")
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def owner(live_app):
    """An owner with an authenticator app already set up: its key, to compute codes."""
    username = f"owner-{uuid4().hex[:6]}"
    user = owner_create(username=username, email=f"{username}@example.org", password=PASSWORD)
    user.first_name, user.last_name = "Olive", "Okafor"
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


def _submit(page: Page) -> None:
    # The page's main form, not the sign-out button in the header.
    page.click("main form button[type=submit]")


def test_an_owner_invites_a_colleague_who_joins_and_works_within_their_role(
    open_page, live_app, inbox, owner, shoot
):
    owner_name, owner_secret = owner
    colleague_email = unique_email("colleague")

    # The owner invites a colleague as Analyst.
    owners_page = open_page()
    staff_sign_in(owners_page, username=owner_name, password=PASSWORD, secret=owner_secret)
    owners_page.goto("/staff/people/")
    expect(owners_page.locator("h1")).to_have_text("People")
    owners_page.click("text=Invite a colleague")
    expect(owners_page.locator("h1")).to_have_text("Invite a colleague")
    shoot_sizes(owners_page, shoot, "invite")
    owners_page.fill("#id_email", colleague_email)
    owners_page.check("input[name=role][value=Analyst]")
    _submit(owners_page)
    expect(owners_page.locator(".ws-msg")).to_contain_text(
        f"Invitation sent to {colleague_email} as Analyst"
    )
    expect(owners_page.locator("#invitations-heading + .ws-table-wrap")).to_contain_text(
        colleague_email
    )
    shoot_sizes(owners_page, shoot, "people")

    # The email arrives, text and HTML, with the link.
    message = inbox.wait_for(colleague_email, "invited you")
    text, html = mail_bodies(message)
    for body in (text, html):
        assert "Olive Okafor" in body and "Analyst" in body
    [link] = set(re.findall(re.escape(live_app.url) + r"/staff/join/[A-Za-z0-9_\-]+/", text))
    assert link in html

    # The colleague opens it, chooses a password and sets up the app.
    colleagues_page = open_page()
    colleagues_page.goto(link)
    expect(colleagues_page.locator("h1")).to_contain_text("workspace")
    expect(colleagues_page.locator("main")).to_contain_text("invited you as Analyst")
    shoot_sizes(colleagues_page, shoot, "accept")
    username = colleagues_page.locator("#id_username").input_value()
    assert username == colleague_email.split("@")[0]
    colleagues_page.fill("#id_first_name", "Ada")
    colleagues_page.fill("#id_password", PASSWORD)
    colleagues_page.fill("#id_password_again", PASSWORD)
    colleagues_page.click("button.primary")
    expect(colleagues_page.locator("h1")).to_have_text("Set up your authenticator app")
    secret = colleagues_page.locator("[data-secret]").inner_text()
    colleagues_page.fill("#id_code", code_from_secret(secret))
    colleagues_page.click("button.primary")
    expect(colleagues_page.locator("h1")).to_have_text("Keep your recovery codes")
    colleagues_page.click("text=I have kept them: continue")

    # In the workspace: Petitions, not People; People itself answers with the 403 page.
    expect(colleagues_page).to_have_url(f"{live_app.url}/staff/petitions/")
    nav = colleagues_page.locator("nav.ws-nav")
    expect(nav).to_contain_text("Petitions")
    expect(nav).not_to_contain_text("People")
    expect(colleagues_page.locator(".ws-role")).to_have_text("Analyst")
    response = colleagues_page.goto("/staff/people/")
    assert response.status == 403
    expect(colleagues_page.locator("h1")).to_have_text("Not part of your role")

    # The link works once.
    assert open_page().goto(link).status == 404

    # The owner makes the colleague a Campaigner.
    colleague = User.objects.get(email=colleague_email)
    owners_page.goto("/staff/people/")
    owners_page.click(f"a[href='/staff/people/{colleague.pk}/']")
    expect(owners_page.locator("h1")).to_contain_text("Ada")
    owners_page.check("input[name=role][value=Campaigner]")
    _submit(owners_page)
    expect(owners_page.locator(".ws-msg")).to_contain_text("is now Campaigner")
    shoot_sizes(owners_page, shoot, "person")
    assert staff_role(colleague) == "Campaigner"
    colleagues_page.goto("/staff/petitions/")
    expect(colleagues_page.locator(".ws-role")).to_have_text("Campaigner")

    # The owner deactivates the colleague: their next request finds them signed out.
    owners_page.click("text=Deactivate…")
    expect(owners_page.locator("h1")).to_contain_text("Deactivate")
    _submit(owners_page)
    expect(owners_page.locator(".ws-msg")).to_contain_text("signed out everywhere")
    expect(owners_page.locator("main")).to_contain_text("Deactivated the account")
    colleagues_page.goto("/staff/petitions/")
    expect(colleagues_page).to_have_url(re.compile(r"/staff/login/\?next=/staff/petitions/$"))
