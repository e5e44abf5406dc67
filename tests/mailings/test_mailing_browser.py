"""Mailings in Chromium: compose with the live preview, the progress bar following a send
by itself, and the report on a phone; axe-core on each page, screenshots of each."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mailings.models import Mailing, Recipient, Segment, Variant
from orgs.models import Organisation
from petitions.models import Petition
from tests.factories import MemberFactory, RecipientFactory
from tests.workspace.test_brand_browser import SHOTS, _serious, owner_session, page  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _async_unsafe(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _shoot(tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 800})


def test_an_owner_composes_with_a_live_preview_and_saves(page):  # noqa: F811
    organisation = Organisation.objects.current()
    Segment.objects.create(organisation=organisation, name="Supporters in Europe")
    MemberFactory(organisation=organisation, email="ada@example.org", first_name="Ada")
    page.goto(page.base + "/staff/mailings/new/")
    page.fill("#id_name", "December appeal")
    page.fill("#id_subject", "{{first_name|Friend}}, they are scraping our photos")
    page.select_option("#id_petition", label=Petition.objects.get().title)
    page.select_option("#id_segment", label="Supporters in Europe")
    page.fill(
        "#id_body",
        "Hello {{first_name|friend}},\n\nPhotoCircle is **selling our faces**.\n\n"
        "[Sign the petition]({{petition_link}})",
    )
    frame = page.frame_locator("iframe[name=mc-preview]")
    expect(frame.locator("body")).to_contain_text("Hello friend,", timeout=10_000)
    page.fill("#mc-member", "ada@example.org")
    expect(frame.locator("body")).to_contain_text("Hello Ada,", timeout=10_000)
    expect(frame.locator("strong")).to_have_text("selling our faces")
    page.wait_for_timeout(1500)  # the last keystroke's preview has landed
    expect(frame.locator("body")).to_contain_text("Hello Ada,")
    assert _serious(page, exclude="iframe") == []
    _shoot(page, "mailings-compose")

    page.click("text=Save draft")

    expect(page.locator(".ws-msg")).to_contain_text("Saved.")
    mailing = Mailing.objects.get()
    assert mailing.segment.name == "Supporters in Europe"


def test_the_progress_bar_follows_the_send_and_the_report_reads_on_a_phone(page):  # noqa: F811
    organisation = Organisation.objects.current()
    segment = Segment.objects.create(organisation=organisation, name="Everyone")
    start = timezone.now() - timedelta(hours=5)
    mailing = Mailing.objects.create(
        organisation=organisation,
        name="November appeal",
        subject="They are scraping our photos",
        from_name="Open Faces",
        from_address="petitions@chorus.invalid",
        body="Hello {{first_name|friend}}",
        segment=segment,
        petition=Petition.objects.get(),
        state=Mailing.State.SENDING,
        started_at=start,
        recipients_total=40,
        ab_metric="clicks",
    )
    a = Variant.objects.create(mailing=mailing, letter="A", subject="They are scraping our photos")
    b = Variant.objects.create(mailing=mailing, letter="B", subject="Your face, their product")
    mailing.winner = b
    mailing.ab_decided_at = start + timedelta(hours=1)
    mailing.save()
    rows = []
    for n in range(40):
        at = start + timedelta(hours=n % 5, minutes=7)
        sent = n < 30
        rows.append(
            RecipientFactory(
                mailing=mailing,
                variant=(a if n % 2 else b) if n < 8 else b,
                state="done" if sent else "due",
                sent_at=at if sent else None,
                first_clicked_at=at + timedelta(minutes=20) if sent and n % 3 == 0 else None,
                signed_at=at + timedelta(minutes=40) if sent and n % 6 == 0 else None,
            )
        )
    rows[30].state, rows[30].last_error = "failed", "550 5.1.1 No such user here"
    rows[30].save()

    page.goto(page.base + f"/staff/mailings/{mailing.pk}/")
    expect(page.locator("#mc-progress")).to_contain_text("30 sent of 40")
    expect(page.frame_locator("iframe[name=mc-preview]").locator("body")).to_contain_text(
        "Hello friend", timeout=10_000
    )
    assert _serious(page, exclude="iframe") == []
    _shoot(page, "mailings-detail-sending")

    # The worker sends the rest meanwhile; the panel follows without a reload.
    Recipient.objects.filter(mailing=mailing, state="due").update(
        state="done", sent_at=timezone.now()
    )
    expect(page.locator('#mc-progress dd[data-k="left"]')).to_have_text("0", timeout=10_000)
    expect(page.locator("#mc-bar")).to_have_attribute("value", "100")
    Mailing.objects.filter(pk=mailing.pk).update(
        state=Mailing.State.SENT, finished_at=timezone.now()
    )
    expect(page.locator(".ws-lede .mc-state")).to_have_text("Sent", timeout=10_000)

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator(".mc-chart svg")).to_be_visible()
    width = page.eval_on_selector(".mc-chart svg", "e => e.getBoundingClientRect().width")
    assert 250 < width <= 390
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.frame_locator("iframe[name=mc-preview]").locator("body")).to_contain_text(
        "Hello friend", timeout=10_000
    )
    assert _serious(page, exclude="iframe") == []
    _shoot(page, "mailings-report")
