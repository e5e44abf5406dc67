"""The Delivery tab: who sees and makes packs, downloads recorded as exports, the progress
panel and cancel, and the milestones form."""

import pytest
from django.test import Client

from delivery.models import DeliveryMilestones, DeliveryPack
from delivery.packs import pack_run
from orgs.models import AuditEvent, ExportRecord
from tests.delivery.helpers import confirmed, csv_rows, pack_made, pdf_text
from tests.staff import PERSONAS, staff_client
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db

# Who may open the tab (campaigners set milestones) and who may make and take packs.
OPENS_TAB = {"owner", "campaigner", "superuser"}
TAKES_PACKS = {"owner", "superuser"}


@pytest.fixture
def pack(petition, owner):
    confirmed(petition, 2, first_name="Zoë", last_name="Ñúñez", show_name=True, comment="Oui.")
    return pack_made(petition, owner)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_tab_opens_for_those_who_run_petitions(persona, petition):
    _, client = staff_client(persona)

    response = client.get(tab_url(petition, "delivery/"))

    assert response.status_code == (200 if persona in OPENS_TAB else 403)
    overview = client.get(tab_url(petition)).content.decode()
    assert (f'href="{tab_url(petition, "delivery/")}"' in overview) == (persona in OPENS_TAB)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_those_who_may_export_see_make_and_take_packs(persona, petition, pack):
    _, client = staff_client(persona)
    pdf = client.get(tab_url(petition, f"delivery/packs/{pack.pk}/pdf/"))
    csv_file = client.get(tab_url(petition, f"delivery/packs/{pack.pk}/csv/"))
    made = client.post(tab_url(petition, "delivery/packs/"))

    takes = persona in TAKES_PACKS
    assert pdf.status_code == csv_file.status_code == (200 if takes else 403)
    assert made.status_code == (302 if takes else 403)
    assert DeliveryPack.objects.count() == (2 if takes else 1)
    if persona in OPENS_TAB:
        page = client.get(tab_url(petition, "delivery/")).content.decode()
        assert ("only staff who may export personal data" in page) == (not takes)
        assert (f"delivery/packs/{pack.pk}/pdf/" in page) == takes


def test_a_download_is_an_attachment_recorded_as_an_export(owner_client, petition, pack):
    response = owner_client.get(tab_url(petition, f"delivery/packs/{pack.pk}/csv/"))

    day = pack.created_at.date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{petition.slug}-delivery-{day}.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    rows = csv_rows(_body(response))
    assert rows[1][1] == "Zoë Ñúñez"
    record = ExportRecord.objects.get()
    assert (record.format, record.row_count, record.user.username) == ("csv", 2, "olive-owner")
    event = AuditEvent.objects.get(action="export")
    assert event.target == f"orgs.exportrecord:{record.pk}"
    assert "Zoë" not in str(event.detail)


def test_the_pdf_downloads_and_reads(owner_client, petition, pack):
    response = owner_client.get(tab_url(petition, f"delivery/packs/{pack.pk}/pdf/"))

    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    text = pdf_text(_body(response))
    assert "Oui." in text and "Zoë Ñ., United Kingdom" in text


def test_a_deleted_pack_or_another_petition_s_is_not_found(owner_client, petition, pack):
    other = petition.__class__.objects.create(
        organisation=petition.organisation, slug="other", title="Other", target="T", summary="S"
    )
    assert owner_client.get(tab_url(other, f"delivery/packs/{pack.pk}/pdf/")).status_code == 404

    owner_client.post(tab_url(petition, f"delivery/packs/{pack.pk}/delete/"))

    assert owner_client.get(tab_url(petition, f"delivery/packs/{pack.pk}/pdf/")).status_code == 404
    assert not ExportRecord.objects.exists()


def test_a_running_pack_shows_its_progress_and_can_be_cancelled(owner_client, petition):
    confirmed(petition, 5)
    owner_client.post(tab_url(petition, "delivery/packs/"))
    pack = DeliveryPack.objects.get()
    pack_run(pack_pk=pack.pk, batches=1, size=2)

    page = owner_client.get(tab_url(petition, "delivery/")).content.decode()

    assert 'id="delivery-packs" data-refresh="3"' in page
    assert "2 of 5 signatures (40 %)" in page
    assert "staff-progress.js" in page and 'data-panel="delivery-packs"' in page
    assert "Make the delivery pack" not in page  # one at a time
    response = owner_client.post(tab_url(petition, f"delivery/packs/{pack.pk}/cancel/"))
    assert response.status_code == 302
    pack.refresh_from_db()
    assert pack.state == "cancelled"
    page = owner_client.get(tab_url(petition, "delivery/")).content.decode()
    assert "data-refresh" not in page


def test_the_campaigner_sets_the_target_s_address_and_milestones(campaigner_client, petition):
    response = campaigner_client.post(
        tab_url(petition, "delivery/milestones/"),
        {"target_email": " Minister@Example.ORG ", "milestones": "10,000 1,000 100000"},
    )

    assert response.status_code == 302
    row = DeliveryMilestones.objects.get(petition=petition)
    assert (row.target_email, row.milestones) == ("Minister@example.org", [1000, 10000, 100000])
    page = campaigner_client.get(tab_url(petition, "delivery/")).content.decode()
    assert 'value="1,000 10,000 100,000"' in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"target_email": "not an address", "milestones": "1000"}, "Enter a valid email"),
        ({"target_email": "a@example.org", "milestones": "lots"}, "is not a whole number"),
        ({"target_email": "", "milestones": "1000"}, "Enter the target’s email address"),
        ({"target_email": "a@example.org", "milestones": "<script>x</script>"}, "&lt;script&gt;"),
        ({"target_email": "a@example.org\x00", "milestones": "1"}, "Enter a valid email"),
    ],
)
def test_bad_milestones_say_what_to_do_and_change_nothing(
    campaigner_client, petition, data, message
):
    response = campaigner_client.post(tab_url(petition, "delivery/milestones/"), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "The milestones were not saved" in page and message in page
    assert "<script>x</script>" not in page
    assert not DeliveryMilestones.objects.exists()


def test_the_analyst_cannot_set_milestones(analyst_client, petition):
    response = analyst_client.post(
        tab_url(petition, "delivery/milestones/"), {"target_email": "a@example.org"}
    )

    assert response.status_code == 403
    assert not DeliveryMilestones.objects.exists()


def test_every_permission_but_export_gets_no_pack(petition, pack, roles):
    from django.contrib.auth.models import Permission

    from tests.conftest import staff_login
    from tests.factories import UserFactory

    user = UserFactory(username="almost-everything")
    user.user_permissions.set(Permission.objects.exclude(codename="export_personal_data"))
    client = staff_login(Client(), user)

    for rest in ("pdf/", "csv/"):
        response = client.get(tab_url(petition, f"delivery/packs/{pack.pk}/{rest}"))
        assert response.status_code == 403 and "attachment" not in response.get(
            "Content-Disposition", ""
        )
    assert client.post(tab_url(petition, "delivery/packs/")).status_code == 403
    assert client.post(tab_url(petition, f"delivery/packs/{pack.pk}/delete/")).status_code == 403
    assert not ExportRecord.objects.exists()
    assert DeliveryPack.objects.get().state == "done"
