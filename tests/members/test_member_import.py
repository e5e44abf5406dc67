"""Importing members from CSV: reading the file, checking rows, and the batched run."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from lib.addresses import email_key
from members.imports import (
    ImportRefused,
    csv_read,
    member_import_cancel,
    member_import_create,
    member_import_run,
    member_import_start,
    member_imports_prune,
    rows_checked,
)
from members.models import ConsentRecord, Member, MemberImport, Suppression
from members.services import member_suppress
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

WORDING = "Yes, email me about this campaign and others."


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.MEMBER_IMPORT_DIR = tmp_path / "imports"
    return settings.MEMBER_IMPORT_DIR


def _run(data: bytes, organisation, *, wording=WORDING, batch_rows=500) -> MemberImport:
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=None,
        data=data,
        original_name="list.csv",
        source="the paper petition",
        wording=wording,
    )
    member_import_start(member_import=member_import, record_job=lambda pk: None)
    while member_import_run(import_pk=member_import.pk, batches=1, rows=batch_rows):
        pass
    member_import.refresh_from_db()
    return member_import


def test_it_reads_a_comma_file_with_a_byte_order_mark_and_common_header_names():
    parsed = csv_read("\ufeffE-mail,First Name,SURNAME,Zip\nada@example.org,Ada,L,N1\n".encode())

    assert parsed.columns == {"email": 0, "first_name": 1, "last_name": 2, "postcode": 3}


def test_it_reads_excels_semicolon_separated_files():
    parsed = csv_read(b"email;country\nada@example.org;Germany\n")

    assert parsed.rows == [["ada@example.org", "Germany"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is empty."),
        (b"email\n", "header line but no rows"),
        ("email\nrené@exämple.org\n".encode("latin-1"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        (b"name,phone\nAda,123\n", "No column holds email addresses"),
    ],
)
def test_it_refuses_an_unusable_file_with_a_clear_message(data, message):
    with pytest.raises(ImportRefused, match=message):
        csv_read(data)


def test_it_refuses_a_file_above_the_size_bound(settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 100

    with pytest.raises(ImportRefused, match="larger than"):
        csv_read(b"email\n" + b"a@example.org\n" * 20)


def test_it_names_each_problem_of_a_row():
    parsed = csv_read(
        (
            "email,first_name,country,postcode\nnot-an-address,Ada,Atlantis,N1\n"
            f"ok@example.org,{'x' * 101},DE,{'9' * 21}\n"
        ).encode()
    )

    first, second = rows_checked(parsed)

    assert first.line == 2 and second.line == 3
    assert first.errors == [
        "Country: no country is called “Atlantis”.",
        "Email is not a valid address: An email address must have an @-sign.",
    ]
    assert second.errors == [
        "First name is longer than 100 characters.",
        "Postcode is longer than 20 characters.",
    ]


def test_it_accepts_a_country_by_code_or_english_name():
    parsed = csv_read(b"email,country\na@example.org,de\nb@example.org,France\nc@example.org,\n")

    assert [row.values["country"] for row in rows_checked(parsed)] == ["DE", "FR", ""]


def test_creating_an_import_keeps_the_file_privately_and_stores_no_member(
    organisation, import_dir
):
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=None,
        data=b"email\nada@example.org\nnot-valid\n",
        original_name="list.csv",
        source="a fair",
        wording="",
    )

    stored = import_dir / member_import.file_name
    assert stored.read_bytes() == b"email\nada@example.org\nnot-valid\n"
    assert stored.stat().st_mode & 0o077 == 0
    assert (member_import.rows_total, member_import.rows_invalid) == (2, 1)
    assert member_import.state == "previewed"
    assert Member.objects.count() == 0


def test_a_run_creates_new_members_updates_known_ones_and_records_the_confirmed_consent(
    organisation, import_dir
):
    known = MemberFactory(
        organisation=organisation, email="Grace.Hopper@gmail.com", first_name="G", postcode="X"
    )
    data = (
        b"email,first_name,last_name,country,postcode,language\n"
        b"ada@example.org,Ada,Lovelace,GB,N1 1AA,en\n"
        b"gracehopper+news@gmail.com,Grace,Hopper,US,,\n"
        b"ADA@example.org,Duplicate,Row,GB,,\n"
        b"broken,,,,,\n"
    )

    member_import = _run(data, organisation)

    assert member_import.state == "done"
    assert (
        member_import.rows_done,
        member_import.rows_created,
        member_import.rows_updated,
        member_import.rows_skipped,
        member_import.rows_errors,
    ) == (4, 1, 1, 1, 1)
    assert member_import.error_report == [
        {
            "line": 5,
            "errors": ["Email is not a valid address: An email address must have an @-sign."],
        }
    ]
    ada = Member.objects.get(email_key=email_key("ada@example.org"))
    assert (ada.first_name, ada.last_name, ada.postcode, ada.language) == (
        "Ada",
        "Lovelace",
        "N1 1AA",
        "en",
    )
    known.refresh_from_db()
    assert (known.first_name, known.country, known.postcode) == ("Grace", "US", "X")
    assert Member.objects.count() == 2
    consents = ConsentRecord.objects.filter(source_kind="import")
    assert sorted(c.member_id for c in consents) == sorted([ada.pk, known.pk])
    assert {(c.wording, c.source, c.action) for c in consents} == {
        (WORDING, "imported from the paper petition", "granted")
    }
    assert (ada.status, known.status) == ("subscribed", "subscribed")
    assert list(import_dir.iterdir()) == []  # the file is deleted after the run


def test_a_suppressed_address_stays_suppressed_even_when_only_unsubscribed(organisation):
    member = MemberFactory(organisation=organisation, email="left@example.org")
    member_suppress(
        organisation_id=organisation.pk,
        email_key=email_key("left@example.org"),
        reason="unsubscribed",
    )
    member_suppress(
        organisation_id=organisation.pk,
        email_key=email_key("bounced@example.org"),
        reason="bounced",
    )

    _run(b"email\nleft@example.org\nbounced@example.org\n", organisation)

    member.refresh_from_db()
    assert member.status == "unsubscribed"
    assert Member.objects.get(email_key=email_key("bounced@example.org")).status == "none"
    assert Suppression.objects.count() == 2
    assert not ConsentRecord.objects.filter(source_kind="import").exists()


def test_an_import_without_confirmed_wording_subscribes_nobody(organisation):
    _run(b"email\nada@example.org\n", organisation, wording="")

    assert Member.objects.get().status == "none"
    assert ConsentRecord.objects.count() == 0


def test_members_in_a_double_opt_in_country_wait_for_their_own_confirmation(organisation):
    _run(b"email,country\nanna@example.de,DE\n", organisation)

    assert Member.objects.get().status == "pending"


def test_a_duplicate_in_a_later_batch_is_still_skipped(organisation):
    data = b"email\na@example.org\nb@example.org\nA@example.org\n"

    member_import = _run(data, organisation, batch_rows=2)

    assert (member_import.rows_created, member_import.rows_skipped) == (2, 1)


def test_hostile_cells_are_kept_as_plain_text(organisation):
    data = (
        b"email,first_name,last_name\n"
        b'x@example.org,=HYPERLINK("http://evil"),<script>alert(1)</script>\n'
    )

    _run(data, organisation)

    member = Member.objects.get()
    assert member.first_name == '=HYPERLINK("http://evil")'
    assert member.last_name == "<script>alert(1)</script>"


def test_a_cancelled_import_stops_before_its_next_batch_and_deletes_its_file(
    organisation, import_dir
):
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=None,
        data=b"email\na@example.org\nb@example.org\n",
        original_name="list.csv",
        source="a fair",
        wording="",
    )
    member_import_start(member_import=member_import, record_job=lambda pk: None)
    member_import_run(import_pk=member_import.pk, batches=1, rows=1)

    assert member_import_cancel(member_import=member_import)
    assert member_import_run(import_pk=member_import.pk) is False
    member_import.refresh_from_db()
    assert (member_import.state, member_import.rows_done) == ("cancelled", 1)
    assert Member.objects.count() == 1
    assert list(import_dir.iterdir()) == []


def test_ten_thousand_rows_import_in_a_bounded_number_of_queries(organisation):
    data = "email,first_name\n" + "".join(f"p{n}@example.org,P{n}\n" for n in range(10_000))
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=None,
        data=data.encode(),
        original_name="big.csv",
        source="a big list",
        wording="",
    )
    member_import_start(member_import=member_import, record_job=lambda pk: None)

    with CaptureQueriesContext(connection) as queries:
        left = member_import_run(import_pk=member_import.pk)

    assert left is False
    assert Member.objects.count() == 10_000
    # About a dozen per batch of 500 rows (lookup, inserts, progress), never one per row.
    assert len(queries) < 20 * 15


def test_a_preview_nobody_confirms_is_cancelled_after_a_day_and_its_file_deleted(
    organisation, import_dir
):
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=None,
        data=b"email\na@example.org\n",
        original_name="list.csv",
        source="a fair",
        wording="",
    )
    confirmed = _run(b"email\nb@example.org\n", organisation)

    with freeze_time(timezone.now() + timedelta(hours=23)):
        assert member_imports_prune() == 0
    with freeze_time(timezone.now() + timedelta(hours=25)):
        assert member_imports_prune() == 1

    member_import.refresh_from_db()
    confirmed.refresh_from_db()
    assert (member_import.state, confirmed.state) == ("cancelled", "done")
    assert list(import_dir.iterdir()) == []
