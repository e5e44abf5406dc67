"""The workspace's member page lists the mailings a member received and the links they clicked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailings import history
from mailings.models import Click
from tests.conftest import staff_login
from tests.factories import MailingFactory, MemberFactory, RecipientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(organisation):
    return MemberFactory(organisation=organisation, email="grace@example.org")


def _received(member, name, *, minutes_ago=0, **fields):
    mailing = MailingFactory(
        organisation=member.organisation, name=name, links=["https://news.example.org/a"]
    )
    return RecipientFactory(
        mailing=mailing,
        member=member,
        sent_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def _page(client, member) -> str:
    response = client.get(f"/staff/members/{member.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_lists_each_mailing_with_what_came_of_it(owner_client, member):
    now = timezone.now()
    clicked = _received(member, "June appeal", minutes_ago=5, clicks=2, first_clicked_at=now)
    Click.objects.create(recipient=clicked, link=0, at=now)
    _received(member, "May update", minutes_ago=50, signed_at=now)
    _received(member, "April news", minutes_ago=500, bounced_at=now, bounce_kind="soft")
    _received(member, "March <script>", minutes_ago=5000, unsubscribed_at=now)
    RecipientFactory(member=member, mailing__organisation=member.organisation)  # not sent yet
    page = _page(owner_client, member)
    assert "4 mailings received." in page
    assert page.index("June appeal") < page.index("May update") < page.index("April news")
    assert "2 clicks, first" in page
    assert "Bounced (soft)" in page and "Unsubscribed" in page
    assert "March &lt;script&gt;" in page and "March <script>" not in page
    assert "https://news.example.org/a" in page


def test_an_analyst_sees_the_history_too(analyst, member):
    from django.test import Client

    _received(member, "June appeal")
    assert "June appeal" in _page(staff_login(Client(), analyst), member)


def test_the_list_is_capped_and_says_how_many_in_all(owner_client, member, monkeypatch):
    monkeypatch.setattr(history, "MAILINGS_SHOWN", 3)
    for n in range(5):
        _received(member, f"Mailing number {n}", minutes_ago=n)
    page = _page(owner_client, member)
    assert "5 mailings received; the latest 3 are shown." in page
    assert "Mailing number 2" in page and "Mailing number 3" not in page


def test_another_members_mailings_are_not_shown(owner_client, member):
    other = MemberFactory(organisation=member.organisation)
    _received(other, "Someone else's mailing")
    page = _page(owner_client, member)
    assert "Someone else" not in page
    assert "No mailing has been sent to this member." in page
    assert "No click on a mailing’s link." in page
