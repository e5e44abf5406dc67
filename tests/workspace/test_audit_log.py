"""The audit log's workspace page: Owners read it, filter it and page through it; no
role can change it, and no input makes it fail."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from orgs.audit import audit_record, audit_target
from orgs.models import AuditEvent
from staff.views.audit import PAGE_SIZE
from tests.factories import MemberFactory, PetitionFactory, UserFactory
from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db

URL = "/staff/audit/"
READERS = {"owner", "superuser"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_owners_and_superusers_open_it_or_see_it_in_the_menu(persona):
    _, client = staff_client(persona)

    response = client.get(URL)
    home = client.get("/staff/", follow=True).content.decode()

    assert response.status_code == (200 if persona in READERS else 403)
    assert (f'href="{URL}"' in home) is (persona in READERS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_role_can_post_to_it_and_nothing_changes(persona):
    _, client = staff_client(persona)
    event = audit_record(by=None, action="other", summary="kept")

    response = client.post(URL, {"summary": "changed", "id": event.pk})

    assert response.status_code in (403, 405)
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


def test_rows_say_when_who_what_and_to_what_newest_first(organisation):
    owner, client = staff_client("owner")
    petition = PetitionFactory(organisation=organisation, title="Stop the scraping")
    audit_record(by=owner, action="publish", summary="first", target=audit_target(petition))
    audit_record(by=None, action="import", summary="second", target="members.memberimport:999")

    page = client.get(URL).content.decode()

    assert page.index("second") < page.index("first")
    assert f'href="/staff/petitions/{petition.pk}/"' in page
    assert "Petition “Stop the scraping”" in page
    assert "members.memberimport:999" in page  # gone: shown, not linked
    assert 'href="/staff/members/import/999/"' not in page
    assert "owner-persona" in page and "Chorus" in page


def test_the_detail_reads_as_labels_and_values():
    _, client = staff_client("owner")
    audit_record(
        by=None,
        action="import",
        summary="x",
        detail={"rows_invalid": 3, "subscribes": True, "flags": {"is_superuser": False}},
    )

    page = client.get(URL).content.decode()

    assert "<dt>Rows invalid</dt><dd>3</dd>" in page
    assert "<dt>Subscribes</dt><dd>yes</dd>" in page
    assert "<dt>Flags</dt><dd>is superuser: no</dd>" in page


def test_a_member_target_is_named_by_number_not_by_name(organisation):
    _, client = staff_client("owner")
    member = MemberFactory(organisation=organisation, first_name="Zoë", email="zq@example.org")
    audit_record(by=None, action="subscription", summary="x", target=audit_target(member))

    page = client.get(URL).content.decode()

    assert f"Member #{member.pk}" in page
    assert "Zoë" not in page and "zq@example.org" not in page


def _listed(client, **query) -> list[str]:
    response = client.get(URL, query)
    assert response.status_code == 200
    return [row["event"].summary for row in response.context["rows"]]


def test_filters_by_action_person_chorus_dates_and_words():
    owner, client = staff_client("owner")
    other = UserFactory(username="someone-else")
    with freeze_time("2026-03-01 12:00"):
        audit_record(by=owner, action="export", summary="march export", target="p:1")
    with freeze_time("2026-04-10 12:00"):
        audit_record(by=other, action="publish", summary="april publish", target="petition:x")
        audit_record(by=None, action="retention", summary="april retention")

    assert _listed(client, action="export") == ["march export"]
    assert _listed(client, who=str(other.pk)) == ["april publish"]
    assert _listed(client, who="chorus") == ["april retention", *_chorus_rows_before()]
    assert _listed(client, since="2026-04-01", until="2026-04-10") == [
        "april retention",
        "april publish",
    ]
    assert _listed(client, until="2026-03-01") == ["march export"]
    assert _listed(client, q="PETITION:X") == ["april publish"]
    assert _listed(client, q="march") == ["march export"]


def _chorus_rows_before() -> list[str]:
    # Making the personas writes rows of its own (accounts created outside the workspace).
    return list(
        AuditEvent.objects.filter(actor__isnull=True)
        .exclude(summary="april retention")
        .order_by("-id")
        .values_list("summary", flat=True)
    )


def test_pages_of_fifty_newest_first_without_counting_the_log(django_assert_max_num_queries):
    _, client = staff_client("owner")
    AuditEvent.objects.bulk_create(
        AuditEvent(action="other", summary=f"row {n}") for n in range(PAGE_SIZE * 2 + 5)
    )

    with django_assert_max_num_queries(14) as queries:
        first = client.get(URL, {"q": "row"})
    older = client.get(URL + first.context["older_query"])
    last = client.get(URL + older.context["older_query"])
    back = client.get(URL + last.context["newer_query"])

    summaries = [r["event"].summary for r in first.context["rows"]]
    assert summaries[0] == f"row {PAGE_SIZE * 2 + 4}" and len(summaries) == PAGE_SIZE
    assert len(older.context["rows"]) == PAGE_SIZE
    assert [r["event"].summary for r in last.context["rows"]][-1] == "row 0"
    assert last.context["older_query"] == ""
    assert back.context["rows"] == older.context["rows"]
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


HOSTILE = [
    {"q": "<script>alert(1)</script>"},
    {"q": "' OR 1=1 --"},
    {"q": "%"},
    {"q": "_"},
    {"q": "x" * 10_000},
    {"q": "a\x00b"},
    {"q": "\u202eevil\u200b"},
    {"q": '=HYPERLINK("http://x")'},
    {"action": "tidy"},
    {"action": "<b>"},
    {"who": "999999999"},
    {"who": "-1"},
    {"who": "1 OR 1=1"},
    {"who": "chorus'"},
    {"since": "2026-13-45"},
    {"since": "yesterday"},
    {"until": "9999-12-31"},
    {"since": "0001-01-01", "until": "0001-01-01"},
    {"since": "2026-05-01", "until": "2026-04-01"},
    {"older": "99999999999999999999999"},
    {"older": "-5"},
    {"newer": "abc"},
    {"newer": "0"},
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_filters_get_a_clear_message_or_an_empty_list_never_a_500(query):
    _, client = staff_client("owner")
    audit_record(by=None, action="other", summary="kept")
    before = list(AuditEvent.objects.values_list("id", "summary"))

    response = client.get(URL, query)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    assert ("The search could not run" in page) or response.context["page"] is not None
    assert list(AuditEvent.objects.values_list("id", "summary")) == before


def test_a_refused_date_says_what_to_type():
    _, client = staff_client("owner")

    page = client.get(URL, {"since": "2026-13-45"}).content.decode()

    assert "Enter a date as year-month-day" in page


def test_an_old_row_stays_readable_when_its_person_and_target_are_gone(organisation):
    owner, client = staff_client("owner")
    with freeze_time(timezone.now() - timedelta(days=400)):
        audit_record(by=owner, action="role", summary="old", target="auth.user:424242")

    page = client.get(URL).content.decode()

    assert "auth.user:424242" in page and "old" in page


def test_targets_without_a_page_are_named_not_linked(roles):
    from django.contrib.auth.models import Group

    _, client = staff_client("owner")
    owner_role = Group.objects.get(name="Owner")
    audit_record(by=None, action="role", summary="x", target=audit_target(owner_role))

    page = client.get(URL).content.decode()

    assert "Role “Owner”" in page and f"auth.group:{owner_role.pk}" not in page


def test_a_query_string_that_is_not_utf8_gets_an_answer_not_a_500():
    _, client = staff_client("owner")

    response = client.get(URL + "?q=%ff%fe&action=%c3%28")

    assert response.status_code == 200


def test_actions_taken_in_the_workspace_land_in_the_log_with_who_took_them(organisation):
    owner, client = staff_client("owner")
    colleague = UserFactory(username="colleague", role="Analyst")
    petition = PetitionFactory(organisation=organisation, status="draft", slug="to-publish")

    client.post(f"/staff/people/{colleague.pk}/", {"role": "Campaigner"})
    client.post(f"/staff/petitions/{petition.pk}/publish/")

    page = client.get(URL, {"who": owner.pk}).content.decode()
    assert "Role changed: Analyst → Campaigner" in page
    assert "Published a petition" in page
    assert list(
        AuditEvent.objects.filter(actor=owner).values_list("action", "target").order_by("id")
    ) == [("role", f"auth.user:{colleague.pk}"), ("publish", audit_target(petition))]


def test_confirming_and_cancelling_an_import_in_the_workspace_name_who_did_it(
    organisation, settings, tmp_path
):
    from members.imports import member_import_create

    settings.MEMBER_IMPORT_DIR = tmp_path / "imports"
    owner, client = staff_client("owner")
    upload = member_import_create(
        organisation_id=organisation.pk,
        by=owner,
        data=b"email\nada@example.org\n",
        original_name="a.csv",
        source="a fair",
        wording="",
    )

    client.post(f"/staff/members/import/{upload.pk}/start/")
    client.post(f"/staff/members/import/{upload.pk}/cancel/")

    rows = AuditEvent.objects.filter(action="import").order_by("id")
    assert [(r.actor, r.target, r.detail.get("state")) for r in rows] == [
        (owner, audit_target(upload), None),
        (owner, audit_target(upload), "cancelled"),
    ]
