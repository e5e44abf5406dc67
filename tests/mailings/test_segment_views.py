"""The segment builder, its count endpoint, the list and delete, as each role meets them,
and what hostile input gets: a clear message, nothing stored, never a 500."""

import json

import pytest
from django.urls import reverse

from mailings.models import Mailing, Segment
from tests.factories import (
    MailingFactory,
    MemberFactory,
    OrganisationFactory,
    PetitionFactory,
    SignatureFactory,
)
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

COUNT = reverse("staff:segment_count")
NEW = reverse("staff:segment_new")
LIST = reverse("staff:segments")


@pytest.fixture
def register(organisation):
    """Three members: two Germans (one subscribed), one Briton who signed the petition."""
    petition = PetitionFactory(organisation=organisation)
    MemberFactory(organisation=organisation, first_name="Bea", country="DE", status="subscribed")
    MemberFactory(organisation=organisation, first_name="Cal", country="DE", status="none")
    ada = MemberFactory(organisation=organisation, first_name="Ada", country="GB")
    SignatureFactory(petition=petition, member=ada, email=ada.email, state="confirmed")
    return petition


def _count(client, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(COUNT, body, content_type="application/json", **extra)


def _rows(*conditions, total=3) -> dict:
    data = {
        "c-TOTAL_FORMS": str(total),
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "20",
    }
    for index, condition in enumerate(conditions):
        for key, value in condition.items():
            data[f"c-{index}-{key}"] = value
    return data


def _form(name="Germans", match="all", action="save", *conditions, total=3) -> dict:
    return {"name": name, "match": match, "action": action, **_rows(*conditions, total=total)}


GERMANS = {"kind": "country_in", "countries": "Germany"}


# ---- The count endpoint ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["owner", "campaigner", "analyst", "superuser"])
def test_every_role_that_views_segments_gets_a_count(register, persona):
    _, client = staff_client(persona)

    response = _count(
        client, {"definition": {"match": "all", "conditions": [GERMANS | {"countries": ["DE"]}]}}
    )

    assert response.status_code == 200
    assert response.json() == {"count": 2, "mailable": 1}


def test_a_colleague_without_the_view_permission_gets_no_count(register):
    _, client = staff_client("view_only")

    response = _count(client, {"definition": {"match": "all", "conditions": []}})

    assert response.status_code == 403


def test_the_count_endpoint_takes_only_post(register):
    _, client = staff_client("analyst")

    assert client.get(COUNT).status_code == 405


def test_the_count_endpoint_needs_the_csrf_token(register):
    user, _ = staff_client("campaigner")
    from django.test import Client

    from tests.conftest import staff_login

    client = staff_login(Client(enforce_csrf_checks=True), user)

    response = _count(client, {"definition": {"match": "all", "conditions": []}})

    assert response.status_code == 403


def test_a_saved_segment_is_counted_by_its_id_within_the_organisation(register, organisation):
    _, client = staff_client("analyst")
    ours = Segment.objects.create(
        organisation=organisation,
        name="Germans",
        definition={"match": "all", "conditions": [{"kind": "country_in", "countries": ["DE"]}]},
    )
    theirs = Segment.objects.create(organisation=OrganisationFactory(), name="Theirs")

    assert _count(client, {"segment": ours.pk}).json() == {"count": 2, "mailable": 1}
    assert _count(client, {"segment": theirs.pk}).status_code == 404
    assert _count(client, {"segment": "1 OR 1=1"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The request was not valid JSON."),
        (b"\xff\xfe\x00", "The request was not valid JSON."),
        ("[1, 2]", "The request must be an object with a definition."),
        ({"definition": "SELECT * FROM members_member"}, "must be an object"),
        ({"definition": {"match": "all", "conditions": [{"kind": "raw_sql"}]}}, "Condition 1"),
        (
            {
                "definition": {
                    "match": "all",
                    "conditions": [{"kind": "signed", "petition": "=1+1"}],
                }
            },
            "Condition 1: choose a petition.",
        ),
        (
            {
                "definition": {
                    "match": "all",
                    "conditions": [{"kind": "country_in", "countries": "<script>"}],
                }
            },
            "no country is called “<script>”",
        ),
        ({"definition": {"match": "all", "conditions": [GERMANS] * 21}}, "at most 20 conditions"),
    ],
)
def test_malformed_requests_get_their_reasons_as_json(register, body, message):
    _, client = staff_client("campaigner")

    response = _count(client, body)

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"])


def test_an_overlong_body_is_refused_before_it_is_read(register):
    _, client = staff_client("campaigner")

    response = _count(client, json.dumps({"definition": {"padding": "x" * 70_000}}))

    assert response.status_code == 413
    assert response.json() == {"errors": ["The definition is too long."]}


def test_another_organisations_petition_counts_as_absent(register):
    _, client = staff_client("campaigner")
    theirs = PetitionFactory(organisation=OrganisationFactory(name="Elsewhere"))

    response = _count(
        client,
        {
            "definition": {
                "match": "all",
                "conditions": [{"kind": "signed", "petition": theirs.pk}],
            }
        },
    )

    assert response.json() == {"errors": ["Condition 1: that petition does not exist (any more)."]}


# ---- The builder ------------------------------------------------------------------------


def test_the_builder_shows_condition_rows_and_the_count_button(register):
    _, client = staff_client("campaigner")

    page = client.get(NEW).content.decode()

    assert page.count("data-row") >= 3
    assert 'name="action" value="count"' in page
    assert "staff-segments.js" in page


def test_count_without_script_shows_the_count_and_keeps_what_was_typed(register):
    _, client = staff_client("campaigner")

    response = client.post(NEW, _form("Germans", "all", "count", GERMANS))

    page = response.content.decode()
    assert response.status_code == 200
    assert "data-count>2</strong> members match" in page
    assert "1</span> of them can be mailed" in page
    assert 'value="Germany"' in page
    assert Segment.objects.count() == 0


def test_save_stores_the_segment_in_normal_form_and_returns_to_the_list(register, organisation):
    user, client = staff_client("campaigner")
    signed = {"kind": "signed", "petition": str(register.pk), "negate": "on"}

    response = client.post(
        NEW, _form("Germans who did not sign", "all", "save", GERMANS, {}, signed)
    )

    assert response.status_code == 302 and response["Location"] == LIST
    segment = Segment.objects.get()
    assert segment.organisation == organisation and segment.created_by == user
    assert segment.definition == {
        "match": "all",
        "conditions": [
            {"kind": "country_in", "negate": False, "countries": ["DE"]},
            {"kind": "signed", "negate": True, "petition": register.pk},
        ],
    }
    assert "Germans who did not sign" in client.get(LIST).content.decode()


def test_editing_shows_the_saved_conditions_and_saves_changes(register, organisation):
    _, client = staff_client("owner")
    segment = Segment.objects.create(
        organisation=organisation,
        name="Germans",
        definition={
            "match": "all",
            "conditions": [{"kind": "country_in", "negate": False, "countries": ["DE"]}],
        },
    )
    url = reverse("staff:segment_edit", args=[segment.pk])

    assert 'value="DE"' in client.get(url).content.decode()

    response = client.post(
        url, _form("Britons", "any", "save", {"kind": "country_in", "countries": "GB"})
    )

    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "Britons" and segment.definition["conditions"][0]["countries"] == ["GB"]


def test_a_segment_of_another_organisation_is_not_found(register):
    _, client = staff_client("owner")
    theirs = Segment.objects.create(organisation=OrganisationFactory(), name="Theirs")

    assert client.get(reverse("staff:segment_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("staff:segment_delete", args=[theirs.pk])).status_code == 404
    assert Segment.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_form("", "all", "save", GERMANS), "Give the segment a name to save it."),
        (_form("x" * 201, "all", "save", GERMANS), "Keep the name to 200 characters."),
        (_form("Line\nbreak", "all", "save", GERMANS), "Please keep it on one line."),
        (_form("Germans", "most", "save", GERMANS), "Choose all or any."),
        (
            _form("Germans", "all", "save", {"kind": "country_in", "countries": "=HYPERLINK(1)"}),
            "no country is called “=HYPERLINK(1)”",
        ),
        (
            _form("Germans", "all", "save", {"kind": "signed", "petition": "99999"}),
            "Choose a petition from the list.",
        ),
        (
            _form("Germans", "all", "save", {"kind": "signed_recent", "days": "-5"}),
            "Give a number of days from 1 to 3650.",
        ),
        (
            _form(
                "Germans", "all", "save", {"kind": "joined_between", "joined_from": "31/12/2026"}
            ),
            "year-month-day",
        ),
        (
            _form("Germans", "all", "save", {"kind": "DROP TABLE"}),
            "Choose a condition from the list.",
        ),
        (_form("Germans", "all", "save", GERMANS, total=1000), "at most 20 conditions"),
        ({"name": "Germans", "match": "all", "action": "save"}, "The form was incomplete."),
    ],
)
def test_hostile_or_malformed_forms_say_why_and_store_nothing(register, data, message):
    _, client = staff_client("campaigner")

    response = client.post(NEW, data)

    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert message.lower() in page.lower()
    assert Segment.objects.count() == 0


