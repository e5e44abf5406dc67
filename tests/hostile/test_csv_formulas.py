"""CSV formulas typed into the public sign form reach the staff exports defused.

Signed through the form as an attacker would, confirmed through the emailed link, the
member made by the worker: in the petition's export and the members' export no cell begins
with a character a spreadsheet runs as a formula.
"""

import csv
import io

import pytest
from django.urls import reverse

from jobs.services import jobs_drain
from lib.csvsafe import FORMULA_PREFIXES
from tests.conftest import sign_data
from tests.hostile.battery import CSV_FORMULAS
from tests.links import confirm_token

pytestmark = pytest.mark.django_db

FIELDS = ["first_name", "last_name", "comment"]
# Postcodes take letters, digits, spaces and hyphens: a leading hyphen still passes.
POSTCODE = "-12 3"


def _cells(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


def _sign_with_formulas(client, petition, mailoutbox, formula: str) -> None:
    data = sign_data(email="formula@example.org", opt_in="on", show_name="on")
    data |= {field: formula for field in FIELDS} | {"postcode": POSTCODE}
    answer = client.post(reverse("petitions:sign", args=[petition.slug]), data)
    assert answer.status_code == 302
    jobs_drain()
    client.post(reverse("petitions:confirm", args=[confirm_token(mailoutbox[-1])]))
    jobs_drain()


@pytest.mark.parametrize("formula", CSV_FORMULAS)
def test_a_formula_typed_by_a_signer_is_defused_in_every_export(
    public_client, owner_client, petition, mailoutbox, formula
):
    _sign_with_formulas(public_client, petition, mailoutbox, formula)

    exports = {
        "petition": owner_client.post(
            reverse("staff:petition_export", args=[petition.pk]), {"scope": "confirmed"}
        ),
        "members": owner_client.get(reverse("staff:members_export")),
    }

    stored = petition.signatures.get(email="formula@example.org")
    assert stored.state == "confirmed" and stored.member is not None
    for name, response in exports.items():
        assert response.status_code == 200, name
        cells = _cells(response)
        assert [c for c in cells if c.startswith(FORMULA_PREFIXES)] == [], name
        # The values are there, kept whole behind the quote that defuses them.
        assert f"'{stored.first_name}" in cells and f"'{POSTCODE}" in cells, name


@pytest.mark.parametrize("formula", CSV_FORMULAS)
def test_a_formula_typed_by_a_signer_is_defused_in_the_delivery_pack(
    public_client, owner_client, petition, mailoutbox, formula
):
    petition.delivery_fields = ["name", "country", "postcode", "comment"]
    petition.save()
    _sign_with_formulas(public_client, petition, mailoutbox, formula)

    owner_client.post(reverse("staff:petition_delivery_pack_new", args=[petition.pk]))
    jobs_drain()
    pack = petition.delivery_packs.get()
    response = owner_client.get(
        reverse("staff:petition_delivery_pack_csv", args=[petition.pk, pack.pk])
    )

    cells = _cells(response)
    assert [c for c in cells if c.startswith(FORMULA_PREFIXES)] == []
    stored = petition.signatures.get(email="formula@example.org")
    assert f"'{stored.first_name} {stored.last_name}" in cells and f"'{POSTCODE}" in cells
