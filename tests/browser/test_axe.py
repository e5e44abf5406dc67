"""axe-core finds no serious or critical violation on any public or staff page.

Every page a person can reach, at a desktop's size (1280x800) and a phone's (390x844),
against the demo as `make run` loads it: the public pages of a petition's life, the
staff sign-in steps, and every workspace URL, walked from the URL modules
(tests/workspace/walk.py) and opened as the demo owner, who may open them all, so a
page added later is checked without editing this file.
"""

import base64
import re
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from petitions.models import Petition, Signature, Update
from petitions.services import signature_confirmation_token
from tests.browser.conftest import DEMO_PATH, code_from_secret, staff_sign_in, unique_email
from tests.factories import SignatureFactory, UserFactory
from tests.workspace.samples import workspace_walk

pytestmark = pytest.mark.browser

SIZES = {"wide": (1280, 800), "phone": (390, 844)}
FAILING_IMPACTS = {"serious", "critical"}
WON_PATH = "/p/school-photos-stay-private/"

_axe = Axe()


class Audit:
    """Runs axe on each page at each size and keeps what it found."""

    def __init__(self):
        self.checked: list[str] = []
        self.violations: list[str] = []

    def page(self, page: Page, name: str, shoot=None) -> None:
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            results = _axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] not in FAILING_IMPACTS:
                    continue
                for node in violation["nodes"]:
                    self.violations.append(
                        f"{name} [{size}] {page.url}: {violation['id']} ({violation['impact']}) "
                        f"at {node['target']}: {violation['help']}"
                    )
            if shoot is not None:
                shoot(page, f"{name}-{size}")
        self.checked.append(f"{name}: {page.url}")

    def assert_clean(self) -> None:
        report = "checked:\n  " + "\n  ".join(self.checked)
        print(report)
        assert self.violations == [], "\n".join(self.violations) + "\n" + report


@pytest.fixture
def audit():
    return Audit()


def _demo_login(live_app, username: str) -> dict[str, str]:
    """username, password and the app's base32 key, from the demo login file."""
    text = (live_app.log_dir / "demo-login.txt").read_text()
    entry = text[text.index(f"username: {username}\n") :].split("\n\n")[0]
    login = dict(line.split(": ", 1) for line in entry.splitlines())
    login["secret"] = parse_qs(urlsplit(login["authenticator app"]).query)["secret"][0]
    return login


def test_no_public_page_has_a_serious_accessibility_violation(page, audit, shoot):
    page.goto("/")
    audit.page(page, "home")
    page.goto(DEMO_PATH)
    expect(page.locator("[data-csrf]")).not_to_have_value("")
    audit.page(page, "petition", shoot)

    # The sign form sent empty: the errors beside the fields and in the summary.
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_navigation():
        page.click("form[data-sign-form] button[type=submit]")
    expect(page.locator("[data-error-summary]")).to_be_visible()
    audit.page(page, "sign form with errors")

    page.goto(f"{DEMO_PATH}thanks/")
    audit.page(page, "thank-you")
    with page.expect_navigation():
        page.click("form.inline-form button[type=submit]")
    audit.page(page, "resend with an error")
    page.goto(f"{DEMO_PATH}thanks/")
    page.fill("form.inline-form input[name=email]", unique_email("axe"))
    with page.expect_navigation():
        page.click("form.inline-form button[type=submit]")
    audit.page(page, "resent")

    pending = SignatureFactory(petition=Petition.objects.get(slug="stop-face-scraping"))
    page.goto(f"/c/{signature_confirmation_token(signature=pending)}/")
    audit.page(page, "confirm (a valid link)")
    page.goto("/c/not-a-real-link/")
    audit.page(page, "confirm (an invalid link)")
    page.goto(f"{DEMO_PATH}confirmed/")
    audit.page(page, "confirmed")
    page.goto(f"{DEMO_PATH}signers/")
    audit.page(page, "signers", shoot)
    page.goto(WON_PATH)
    audit.page(page, "a petition that won")
    page.goto("/your-data/")
    audit.page(page, "your data")
    with page.expect_navigation():
        page.get_by_role("button", name="Email me the link").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    audit.page(page, "your data with errors")
    page.fill("#id_email", unique_email("axe"))
    page.get_by_label("Erase my data").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Email me the link").click()
    audit.page(page, "your data requested")
    page.goto("/your-data/erase/not-a-real-link/")
    audit.page(page, "your data (an invalid link)")
    page.goto("/api/v1/")
    audit.page(page, "the API's docs page", shoot)
    response = page.goto("/no-such-page/")
    assert response.status == 404
    audit.page(page, "404")

    audit.assert_clean()


