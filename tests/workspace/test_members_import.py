"""Importing members in the workspace: upload, preview, confirm, the job's run, cancel,
hostile files, and who may import."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import staff.jobs
from jobs.models import Job
from jobs.services import jobs_drain
from lib.addresses import email_key
from members.models import ConsentRecord, Member, MemberImport
from members.services import member_suppress
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

URL = "/staff/members/import/"
WORDING = "Keep me posted about the clean air campaign."
GOOD = (
    "Email;Vorname;Last name;Country;Postcode\n"
    "ada@example.org;Ada;Lovelace;United Kingdom;N1\n"
    "grace@example.org;Grace;Hopper;US;\n"
    "not-an-address;Bad;Row;GB;\n"
    "left@example.org;Left;Us;GB;\n"
    "ADA@example.org;Again;Ada;GB;\n"
)


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.MEMBER_IMPORT_DIR = tmp_path / "imports"
    return settings.MEMBER_IMPORT_DIR


def _upload(client, data: bytes, **fields):
    form = {
        "file": SimpleUploadedFile("list.csv", data, content_type="text/csv"),
        "source": "the clean air stall",
        "consent_confirmed": "on",
        "wording": WORDING,
    } | fields
    return client.post(URL, form)


def _drain() -> None:
    while jobs_drain(budget_seconds=60):
        pass


def test_an_upload_shows_a_preview_with_each_rows_problems_and_stores_no_member(
    owner_client, organisation
):
    response = _upload(owner_client, GOOD.encode("utf-8-sig"))

    assert response.status_code == 302
    preview = owner_client.get(response["Location"])
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "<strong>4</strong> rows can be imported" in page
    assert "<strong>1</strong> row has errors" in page
    assert "Email is not a valid address" in page
    assert "Ignored: “Vorname”" in page
    assert Member.objects.count() == 0
    assert MemberImport.objects.get().state == "previewed"


def test_confirming_runs_the_import_in_the_background_with_the_confirmed_consent(
    owner_client, organisation, import_dir
):
    member_suppress(
        organisation_id=organisation.pk,
        email_key=email_key("left@example.org"),
        reason="unsubscribed",
    )
    known = MemberFactory(organisation=organisation, email="grace@example.org")
    _upload(owner_client, GOOD.encode())
    member_import = MemberImport.objects.get()

    started = owner_client.post(f"{URL}{member_import.pk}/start/")
    running = owner_client.get(f"{URL}{member_import.pk}/")
    _drain()
    done = owner_client.get(f"{URL}{member_import.pk}/")

    assert started.status_code == 302
    assert 'data-refresh="3"' in running.content.decode()
    assert 'staff-progress.js" data-panel="import-progress"' in running.content.decode()
    page = done.content.decode()
    assert 'value="5"' in page and "Rows with errors</dt><dd>1</dd>" in page
    assert "data-refresh" not in page
    member_import.refresh_from_db()
    assert (member_import.state, member_import.rows_created, member_import.rows_updated) == (
        "done",
        2,
        1,
    )
    assert member_import.rows_skipped == 1
    assert Member.objects.count() == 3
    known.refresh_from_db()
    assert known.status == "subscribed"
    assert Member.objects.get(email_key=email_key("left@example.org")).status == "none"
    consent = ConsentRecord.objects.get(member=known)
    assert (consent.wording, consent.source, consent.source_kind) == (
        WORDING,
        "imported from the clean air stall",
        "import",
    )
    assert list(import_dir.iterdir()) == []


def test_a_confirmed_import_cannot_be_started_twice(owner_client, organisation):
    _upload(owner_client, GOOD.encode())
    member_import = MemberImport.objects.get()
    owner_client.post(f"{URL}{member_import.pk}/start/")

    again = owner_client.post(f"{URL}{member_import.pk}/start/", follow=True)

    assert "already started or was cancelled" in again.content.decode()
    from jobs.models import Job

    assert Job.objects.filter(kind="member_import_run").count() == 1


def test_cancelling_a_preview_deletes_the_file_and_imports_nobody(
    owner_client, organisation, import_dir
):
    _upload(owner_client, GOOD.encode())
    member_import = MemberImport.objects.get()

    owner_client.post(f"{URL}{member_import.pk}/cancel/")
    owner_client.post(f"{URL}{member_import.pk}/start/")
    _drain()

    member_import.refresh_from_db()
    assert member_import.state == "cancelled"
    assert Member.objects.count() == 0
    assert list(import_dir.iterdir()) == []


def _refused(response) -> str:
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not uploaded" in page
    return page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"email\n", "header line but no rows"),
        ("email,first_name\nrene@example.org,René\n".encode("latin-1"), "not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "not a CSV file"),
        (b"\x00\x00email\x00", "not a CSV file"),
        (b"<html><script>alert(1)</script></html>", "No column holds email addresses"),
    ],
)
def test_a_hostile_or_unusable_file_gets_a_clear_message_and_stores_nothing(
    owner_client, organisation, import_dir, data, message
):
    page = _refused(_upload(owner_client, data))

    assert message in page
    assert "<script>alert" not in page
    assert MemberImport.objects.count() == 0
    assert not import_dir.exists() or list(import_dir.iterdir()) == []


def test_a_file_above_the_bound_is_refused(owner_client, organisation, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 1024 * 1024

    page = _refused(_upload(owner_client, b"email\n" + b"a@example.org\n" * 80_000))

    assert "larger than 1 MB" in page
    assert MemberImport.objects.count() == 0


def test_wording_must_be_confirmed_and_a_confirmation_needs_wording(owner_client, organisation):
    unticked = _refused(_upload(owner_client, GOOD.encode(), consent_confirmed=""))
    empty = _refused(_upload(owner_client, GOOD.encode(), wording=""))
    no_source = _refused(_upload(owner_client, GOOD.encode(), source="two\nlines"))

    assert "Tick the box to confirm" in unticked
    assert "Give the exact words" in empty
    assert re.search(r"Where these people come from: [^<]+", no_source)
    assert MemberImport.objects.count() == 0


def test_hostile_cells_in_the_preview_are_shown_as_text(owner_client, organisation):
    data = (
        b"email,first_name\n"
        b"x@example.org,<script>alert(1)</script>\n"
        b'y@example.org,=cmd|"/c calc"!A1\n'
    )
    response = _upload(owner_client, data)

    page = owner_client.get(response["Location"]).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "=cmd|&quot;/c calc&quot;!A1" in page


def test_an_import_without_consent_subscribes_nobody(owner_client, organisation):
    _upload(owner_client, GOOD.encode(), consent_confirmed="", wording="")
    member_import = MemberImport.objects.get()
    owner_client.post(f"{URL}{member_import.pk}/start/")
    _drain()

    assert set(Member.objects.values_list("status", flat=True)) == {"none"}
    assert ConsentRecord.objects.filter(source_kind="import").count() == 0


@pytest.mark.parametrize("persona_client", ["campaigner_client", "analyst_client"])
def test_only_staff_who_may_add_members_can_import(request, organisation, persona_client):
    client = request.getfixturevalue(persona_client)

    page = client.get(URL)
    posted = _upload(client, GOOD.encode())

    assert (page.status_code, posted.status_code) == (403, 403)
    assert MemberImport.objects.count() == 0


def test_the_member_list_offers_import_to_owners_only(
    owner_client, campaigner_client, organisation
):
    assert URL in owner_client.get("/staff/members/").content.decode()
    assert URL not in campaigner_client.get("/staff/members/").content.decode()


def test_another_organisations_import_is_not_found(owner_client, organisation):
    from tests.factories import OrganisationFactory

    other = MemberImport.objects.create(
        organisation=OrganisationFactory(name="Other"), source="theirs", state="done"
    )

    assert owner_client.get(f"{URL}{other.pk}/").status_code == 404


def test_an_imported_member_whose_country_asks_for_an_opt_in_gets_the_email_that_asks(
    owner_client, organisation, import_dir
):
    _upload(owner_client, b"email,first_name,country\nanna@example.de,Anna,DE\n")
    member_import = MemberImport.objects.get()

    owner_client.post(f"{URL}{member_import.pk}/start/")
    _drain()

    member = Member.objects.get()
    assert member.status == "pending"
    [message] = [m for m in mail.outbox if "anna@example.de" in m.to]
    assert "/m/opt-in/" in message.body


def test_an_import_whose_job_gives_up_is_shown_as_failed_not_importing(
    owner_client, organisation, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(staff.jobs, "member_import_run", broken)
    _upload(owner_client, GOOD.encode())
    member_import = MemberImport.objects.get()
    owner_client.post(f"{URL}{member_import.pk}/start/")
    assert staff.jobs.member_imports_settle() == 0  # still retrying: still importing

    while Job.objects.filter(kind="member_import_run", state="due").exists():
        Job.objects.update(run_after=timezone.now())
        jobs_drain(budget_seconds=60)
    settled = staff.jobs.member_imports_settle()

    member_import.refresh_from_db()
    assert settled == 1 and member_import.state == "failed"
    assert member_import.failure.endswith("attempts: RuntimeError: the database went away")
    page = owner_client.get(f"{URL}{member_import.pk}/").content.decode()
    assert "the database went away" in page and "data-refresh" not in page
