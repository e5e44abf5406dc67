"""A petition's fraud tab: the report, drill-down, bulk actions, per role, hostile input."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from jobs.services import jobs_drain
from orgs.models import AuditEvent
from petitions.counting import counts_fold_all, petition_count
from petitions.models import BulkAction, Signature, SignatureEvent
from tests.factories import SignatureFactory
from tests.staff import PERSONAS, staff_client
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db
BAD_NET = "203.0.113.0/24"
CAN_VIEW = {"owner", "campaigner", "analyst", "superuser"}
CAN_CHANGE = {"owner", "campaigner", "superuser"}


def _signed(petition, n, at=None, **fields):
    fields.setdefault("state", "confirmed")
    fields.setdefault("confirmed_at", timezone.now())
    rows = SignatureFactory.create_batch(n, petition=petition, count_dirty=True, **fields)
    if at is not None:
        Signature.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=at)
    return rows


def _bulk_post(client, petition, **data):
    data = {"network": BAD_NET, "kind": "invalidate", "reason": "A bot network", **data}
    return client.post(tab_url(petition, "fraud/bulk/"), data)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_fraud_tab(persona, petition):
    _, client = staff_client(persona)
    _signed(petition, 2, ip_prefix=BAD_NET)
    report = client.get(tab_url(petition, "fraud/"))
    drill = client.get(tab_url(petition, "fraud/signatures/"), {"network": BAD_NET})
    overview = client.get(tab_url(petition))
    expected = 200 if persona in CAN_VIEW else 403
    assert (report.status_code, drill.status_code) == (expected, expected)
    assert (f"/staff/petitions/{petition.pk}/fraud/" in overview.content.decode()) == (
        persona in CAN_VIEW
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_run_cancel_and_reverse_a_bulk_action(persona, petition):
    user, client = staff_client(persona)
    _signed(petition, 3, ip_prefix=BAD_NET)
    response = _bulk_post(client, petition)
    may = persona in CAN_CHANGE
    assert BulkAction.objects.exists() == may
    if not may:
        assert response.status_code == 403
        action = BulkAction.objects.create(
            petition=petition, kind="invalidate", reason="x", state="done"
        )
        assert (
            client.post(
                tab_url(petition, f"fraud/bulk/{action.pk}/reverse/"), {"reason": "x"}
            ).status_code
            == 403
        )
        assert client.post(tab_url(petition, f"fraud/bulk/{action.pk}/cancel/")).status_code == 403
        assert BulkAction.objects.count() == 1
        return
    action = BulkAction.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/bulk/{action.pk}/")
    jobs_drain()
    page = client.get(response["Location"]).content.decode()
    assert "Reverse 3 changes" in page
    client.post(tab_url(petition, f"fraud/bulk/{action.pk}/reverse/"), {"reason": "False alarm"})
    jobs_drain()
    assert Signature.objects.filter(state="confirmed").count() == 3


def test_the_report_ranks_networks_domains_and_countries_and_names_spikes(petition):
    _, client = staff_client("campaigner")
    now = timezone.now().replace(minute=30)
    for hours_ago in range(1, 20):
        _signed(petition, 2, at=now - timedelta(hours=hours_ago), ip_prefix="198.51.100.0/24")
    _signed(petition, 40, at=now - timedelta(hours=3), ip_prefix=BAD_NET, country="FR")

    page = client.get(tab_url(petition, "fraud/")).content.decode()

    assert page.index(BAD_NET) < page.index("198.51.100.0/24")  # ranked by volume
    assert "example.org" in page and "France" in page
    assert "Spike</span>" in page and "Burst</span>" in page  # said in words, not colour only
    assert "median hour" in page
    assert "signer0@" not in page and "Lovelace" not in page  # no address, no signer here


def test_a_network_rising_against_the_petitions_whole_life_is_named(petition):
    _, client = staff_client("analyst")
    _signed(petition, 200, at=timezone.now() - timedelta(days=30), ip_prefix="198.51.100.0/24")
    _signed(petition, 30, at=timezone.now() - timedelta(hours=2), ip_prefix=BAD_NET)
    _signed(petition, 10, at=timezone.now() - timedelta(hours=2), ip_prefix="198.51.100.0/24")

    page = client.get(tab_url(petition, "fraud/")).content.decode()

    row = page[page.index(BAD_NET) : page.index("</tr>", page.index(BAD_NET))]
    assert "Rising" in row


def test_the_report_lists_signatures_already_marked_fraudulent(petition):
    _, client = staff_client("analyst")
    _signed(petition, 1, state="fraudulent", first_name="Mallory", flag_reason="network")
    page = client.get(tab_url(petition, "fraud/")).content.decode()
    row = page[page.index("Mallory") : page.index("</tr>", page.index("Mallory"))]
    assert "network" in row  # the automatic limits' reason


def test_a_reports_rows_open_every_signature_they_count_even_the_last_seconds(petition):
    _, client = staff_client("analyst")
    _signed(petition, 3, ip_prefix=BAD_NET)  # signed a moment ago
    page = client.get(tab_url(petition, "fraud/")).content.decode()
    start = page.index('href="/staff/petitions/', page.index("network-heading"))
    link = page[start + 6 : page.index('"', start + 6)].replace("&amp;", "&")
    assert "3 matching signatures" in client.get(link).content.decode()


def test_drilling_down_shows_the_matching_rows_and_a_link_to_each(petition):
    _, client = staff_client("analyst")
    bad = _signed(petition, 3, ip_prefix=BAD_NET, first_name="Botty")
    _signed(petition, 2, ip_prefix="198.51.100.0/24", first_name="Human")
    page = client.get(tab_url(petition, "fraud/signatures/"), {"network": BAD_NET})
    body = page.content.decode()
    assert "3 matching signatures" in body
    assert "Botty" in body and "Human" not in body
    assert f"signatures/{bad[0].pk}/" in body
    assert "Change them all" not in body  # the analyst may not change them
    assert bad[0].email not in body


def test_a_preview_says_how_many_will_change_and_changes_nothing(petition):
    _, client = staff_client("campaigner")
    _signed(petition, 4, ip_prefix=BAD_NET)
    body = client.get(
        tab_url(petition, "fraud/signatures/"), {"network": BAD_NET, "kind": "invalidate"}
    ).content.decode()
    assert "Invalidate: 4 signatures" in body
    assert not SignatureEvent.objects.exists() and not BulkAction.objects.exists()


def test_a_bulk_invalidation_runs_and_counts_follow(petition):
    user, client = staff_client("campaigner")
    _signed(petition, 6, ip_prefix=BAD_NET)
    _signed(petition, 2)
    counts_fold_all()

    _bulk_post(client, petition)
    jobs_drain()
    counts_fold_all()

    action = BulkAction.objects.get()
    assert (action.state, action.changed, action.by) == ("done", 6, user)
    assert petition_count(petition) == 2
    assert AuditEvent.objects.filter(action="invalidate").count() == 1
    page = client.get(tab_url(petition, f"fraud/bulk/{action.pk}/")).content.decode()
    assert "6 of 6 signatures" in page and "data-refresh" not in page
    one = Signature.objects.filter(state="invalidated").first()
    log = client.get(tab_url(petition, f"signatures/{one.pk}/")).content.decode()
    assert "A bot network" in log and f"fraud/bulk/{action.pk}/" in log


def test_a_running_action_refreshes_itself_and_can_be_cancelled(petition):
    _, client = staff_client("campaigner")
    _signed(petition, 3, ip_prefix=BAD_NET)
    _bulk_post(client, petition)
    action = BulkAction.objects.get()
    page = client.get(tab_url(petition, f"fraud/bulk/{action.pk}/")).content.decode()
    assert 'data-refresh="2"' in page and "Cancel the bulk action" in page
    assert 'staff-progress.js" data-panel="bulk-progress"' in page

    client.post(tab_url(petition, f"fraud/bulk/{action.pk}/cancel/"))
    jobs_drain()

    action.refresh_from_db()
    assert (action.state, action.changed) == ("cancelled", 0)
    assert Signature.objects.filter(state="confirmed").count() == 3


HOSTILE = [
    {"network": "'; DROP TABLE petitions_signature; --"},
    {"network": "203.0.113.0/99"},
    {"domain": "example.org' OR '1'='1"},
    {"domain": "%"},
    {"country": "<script>alert(1)</script>"},
    {"name": "***"},
    {"name": "x" * 500},
    {"name": "Ada\x00"},
    {"created_from": "yesterday"},
    {"created_from": "2026-12-02T10:00", "created_before": "2026-12-01T10:00"},
    {},  # no filter at all
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_filters_get_a_clear_message_and_change_nothing(petition, hostile):
    _, client = staff_client("campaigner")
    _signed(petition, 3, ip_prefix=BAD_NET)

    drill = client.get(tab_url(petition, "fraud/signatures/"), hostile)
    data = {"kind": "invalidate", "reason": "x", **hostile}
    post = client.post(tab_url(petition, "fraud/bulk/"), data, follow=True)

    assert drill.status_code in (200, 400)
    assert "<script>alert" not in drill.content.decode()
    assert post.status_code in (200, 400)  # back on the form, with the filters' errors
    assert "Nothing was changed" in post.content.decode()
    assert not BulkAction.objects.exists()
    assert Signature.objects.filter(state="confirmed").count() == 3


@pytest.mark.parametrize(
    "query",
    [{"window": "custom"}, {"window": "forever"}, {"window": "custom", "date_from": "x"}],
)
def test_a_bad_window_gets_a_clear_message(petition, query):
    _, client = staff_client("analyst")
    response = client.get(tab_url(petition, "fraud/"), query)
    assert response.status_code == 400
    assert "The report could not run" in response.content.decode()


def test_a_custom_window_reports_those_days(petition):
    _, client = staff_client("analyst")
    with freeze_time("2026-11-02 10:00"):
        _signed(petition, 5, ip_prefix=BAD_NET)
    query = {"window": "custom", "date_from": "2026-11-01", "date_to": "2026-11-03"}
    page = client.get(tab_url(petition, "fraud/"), query).content.decode()
    assert "5 signatures from 1 Nov 2026" in page


def test_a_bulk_action_of_another_petition_is_not_found_here(petition):
    from tests.factories import PetitionFactory

    _, client = staff_client("owner")
    other = BulkAction.objects.create(
        petition=PetitionFactory(), kind="invalidate", reason="x", state="done"
    )
    assert client.get(tab_url(petition, f"fraud/bulk/{other.pk}/")).status_code == 404


@pytest.mark.parametrize("reason", ["", "x" * 301, "line\nbreak"])
def test_a_bulk_action_needs_a_reason_on_one_line(petition, reason):
    _, client = staff_client("owner")
    _signed(petition, 2, ip_prefix=BAD_NET)
    response = _bulk_post(client, petition, reason=reason)
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was changed" in page
    assert not BulkAction.objects.exists()


def test_a_reversal_needs_a_reason_and_happens_once(petition):
    _, client = staff_client("owner")
    _signed(petition, 2, ip_prefix=BAD_NET)
    _bulk_post(client, petition)
    jobs_drain()
    action = BulkAction.objects.get()
    url = tab_url(petition, f"fraud/bulk/{action.pk}/reverse/")
    refused = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Nothing was changed" in refused and BulkAction.objects.count() == 1
    client.post(url, {"reason": "Wrong network"})
    again = client.post(url, {"reason": "Wrong network"}, follow=True).content.decode()
    assert "already been reversed" in again and BulkAction.objects.count() == 2
    cancel = client.post(tab_url(petition, f"fraud/bulk/{action.pk}/cancel/"), follow=True)
    assert "had already ended" in cancel.content.decode()