def test_no_workspace_page_has_a_serious_accessibility_violation(live_app, page, audit, shoot):
    owner = _demo_login(live_app, "owner")
    page.goto("/staff/login/")
    audit.page(page, "sign-in")
    page.fill("#id_username", owner["username"])
    page.fill("#id_password", owner["password"])
    page.click("button.primary")
    expect(page.locator("#id_code")).to_be_visible()
    audit.page(page, "sign-in code")
    page.fill("#id_code", code_from_secret(owner["secret"]))
    page.click("button.primary")
    expect(page).not_to_have_url(re.compile("/login/"))

    demo = Petition.objects.get(slug="stop-face-scraping")
    walk = workspace_walk(
        petition=demo,
        signature=demo.signatures.filter(state=Signature.State.CONFIRMED).first(),
        update=Update.objects.filter(petition=demo).first(),
        user=User.objects.get(username=owner["username"]),
    )
    post_only = []
    for url in walk.urls:
        # Actions that take only a POST (a button's target) have no page to look at.
        answer = page.request.get(url.path, max_redirects=0)
        if answer.status == 405:
            post_only.append(url.path)
            continue
        if "attachment" in answer.headers.get("content-disposition", ""):
            continue  # a download (the members export): a file, not a page
        if answer.headers.get("content-type", "").startswith("application/json"):
            continue  # data for a page's script (a mailing's progress), not a page
        if "sandbox" in answer.headers.get("content-security-policy", ""):
            # An email as it will be read (a mailing's preview), sandboxed without script:
            # axe cannot run inside it, and it is an email's markup, not a page of Chorus.
            continue
        response = page.goto(url.path)
        assert response.status < 500, f"{url.path}: {response.status}"
        audit.page(page, f"workspace {url.name}", shoot if url.name == "petitions" else None)
    print("POST-only, no page:", post_only)
    page.goto("/staff/login/recovery-codes/")
    audit.page(page, "recovery codes")
    print(walk.report())

    audit.assert_clean()


def test_no_sign_in_step_of_a_new_colleague_has_a_serious_accessibility_violation(
    open_page, audit
):
    """Setting up an app, the recovery codes, the 403 page, and the page for no role."""
    analyst = UserFactory(username=f"axe-analyst-{uuid4().hex[:8]}", role="Analyst")
    analyst.set_password("a long demo password")
    analyst.save()
    page = open_page()
    staff_sign_in(page, username=analyst.username, password="a long demo password")
    expect(page.locator("[data-secret]")).to_be_visible()
    audit.page(page, "set up an authenticator app")
    device = TOTPDevice.objects.get(user=analyst, confirmed=False)
    page.fill("#id_code", code_from_secret(base64.b32encode(device.bin_key).decode()))
    page.click("button.primary")
    expect(page.locator("[data-recovery-codes]")).to_be_visible()
    audit.page(page, "new recovery codes")
    response = page.goto("/staff/organisation/")
    assert response.status == 403
    audit.page(page, "403")

    nobody = UserFactory(username=f"axe-nobody-{uuid4().hex[:8]}")
    nobody.set_password("a long demo password")
    nobody.save()
    page = open_page()
    staff_sign_in(page, username=nobody.username, password="a long demo password")
    page.goto("/staff/")
    expect(page.locator("main")).to_contain_text("no role")
    audit.page(page, "no role")

    audit.assert_clean()
