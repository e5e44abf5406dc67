"""Making a delivery pack: the PDF read back as text, the CSV decoded, the job's batches,
cancel, delete and retention."""

import stat
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery.models import DeliveryPack
from delivery.packs import (
    PackRefused,
    local_fonts_only,
    pack_cancel,
    pack_delete,
    pack_path,
    pack_progress,
    pack_run,
    pack_start,
    packs_prune,
)
from jobs.models import Job
from petitions.models import Petition
from tests.conftest import is_postgres
from tests.delivery.helpers import confirmed, csv_rows, pack_files, pack_made, pdf_text
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

NUL = "" if is_postgres() else "\x00"


@pytest.fixture
def signed(petition):
    confirmed(petition, 3, country="GB")
    confirmed(petition, 2, country="FR")
    confirmed(
        petition,
        first_name="Mireille",
        last_name="Public",
        country="DE",
        show_name=True,
        comment="My face is mine, not yours.",
    )
    confirmed(
        petition,
        first_name="Pierre",
        last_name="Private",
        country="DE",
        show_name=False,
        comment="A reason I keep to myself.",
    )
    confirmed(
        petition,
        first_name="Hilde",
        last_name="Hidden",
        country="DE",
        show_name=True,
        comment="A reason staff hid.",
        comment_hidden=True,
    )
    SignatureFactory(petition=petition, first_name="Pending", comment="Not yet confirmed.")
    return petition


def test_the_pdf_holds_the_total_the_countries_and_only_public_comments(signed, owner):
    pack = pack_made(signed, owner)
    text = pdf_text(pack_files(pack)[0])

    assert pack.state == "done"
    assert pack.confirmed_total == 8
    assert "8" in text and "people have signed this petition" in text
    assert signed.title in text and f"To: {signed.target}" in text
    assert "Our faces are not raw material." in text  # the story, Markdown rendered
    assert "United Kingdom 3 37.5 %" in text
    assert "Germany 3 37.5 %" in text
    assert "France 2 25.0 %" in text
    assert "My face is mine, not yours." in text
    assert "Mireille P., Germany" in text
    assert "A reason I keep to myself." not in text
    assert "A reason staff hid." not in text
    assert "Not yet confirmed." not in text
    assert "Public" not in text  # the public page's form of a name: first name, initial


def test_the_pdf_carries_the_chart_over_time(signed, owner):
    text = pdf_text(pack_files(pack_made(signed, owner))[0])

    assert "Signatures over time" in text
    assert timezone.now().date().isoformat() in text  # the one day's label on the axis


def test_the_csv_holds_only_the_fields_the_petition_shares(signed, owner):
    signed.delivery_fields = ["name", "country"]
    signed.save()

    rows = csv_rows(pack_files(pack_made(signed, owner))[1])

    assert rows[0] == ["Petition", "Name", "Country"]
    assert len(rows) == 1 + 8  # confirmed only
    assert ["Stop the scraping" in row[0] for row in rows[1:]] == [True] * 8
    assert [signed.title, "Mireille Public", "Germany"] in rows
    body = pack_files(pack_made(signed, owner))[1].decode("utf-8-sig")
    assert "@example.org" not in body and "Pending" not in body
    assert "reason" not in body.lower()


def test_the_csv_adds_postcode_and_comment_only_when_shared(signed, owner):
    signed.delivery_fields = ["postcode", "comment", "name"]
    signed.save()
    SignatureFactory.reset_sequence()

    rows = csv_rows(pack_files(pack_made(signed, owner))[1])

    assert rows[0] == ["Petition", "Name", "Postcode", "Why they signed (their comment)"]
    assert [signed.title, "Pierre Private", "", "A reason I keep to myself."] in rows


