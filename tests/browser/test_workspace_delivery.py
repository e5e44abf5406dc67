"""The Delivery tab in Chromium: an owner makes a pack, watches the progress panel refresh
by itself until it is ready, downloads the PDF and the CSV and reads them; sets the
milestones; axe-core on each step; screenshots at 1280 and 390 wide."""

import pytest
from playwright.sync_api import expect

from jobs.services import jobs_drain
from petitions.models import Petition
from tests.delivery.helpers import confirmed, csv_rows, pdf_text
from tests.workspace.test_brand_browser import SHOTS, _serious, owner_session, page  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def signers(owner_session, settings, tmp_path, monkeypatch):  # noqa: F811
    settings.DELIVERY_DIR = tmp_path / "delivery"
    # The test drains the job ledger itself, beside Playwright's event loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    petition = Petition.objects.get(slug="stop-face-scraping")
    confirmed(petition, 3, country="FR", first_name="Zoë", last_name="Ñúñez")
    confirmed(petition, 2, country="DE", show_name=True, comment="Mein Gesicht gehört mir.")
    return petition


def _shoot(tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 800})


def test_an_owner_makes_a_pack_and_downloads_it(page, signers, tmp_path):  # noqa: F811
    page.goto(page.base + f"/staff/petitions/{signers.pk}/delivery/")
    assert _serious(page) == []
    _shoot(page, "delivery-empty")

    page.click("text=Make the delivery pack (5 confirmed)")
    expect(page.locator("#delivery-packs .dl-progress")).to_be_visible()
    assert _serious(page) == []
    _shoot(page, "delivery-running")
    while jobs_drain(budget_seconds=30):
        pass

    expect(page.get_by_role("link", name="PDF")).to_be_visible(timeout=15_000)
    assert _serious(page) == []
    _shoot(page, "delivery-ready")

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="PDF").click()
    pdf = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf)
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV").click()
    csv_file = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv_file)

    assert pdf.name.startswith("stop-face-scraping-delivery-") and pdf.suffix == ".pdf"
    text = pdf_text(pdf.read_bytes())
    assert "France 3 60.0 %" in text and "Mein Gesicht gehört mir." in text
    rows = csv_rows(csv_file.read_bytes())
    assert rows[0] == ["Petition", "Name", "Country"]
    assert [signers.title, "Zoë Ñúñez", "France"] in rows


def test_milestones_are_saved_and_a_bad_one_is_announced(page, signers):  # noqa: F811
    page.goto(page.base + f"/staff/petitions/{signers.pk}/delivery/")

    page.fill("#id_target_email", "minister@example.org")
    page.fill("#id_milestones", "1,000 lots")
    page.click("text=Save the milestones")
    expect(page.locator(".ws-error-summary")).to_contain_text("is not a whole number")
    assert _serious(page) == []

    page.fill("#id_milestones", "1,000 10,000")
    page.click("text=Save the milestones")
    expect(page.locator("#id_milestones")).to_have_value("1,000 10,000")
