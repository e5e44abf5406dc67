"""A campaigner opens a petition's fraud tab, sees a network spike, previews a bulk
invalidation of that network, runs it (the real worker does the batches while the
progress bar follows by itself), and reverses it. axe finds no serious violation on the
pages on the way, wide or on a phone."""

from uuid import uuid4

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from orgs.signin import totp_secret_text
from petitions.models import BulkAction, Petition, Signature
from tests.browser.conftest import staff_sign_in, wait_for_counts_settled
from tests.browser.test_axe import Audit
from tests.factories import SignatureFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a long walk by the canal"
WIDE = {"width": 1280, "height": 800}
BAD_NET = "203.0.113.0/24"
BOTS = 60


def _campaigner() -> tuple[str, str]:
    username = f"campaigner-{uuid4().hex[:6]}"
    user = UserFactory(username=username, role="Campaigner")
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return username, totp_secret_text(device=device)


def _audit_both_sizes(page: Page, audit: Audit, name: str, shoot=None) -> None:
    audit.page(page, name, shoot=shoot)  # wide and on a phone
    page.set_viewport_size(WIDE)


@pytest.fixture
def bots(live_app):
    petition = Petition.objects.get(slug="stop-face-scraping")
    tag = uuid4().hex[:6]
    rows = [
        SignatureFactory(
            petition=petition,
            email=f"bot{n}-{tag}@bots.example",
            first_name="Bot",
            last_name=f"Number{n}",
            ip_prefix=BAD_NET,
            state="confirmed",
            confirmed_at=timezone.now(),
            count_dirty=True,
        )
        for n in range(BOTS)
    ]
    wait_for_counts_settled()
    return petition, rows


def _states(rows) -> set[str]:
    return set(
        Signature.objects.filter(pk__in=[r.pk for r in rows]).values_list("state", flat=True)
    )


def test_a_campaigner_invalidates_a_network_in_bulk_and_reverses_it(open_page, bots, shoot):
    petition, rows = bots
    audit = Audit()
    username, secret = _campaigner()
    page = open_page()
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto(f"/staff/petitions/{petition.pk}/")
    page.get_by_role("link", name="Fraud", exact=True).click()
    expect(page.locator("#hours-heading")).to_have_text("Signatures per hour")
    network_table = page.locator("#network-heading + .ws-table-wrap")
    expect(network_table).to_contain_text(BAD_NET)
    expect(network_table).to_contain_text("Burst")
    _audit_both_sizes(page, audit, "fraud-report", shoot)

    network_table.get_by_role("link", name=BAD_NET).click()
    expect(page.locator("#matching-heading")).to_have_text(f"{BOTS} matching signatures")
    page.get_by_label("Invalidate", exact=True).check()
    page.get_by_role("button", name="Preview").click()
    confirm = page.get_by_role("button", name=f"Invalidate: {BOTS} signatures")
    expect(confirm).to_be_visible()
    _audit_both_sizes(page, audit, "fraud-preview", shoot)
    assert _states(rows) == {"confirmed"}  # the preview changed nothing

    page.get_by_label("Why (kept in each signature's log)").fill("One network, one minute")
    page.get_by_role("button", name=f"Invalidate: {BOTS} signatures").click()
    progress = page.locator("#progress-heading")
    expect(progress).to_have_text("Done", timeout=30_000)  # updated by the page itself
    expect(page.locator("#bulk-progress")).to_contain_text(f"{BOTS} of {BOTS} signatures")
    _audit_both_sizes(page, audit, "bulk-done", shoot)
    assert _states(rows) == {"invalidated"}

    page.get_by_label("Why (kept in each signature's log)").fill("A false alarm")
    page.get_by_role("button", name=f"Reverse {BOTS} changes").click()
    expect(page.locator("h2").first).to_contain_text("Reverse of bulk action")
    expect(progress).to_have_text("Done", timeout=30_000)
    shoot(page, "bulk-reversed")
    assert _states(rows) == {"confirmed"}
    reversal = BulkAction.objects.get(reverses__isnull=False, petition=petition)
    assert reversal.changed == BOTS
    audit.assert_clean()
