"""The member register: search by name or email, filters, keyset pages, and bad input."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Member
from tests.conftest import is_postgres
from tests.factories import MemberFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

URL = "/staff/members/"


def _names(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_it_lists_the_organisations_members_newest_first_with_their_subscription(
    owner_client, organisation
):
    MemberFactory(organisation=organisation, first_name="First", status="subscribed")
    MemberFactory(organisation=organisation, first_name="Second", status="complained")

    response = owner_client.get(URL)

    assert _names(response) == ["Second Hopper", "First Hopper"]
    page = response.content.decode()
    assert '<span class="badge badge-complained">Complained</span>' in page
    assert '<span class="badge badge-subscribed">Subscribed</span>' in page


def test_it_finds_a_member_by_the_whole_email_address_as_its_canonical_key(
    owner_client, organisation
):
    MemberFactory(organisation=organisation, email="grace.hopper@gmail.com", first_name="Found")
    MemberFactory(organisation=organisation, first_name="Other")

    response = owner_client.get(URL, {"q": "GraceHopper+petitions@googlemail.com"})

    assert _names(response) == ["Found Hopper"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("gra", ["Grace Hopper"]), ("HOP", ["Grace Hopper"]), ("grace h", ["Grace Hopper"])],
)
def test_it_finds_members_by_the_start_of_a_name(owner_client, organisation, query, expected):
    MemberFactory(organisation=organisation)
    MemberFactory(organisation=organisation, first_name="Ada", last_name="Lovelace")

    assert _names(owner_client.get(URL, {"q": query})) == expected


def test_it_filters_by_subscription_country_and_date_joined(owner_client, organisation):
    MemberFactory(organisation=organisation, first_name="Kept", country="DE", status="pending")
    MemberFactory(organisation=organisation, first_name="Wrongstatus", country="DE")
    MemberFactory(organisation=organisation, first_name="Wrongplace", status="pending")
    old = MemberFactory(
        organisation=organisation, first_name="Old", country="DE", status="pending"
    )
    Member.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    today = timezone.now().date()

    response = owner_client.get(
        URL, {"status": "pending", "country": "Germany", "joined_from": str(today)}
    )

    assert _names(response) == ["Kept Hopper"]


def test_it_shows_no_member_of_another_organisation_and_opens_none(owner_client, organisation):
    MemberFactory(organisation=organisation, first_name="Ours")
    theirs = MemberFactory(organisation=OrganisationFactory(name="Other"), first_name="Theirs")

    assert _names(owner_client.get(URL)) == ["Ours Hopper"]
    assert owner_client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_it_pages_by_keyset_with_links_that_keep_the_filters(
    owner_client, organisation, monkeypatch
):
    monkeypatch.setattr(
        "members.selectors.members_page.__kwdefaults__",
        {"older_than": None, "newer_than": None, "size": 2},
    )
    rows = [
        MemberFactory(organisation=organisation, first_name=f"M{n}", status="subscribed")
        for n in range(5)
    ]
    MemberFactory(organisation=organisation, first_name="Other")

    first = owner_client.get(URL, {"status": "subscribed"})
    assert _names(first) == ["M4 Hopper", "M3 Hopper"]
    older = re.search(r'href="(\?[^"]+)" rel="next"', first.content.decode()).group(1)
    assert older == f"?status=subscribed&amp;older={rows[3].pk}"

    second = owner_client.get(URL + older.replace("&amp;", "&"))
    assert _names(second) == ["M2 Hopper", "M1 Hopper"]
    newer = re.search(r'href="(\?[^"]+)" rel="prev"', second.content.decode()).group(1)
    back = owner_client.get(URL + newer.replace("&amp;", "&"))
    assert _names(back) == ["M4 Hopper", "M3 Hopper"]
    assert 'rel="prev"' not in back.content.decode()


# Session, user, second factor, permissions (the user's and the groups'), the organisation,
# the page's ids, its rows, the role named in the header; on PostgreSQL also the statement
# that plans the page's queries for their values, in a savepoint of its own (released after).
QUERIES = 12 if is_postgres() else 9


def test_it_never_counts_the_register_and_its_queries_do_not_grow_with_it(
    owner_client, organisation, django_assert_num_queries
):
    MemberFactory.create_batch(3, organisation=organisation)
    owner_client.get(URL)

    with django_assert_num_queries(QUERIES) as captured:
        owner_client.get(URL, {"q": "gra", "status": "none"})

    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    MemberFactory.create_batch(60, organisation=organisation)
    with django_assert_num_queries(QUERIES):
        owner_client.get(URL, {"q": "gra", "status": "none"})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"q": "<script>alert(1)</script>"}, None),
        ({"q": "a" * 101}, "at most 100 characters"),
        ({"q": "gra\x00"}, "The search could not run"),
        ({"q": "half@"}, "needs the whole address"),
        ({"joined_from": "2026-13-45"}, "Enter a date as year-month-day"),
        ({"joined_to": "yesterday"}, "Enter a date as year-month-day"),
        ({"joined_from": "2026-11-02", "joined_to": "2026-11-01"}, "comes before"),
        ({"country": "Narnia"}, "No country is called “Narnia”"),
        ({"country": "<script>alert(1)</script>"}, "No country is called"),
        ({"status": "deleted"}, "Select a valid choice"),
        ({"older": "-1", "newer": "9" * 40}, None),
    ],
)
def test_hostile_or_malformed_input_gets_a_clear_answer_never_an_error(
    owner_client, organisation, query, message
):
    MemberFactory(organisation=organisation)

    response = owner_client.get(URL, query)
    page = response.content.decode()

    assert response.status_code == 200
    assert "<script>alert" not in page
    if message:
        assert message in page
        assert "The search could not run" in page


def test_an_empty_register_says_how_members_arrive(owner_client, organisation):
    page = owner_client.get(URL).content.decode()

    assert "No members yet" in page
    assert "confirm a signature" in page


@pytest.mark.parametrize("persona", ["owner_client", "campaigner_client", "analyst_client"])
def test_every_role_can_search_members(persona, organisation, request):
    MemberFactory(organisation=organisation)
    client = request.getfixturevalue(persona)

    assert _names(client.get(URL, {"q": "gra"})) == ["Grace Hopper"]


def test_a_signed_out_visitor_is_sent_to_sign_in(client, organisation):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/staff/login/?next={URL}"


def test_the_members_section_is_in_every_roles_menu(analyst_client, organisation):
    page = analyst_client.get("/staff/petitions/").content.decode()

    assert 'href="/staff/members/"' in page
