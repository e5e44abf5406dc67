"""One member's page: their details, subscription, signatures and consent ledger, and the
actions staff may take on a subscription (through members.services, never a field)."""

from datetime import UTC, datetime

import pytest

from members.models import ConsentRecord, Member, Suppression
from members.selectors import mailable_members
from members.services import Consent, member_subscribe
from tests.factories import MemberFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def _url(member, action="") -> str:
    return f"/staff/members/{member.pk}/{action}"


@pytest.fixture
def member(organisation):
    member = MemberFactory(organisation=organisation, email="grace@example.org", country="DE")
    member_subscribe(
        member=member,
        consent=Consent(
            wording="Email me about this and other campaigns from Open Faces.",
            wording_version="email-2026-11",
            source="/p/stop-face-scraping/",
            at=AT,
            address_proven=True,
        ),
    )
    return member


def test_it_shows_the_members_details_status_signatures_and_ledger(owner_client, member):
    petition = PetitionFactory(organisation=member.organisation, title="Ban face scraping")
    SignatureFactory(petition=petition, member=member, state="confirmed")
    SignatureFactory(petition=PetitionFactory(), first_name="Someone else")

    page = owner_client.get(_url(member)).content.decode()

    assert "grace@example.org" in page and "Germany" in page
    assert "Subscribed since" in page and "2 Nov 2026, 10:30 UTC" in page
    assert "Ban face scraping" in page and "Someone else" not in page
    assert "Email me about this and other campaigns from Open Faces." in page
    assert "(version email-2026-11)" in page
    assert "A petition page: /p/stop-face-scraping/" in page
    assert "No mailing has been sent to this member." in page


# Session, user, second factor, permissions (the user's and the groups'), the organisation,
# the member, their suppression, their signatures with their petitions, their ledger with
# who acted, the role named in the header, and the mailings received and clicks.
MEMBER_PAGE_QUERIES = 13


def test_its_queries_are_pinned_and_do_not_grow_with_the_history(
    owner_client, member, django_assert_num_queries
):
    petition = PetitionFactory(organisation=member.organisation)
    SignatureFactory(petition=petition, member=member)
    owner_client.get(_url(member))  # the first request after signing in saves the session
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        owner_client.get(_url(member))

    for _ in range(5):
        SignatureFactory(petition=PetitionFactory(organisation=member.organisation), member=member)
        ConsentRecord.objects.create(
            member=member, action="granted", wording="w", wording_version="v", source="s", at=AT
        )
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        owner_client.get(_url(member))


def test_unsubscribing_on_request_records_the_reason_and_stops_the_mail(
    campaigner_client, campaigner, member
):
    response = campaigner_client.post(_url(member, "unsubscribe/"), {"reason": "Asked by email"})

    assert response.status_code == 302 and response["Location"] == _url(member)
    member.refresh_from_db()
    assert (member.status, member.status_reason) == (Member.Status.UNSUBSCRIBED, "Asked by email")
    withdrawal = ConsentRecord.objects.get(action="withdrawn")
    assert (withdrawal.source_kind, withdrawal.reason, withdrawal.by) == (
        "staff",
        "Asked by email",
        campaigner,
    )
    assert not mailable_members(member.organisation).exists()
    page = campaigner_client.get(_url(member)).content.decode()
    assert "Unsubscribed. No mailing will reach this address." in page
    assert "Unsubscribe on request" not in page


def test_suppressing_records_it_and_a_new_opt_in_cannot_lift_it(owner_client, member):
    owner_client.post(_url(member, "suppress/"), {"reason": "Threatened legal action"})

    suppression = Suppression.objects.get()
    assert (suppression.reason, suppression.note) == ("staff", "Threatened legal action")
    member_subscribe(
        member=member,
        consent=Consent(
            wording="w", wording_version="v", source="/p/x/", at=AT, address_proven=True
        ),
    )
    assert not mailable_members(member.organisation).exists()
    page = owner_client.get(_url(member)).content.decode()
    assert "Suppressed by staff" in page and "Threatened legal action" in page


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Say why, for the ledger"),
        ("x" * 301, "Keep the reason to 300 characters."),
        ("asked\x00", "The change was not made"),
        ("line\nbreak", "The change was not made"),
    ],
)
@pytest.mark.parametrize("action", ["unsubscribe/", "suppress/"])
def test_a_missing_or_hostile_reason_is_refused_next_to_the_field_and_changes_nothing(
    owner_client, member, action, reason, message
):
    before = (list(Member.objects.values()), list(ConsentRecord.objects.values()))

    response = owner_client.post(_url(member, action), {"reason": reason})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "The change was not made" in page
    assert 'aria-invalid="true"' in page
    assert (list(Member.objects.values()), list(ConsentRecord.objects.values())) == before
    assert not Suppression.objects.exists()


def test_a_script_in_the_reason_is_stored_as_text_and_shown_escaped(owner_client, member):
    owner_client.post(_url(member, "unsubscribe/"), {"reason": "<script>alert(1)</script>"})

    page = owner_client.get(_url(member)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unsubscribing_twice_says_so_and_writes_nothing_more(owner_client, member):
    owner_client.post(_url(member, "unsubscribe/"), {"reason": "Asked"})

    response = owner_client.post(_url(member, "unsubscribe/"), {"reason": "Again"}, follow=True)

    assert "already unsubscribed" in response.content.decode()
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 1


def test_an_analyst_sees_the_history_but_no_action_and_cannot_post_one(analyst_client, member):
    page = analyst_client.get(_url(member)).content.decode()

    assert "Consent ledger" in page and "Unsubscribe on request" not in page
    assert analyst_client.post(_url(member, "unsubscribe/"), {"reason": "x"}).status_code == 403
    assert analyst_client.post(_url(member, "suppress/"), {"reason": "x"}).status_code == 403
    member.refresh_from_db()
    assert member.status == Member.Status.SUBSCRIBED and not Suppression.objects.exists()


def test_a_signed_out_visitor_cannot_open_or_change_a_member(client, member):
    for response in (client.get(_url(member)), client.post(_url(member, "unsubscribe/"))):
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")
    member.refresh_from_db()
    assert member.status == Member.Status.SUBSCRIBED


def test_a_member_awaiting_opt_in_is_explained(owner_client, organisation):
    member = MemberFactory(organisation=organisation, status=Member.Status.PENDING)

    page = owner_client.get(_url(member)).content.decode()

    assert "Awaiting opt-in" in page and "not mailed until they confirm" in page


def test_an_unknown_member_is_not_found(owner_client, organisation):
    assert owner_client.get("/staff/members/987654/").status_code == 404
