"""orgs.exports.personal_data_export: the seam every bulk export of personal data uses."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied

from orgs.exports import personal_data_export
from orgs.models import ExportRecord
from tests.staff import staff_user

pytestmark = pytest.mark.django_db

ROWS = [("Ada", "ada@example.org"), ("=Grace", "grace@example.org"), ("Alan", "alan@example.org")]


def _export(user, rows=ROWS):
    return personal_data_export(
        user=user, what="People", scope="a test", columns=["name", "email"], rows=iter(rows)
    )


def test_it_refuses_without_the_permission_before_recording_or_reading_anything():
    rows_read = []

    def rows():
        rows_read.append(1)
        yield ("Ada", "ada@example.org")

    with pytest.raises(PermissionDenied):
        personal_data_export(
            user=staff_user("campaigner"), what="x", scope="x", columns=["a"], rows=rows()
        )

    assert not ExportRecord.objects.exists()
    assert rows_read == []


def test_an_inactive_owner_cannot_export():
    owner = staff_user("owner")
    owner.is_active = False

    with pytest.raises(PermissionDenied):
        _export(owner)


def test_it_writes_neutralised_csv_and_logs_the_rows_sent():
    owner = staff_user("owner")

    text = "".join(_export(owner))

    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["name", "email"],
        ["Ada", "ada@example.org"],
        ["'=Grace", "grace@example.org"],
        ["Alan", "alan@example.org"],
    ]
    record = ExportRecord.objects.get()
    assert (record.user, record.what, record.row_count, record.outcome) == (
        owner,
        "People",
        3,
        "finished",
    )


def test_a_stream_closed_early_is_logged_as_stopped_with_the_rows_handed_over():
    lines = _export(staff_user("owner"))

    next(lines), next(lines), next(lines)  # the header and two people
    lines.close()  # what a WSGI server does when the client goes away

    record = ExportRecord.objects.get()
    assert (record.outcome, record.row_count) == ("stopped", 2)
    assert record.finished_at is not None


def test_a_stream_never_ended_stays_marked_not_finished():
    _export(staff_user("owner"))

    record = ExportRecord.objects.get()
    assert (record.outcome, record.row_count, record.finished_at) == ("started", None, None)