def test_another_organisations_petition_cannot_be_chosen(register):
    _, client = staff_client("campaigner")
    theirs = PetitionFactory(organisation=OrganisationFactory(name="Elsewhere"))

    response = client.post(
        NEW, _form("X", "all", "save", {"kind": "signed", "petition": str(theirs.pk)})
    )

    assert response.status_code == 400
    assert Segment.objects.count() == 0


def test_a_script_in_the_name_is_stored_as_typed_and_shown_as_text(register):
    _, client = staff_client("campaigner")
    name = '<script>alert("x")</script> =cmd|"/c calc"!A1'

    client.post(NEW, _form(name, "all", "save", GERMANS))

    assert Segment.objects.get().name == name
    page = client.get(LIST).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_a_duplicate_name_is_refused(register, organisation):
    _, client = staff_client("campaigner")
    Segment.objects.create(organisation=organisation, name="Germans")

    response = client.post(NEW, _form("GERMANS", "all", "save", GERMANS))

    assert response.status_code == 400
    assert "a segment called “GERMANS” exists already" in response.content.decode()
    assert Segment.objects.count() == 1


# ---- The list -------------------------------------------------------------------------


def test_the_list_describes_each_segment_and_counts_when_asked(register, organisation):
    _, client = staff_client("analyst")
    Segment.objects.create(
        organisation=organisation,
        name="Signers",
        definition={
            "match": "all",
            "conditions": [{"kind": "signed", "negate": False, "petition": register.pk}],
        },
    )

    plain = client.get(LIST).content.decode()
    counted = client.get(LIST + "?count=1").content.decode()

    assert f"Signed “{register.title}”" in plain
    assert 'data-segment-count="' in plain and "Count every segment" in plain
    assert '<td class="num" data-label="Members"' in counted
    assert ">1</td>" in counted