def test_the_csv_is_utf8_with_a_byte_order_mark_crlf_and_formula_safe(petition, owner):
    confirmed(petition, first_name="Zoë", last_name="Ñúñez")
    # The form refuses a NUL and PostgreSQL cannot store one; SQLite can, from elsewhere.
    confirmed(petition, first_name='=HYPERLINK("http://x")', last_name="Nul" + NUL + "l")
    petition.delivery_fields = ["name", "comment"]
    petition.save()

    data = pack_files(pack_made(petition, owner))[1]

    assert data.startswith(b"\xef\xbb\xbfPetition,Name,")
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n") == 3
    rows = csv_rows(data)
    assert rows[1][1] == "Zoë Ñúñez"
    assert rows[2][1] == '\'=HYPERLINK("http://x") Null'


def test_hostile_names_and_comments_are_printed_as_text(petition, owner):
    confirmed(
        petition,
        first_name="<script>alert(1)</script>",
        last_name="Evil",
        show_name=True,
        comment="<img src=http://evil.example/x.png> =cmd|'/C calc'!A0",
    )
    confirmed(petition, first_name="مريم", last_name="حداد", show_name=True, comment="وجهي ملكي")
    confirmed(
        petition, first_name="Nul", last_name="Byte", show_name=True, comment="a" + NUL + "b"
    )
    confirmed(petition, first_name="Long", last_name="Word", show_name=True, comment="w" * 4000)

    text = pdf_text(pack_files(pack_made(petition, owner))[0])

    assert "<script>alert(1)</script> E." in text
    assert "<img src=http://evil.example/x.png>" in text
    assert "ab" in text and "\x00" not in text
    assert "مريم" in text
    assert text.count("w" * 40) >= 50  # one unbroken word wraps, whole, across the page


def test_the_pdf_maker_fetches_nothing_but_chorus_fonts():
    fetcher = local_fonts_only()

    for url in ["http://evil.example/x.png", "file:///etc/passwd", "https://example.org/a.css"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_the_pdf_carries_at_most_the_setting_s_comments(petition, owner, settings):
    settings.DELIVERY_PDF_COMMENTS = 2
    confirmed(petition, 3, show_name=True, comment="Mine too.")

    pack = pack_made(petition, owner)
    text = pdf_text(pack_files(pack)[0])

    assert pack.comments == 2
    assert text.count("Mine too.") == 2
    assert "The newest 2 comments" in text


def test_the_files_are_owner_only(signed, owner):
    pack = pack_made(signed, owner)

    for extension in ("pdf", "csv"):
        assert stat.S_IMODE(pack_path(pack, extension).stat().st_mode) == 0o600
    assert stat.S_IMODE(pack_path(pack, "pdf").parent.stat().st_mode) == 0o700


def test_the_job_walks_in_batches_and_records_its_progress(signed, owner):
    pack = pack_start(petition=signed, by=owner)

    assert Job.objects.filter(kind="delivery_pack_run", payload={"pack": pack.pk}).exists()
    assert pack_run(pack_pk=pack.pk, batches=1, size=3) is True
    pack.refresh_from_db()
    assert (pack.rows_done, pack.rows_total, pack.state) == (3, 8, "running")
    assert pack_progress(pack)["left"] == 5

    assert pack_run(pack_pk=pack.pk, batches=10, size=3) is True  # the CSV is whole
    pack.refresh_from_db()
    assert (pack.rows_done, pack.csv_done, pack.state) == (8, True, "running")
    assert pack_progress(pack)["pdf"] is True
    assert not pack_path(pack, "pdf").exists()

    assert pack_run(pack_pk=pack.pk) is False  # the next job lays out the PDF
    pack.refresh_from_db()
    assert (pack.rows_done, pack.state) == (8, "done")
    assert len(csv_rows(pack_files(pack)[1])) == 9


def test_a_retried_job_does_not_write_rows_twice(signed, owner):
    pack = pack_start(petition=signed, by=owner)
    pack_run(pack_pk=pack.pk, batches=1, size=3)
    pack.refresh_from_db()
    # A job that wrote a batch and died before recording it leaves bytes past csv_bytes.
    with pack_path(pack, "csv").open("ab") as file:
        file.write(b"half a batch,from a crashed job\r\n")

    while pack_run(pack_pk=pack.pk, size=3):
        pass

    rows = csv_rows(pack_path(pack, "csv").read_bytes())
    assert len(rows) == 9
    assert "half a batch" not in str(rows)


def test_signatures_confirmed_after_the_start_are_left_out(petition, owner):
    confirmed(petition, 2)
    pack = pack_start(petition=petition, by=owner)
    confirmed(petition, 1, first_name="Latecomer")

    while pack_run(pack_pk=pack.pk):
        pass

    assert "Latecomer" not in pack_path(pack, "csv").read_text("utf-8-sig")


def test_cancel_stops_the_job_and_deletes_what_it_wrote(signed, owner):
    pack = pack_start(petition=signed, by=owner)
    pack_run(pack_pk=pack.pk, batches=1, size=3)

    assert pack_cancel(pack=pack) is True
    assert pack_run(pack_pk=pack.pk) is False
    pack.refresh_from_db()
    assert pack.state == "cancelled"
    assert not pack_path(pack, "csv").exists()
    assert pack_cancel(pack=pack) is False


def test_delete_removes_the_files_and_keeps_the_row(signed, owner):
    pack = pack_made(signed, owner)

    assert pack_delete(pack=pack) is True
    pack.refresh_from_db()
    assert pack.state == "deleted"
    assert not pack_path(pack, "pdf").exists() and not pack_path(pack, "csv").exists()


def test_packs_past_the_retention_period_are_deleted(signed, owner, settings):
    settings.DELIVERY_PACK_DAYS = 30
    old, new = pack_made(signed, owner), pack_made(signed, owner)
    DeliveryPack.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    assert packs_prune() == 1
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.state, new.state) == ("deleted", "done")
    assert not pack_path(old, "csv").exists() and pack_path(new, "csv").exists()


