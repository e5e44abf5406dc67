"""Every CSV Chorus exports opens in Excel and LibreOffice as it was written: the bytes
decoded here as a spreadsheet reads them. UTF-8 with a byte-order mark (without it Excel
guesses the system's legacy encoding and mangles accents), CRLF row ends, formula-safe
cells, and a file that names its petition (in its filename and a column)."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from jobs.services import jobs_drain
from lib.csvsafe import FORMULA_PREFIXES
from tests.factories import MemberFactory
from tests.staff import staff_client
from tests.workspace.tabs import confirmed

pytestmark = pytest.mark.django_db

NAME = ("Zoë", "Ñúñez")
FORMULA = '=HYPERLINK("http://evil.example")'


@pytest.fixture
def signers(petition):
    confirmed(petition, first_name=NAME[0], last_name=NAME[1], comment="Ça va être « bien ».")
    confirmed(petition, first_name=FORMULA, last_name="@SUM(A1)", comment="+1")
    MemberFactory(organisation=petition.organisation, first_name=NAME[0], last_name=NAME[1])
    MemberFactory(organisation=petition.organisation, first_name=FORMULA, last_name="-2")
    petition.delivery_fields = ["name", "country", "comment"]
    petition.save()
    return petition


def _signatures_tab(client, petition):
    return client.post(
        reverse("staff:petition_export", args=[petition.pk]), {"scope": "confirmed"}
    )


def _members(client, petition):
    return client.get(reverse("staff:members_export"))


def _admin_petitions(client, petition):
    return client.post(
        reverse("admin:petitions_petition_changelist"),
        {"action": "export_signatures", ACTION_CHECKBOX_NAME: [petition.pk]},
    )


def _delivery_pack(client, petition):
    client.post(reverse("staff:petition_delivery_pack_new", args=[petition.pk]))
    jobs_drain()
    pack = petition.delivery_packs.get()
    return client.get(reverse("staff:petition_delivery_pack_csv", args=[petition.pk, pack.pk]))


EXPORTS = {
    "signatures tab": (_signatures_tab, "{slug}-signatures-confirmed-{day}.csv"),
    "members": (_members, "members-{day}.csv"),
    "admin petitions": (_admin_petitions, "{slug}-signatures-{day}.csv"),
    "delivery pack": (_delivery_pack, "{slug}-delivery-{day}.csv"),
}


def _bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("export", EXPORTS)
def test_every_export_opens_in_a_spreadsheet_as_written(signers, export):
    make, filename = EXPORTS[export]
    _, client = staff_client("superuser")

    response = make(client, signers)
    data = _bytes(response)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.now().date().isoformat()
    expected = filename.format(slug=signers.slug, day=day)
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") >= 3  # CRLF ends every row
    text = data.decode("utf-8-sig")
    assert "Zoë" in text and "Ñúñez" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)] == []
    assert any(cell.startswith("'" + FORMULA) for cell in cells)


@pytest.mark.parametrize("export", ["signatures tab", "admin petitions", "delivery pack"])
def test_a_signatures_file_names_its_petition_on_every_row(signers, export):
    make, _ = EXPORTS[export]
    _, client = staff_client("superuser")

    rows = list(csv.reader(io.StringIO(_bytes(make(client, signers)).decode("utf-8-sig"))))

    column = [name.lower() for name in rows[0]].index("petition")
    assert {row[column] for row in rows[1:]} <= {signers.slug, signers.title}
    assert len(rows) == 3


def test_the_signatures_tab_can_leave_out_all_but_confirmed_signatures(signers):
    from tests.factories import SignatureFactory

    SignatureFactory(petition=signers, first_name="Pending")
    _, client = staff_client("superuser")

    confirmed_only = _bytes(_signatures_tab(client, signers)).decode("utf-8-sig")
    live = client.post(reverse("staff:petition_export", args=[signers.pk]), {"scope": "live"})

    assert "Pending" not in confirmed_only
    assert "Pending" in _bytes(live).decode("utf-8-sig")