def test_an_analyst_sees_the_list_but_cannot_open_the_builder(register, organisation):
    _, client = staff_client("analyst")
    segment = Segment.objects.create(organisation=organisation, name="Everyone")

    page = client.get(LIST).content.decode()

    assert "New segment" not in page
    assert reverse("staff:segment_edit", args=[segment.pk]) not in page
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _form("Mine", "all", "save", GERMANS)).status_code == 403
    assert client.post(reverse("staff:segment_delete", args=[segment.pk])).status_code == 403
    assert Segment.objects.count() == 1


@pytest.mark.parametrize("persona", ["owner", "campaigner"])
def test_owners_and_campaigners_build_and_delete(register, organisation, persona):
    _, client = staff_client(persona)

    assert client.post(NEW, _form(f"By {persona}", "all", "save", GERMANS)).status_code == 302
    segment = Segment.objects.get()
    assert client.get(reverse("staff:segment_delete", args=[segment.pk])).status_code == 200
    response = client.post(reverse("staff:segment_delete", args=[segment.pk]))
    assert response.status_code == 302 and not Segment.objects.exists()


def test_delete_is_refused_while_an_unsent_mailing_needs_the_segment(register, organisation):
    _, client = staff_client("owner")
    segment = Segment.objects.create(organisation=organisation, name="Everyone")
    MailingFactory(
        organisation=organisation,
        segment=segment,
        name="Spring appeal",
        state=Mailing.State.SCHEDULED,
    )
    url = reverse("staff:segment_delete", args=[segment.pk])

    page = client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert "Spring appeal (scheduled)" in page and "Delete the segment</button>" not in page
    assert "will be sent to this segment" in response.content.decode()
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_the_list_costs_the_same_few_queries_however_many_segments(
    register, organisation, django_assert_max_num_queries
):
    _, client = staff_client("analyst")
    client.get(LIST)  # the session and permissions, cached
    for number in range(30):
        Segment.objects.create(
            organisation=organisation,
            name=f"Segment {number}",
            definition={
                "match": "all",
                "conditions": [{"kind": "signed", "negate": False, "petition": register.pk}],
            },
        )

    with django_assert_max_num_queries(12):
        page = client.get(LIST).content.decode()

    assert page.count("data-segment-count=") == 30


def test_a_count_too_slow_says_so_everywhere(register, organisation, monkeypatch):
    import staff.views.segments as views
    from mailings.segments import SegmentCountTooSlow

    def too_slow(**kwargs):
        raise SegmentCountTooSlow

    monkeypatch.setattr(views, "segment_counts", too_slow)
    _, client = staff_client("campaigner")
    Segment.objects.create(organisation=organisation, name="Everyone")

    endpoint = _count(client, {"definition": {"match": "all", "conditions": []}})
    builder = client.post(NEW, _form("Germans", "all", "count", GERMANS))
    listed = client.get(LIST + "?count=1")

    assert endpoint.status_code == 503 and "took too long" in endpoint.json()["errors"][0]
    assert builder.status_code == 200 and "Counting took too long" in builder.content.decode()
    assert "Too slow to count" in listed.content.decode()