def test_a_pack_whose_job_gave_up_is_marked_failed(signed, owner):
    pack = pack_start(petition=signed, by=owner)
    Job.objects.filter(kind="delivery_pack_run").update(
        state=Job.State.FAILED, last_error="Traceback\nOSError: disk full"
    )

    packs_prune()

    pack.refresh_from_db()
    assert (pack.state, pack.failure) == ("failed", "OSError: disk full")


def test_one_pack_at_a_time(signed, owner):
    first = pack_start(petition=signed, by=owner)

    with pytest.raises(PackRefused, match="being made"):
        pack_start(petition=signed, by=owner)
    pack_cancel(pack=first)
    assert pack_start(petition=signed, by=owner).state == "running"


def test_a_draft_has_no_pack(owner, organisation):
    draft = PetitionFactory(organisation=organisation, status=Petition.Status.DRAFT)

    with pytest.raises(PackRefused):
        pack_start(petition=draft, by=owner)


def test_an_erasure_deletes_the_packs_that_hold_the_signer(
    petition, owner, organisation, django_capture_on_commit_callbacks
):
    from rights.services import person_erase

    [erased] = confirmed(petition, first_name="Erin", email="erin@example.org")
    holding = pack_made(petition, owner)
    other = PetitionFactory(organisation=organisation)
    confirmed(other, 1)
    elsewhere = pack_made(other, owner)
    running = pack_start(petition=petition, by=owner)

    with django_capture_on_commit_callbacks(execute=True):
        person_erase(
            organisation=organisation, email_key=erased.email_key, by=owner, reason="Asked"
        )

    holding.refresh_from_db(), elsewhere.refresh_from_db(), running.refresh_from_db()
    assert (holding.state, running.state, elsewhere.state) == ("deleted", "cancelled", "done")
    assert "erased" in holding.failure
    assert not pack_path(holding, "csv").exists() and not pack_path(holding, "pdf").exists()
    assert pack_path(elsewhere, "csv").exists()


def test_a_pack_made_before_the_signer_signed_is_kept(petition, owner, organisation):
    from rights.services import person_erase

    confirmed(petition, 1)
    before = pack_made(petition, owner)
    [later] = confirmed(petition, first_name="Late", email="late@example.org")

    person_erase(organisation=organisation, email_key=later.email_key, by=owner, reason="Asked")

    before.refresh_from_db()
    assert before.state == "done" and pack_path(before, "csv").exists()
