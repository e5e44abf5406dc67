"""A member import in Chromium: upload, the preview with its row errors, confirm, and the
progress panel refreshing by itself until the run is done; axe-core on each step."""

import pytest
from playwright.sync_api import expect

from jobs.services import jobs_drain
from members.models import Member
from tests.workspace.test_brand_browser import SHOTS, _serious, owner_session, page  # noqa: F401

pytestmark = pytest.mark.browser

CSV = (
    "email,first_name,last_name,country,postcode\n"
    "ada@example.org,Ada,Lovelace,United Kingdom,N1 1AA\n"
    "grace@example.org,Grace,Hopper,US,\n"
    "not-an-address,Bad,Row,Atlantis,\n"
    "zoe@example.fr,Zoë,=SUM(A1:A2),FR,75001\n"
)


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path, monkeypatch):
    settings.MEMBER_IMPORT_DIR = tmp_path / "imports"
    # The test drains the job ledger itself, beside Playwright's event loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _shoot(tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 800})


def test_an_owner_imports_a_file_and_watches_it_finish(page, tmp_path):  # noqa: F811
    upload = tmp_path / "members.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.goto(page.base + "/staff/members/import/")
    assert _serious(page) == []
    _shoot(page, "members-import-upload")

    page.set_input_files("#id_file", str(upload))
    page.fill("#id_source", "the clean air stall")
    page.check("#id_consent_confirmed")
    page.fill("#id_wording", "Email me about clean air.")
    page.click("text=Upload and preview")

    expect(page.locator("h2#preview-heading")).to_be_visible()
    expect(page.locator(".mi-totals")).to_contain_text("3 rows can be imported")
    expect(page.locator("tr.mi-bad")).to_contain_text("no country is called “Atlantis”")
    assert _serious(page) == []
    _shoot(page, "members-import-preview")

    page.click("text=Import 3 rows")
    expect(page.locator("#import-progress")).to_be_visible()
    _shoot(page, "members-import-running")
    while jobs_drain(budget_seconds=30):
        pass

    expect(page.locator("#progress-heading")).to_have_text("Done", timeout=15_000)
    assert Member.objects.count() == 3
    assert _serious(page) == []
    _shoot(page, "members-import-done")
