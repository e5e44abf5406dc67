"""The public signers page: the newest signers who chose to be shown, a page at a time,
never more than PUBLIC_SIGNERS_CAP of them on every page put together."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from petitions.models import Signature
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db

NAME = re.compile(r"Signer(\d{4}) S\.")


@pytest.fixture
def small_pages(settings):
    settings.PUBLIC_SIGNERS_CAP = 7
    settings.PUBLIC_SIGNERS_PAGE = 3


def _signers(petition, count, **fields):
    now = timezone.now()
    return Signature.objects.bulk_create(
        SignatureFactory.build(
            petition=petition,
            state="confirmed",
            show_name=True,
            first_name=f"Signer{n:04d}",
            last_name="Smith",
            email=f"signer{n}@example.org",
            email_key=f"signer{n}@example.org",
            confirmed_at=now - timedelta(minutes=n),
            **fields,
        )
        for n in range(count)
    )


def _names(html: str) -> set[int]:
    return {int(n) for n in NAME.findall(html)}


def _walk_pages(client, petition) -> tuple[set[int], list[str]]:
    url = reverse("petitions:signers", args=[petition.slug])
    seen, visited = set(), []
    while url:
        html = client.get(url).content.decode()
        visited.append(url)
        seen |= _names(html)
        older = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = older[1] if older else None
    return seen, visited


def test_paging_to_the_end_shows_only_the_newest_signers_up_to_the_cap(
    public_client, petition, small_pages
):
    _signers(petition, 20)

    seen, visited = _walk_pages(public_client, petition)

    assert seen == set(range(7))  # the newest seven, newest first over three pages
    assert len(visited) == 3


def test_a_page_past_the_cap_is_not_found(public_client, petition, small_pages):
    _signers(petition, 20)

    for page in (4, 40, 0):
        url = reverse("petitions:signers_page", args=[petition.slug, page])
        assert public_client.get(url).status_code == 404
    # Page one has one address only.
    url = reverse("petitions:signers_page", args=[petition.slug, 1])
    assert public_client.get(url).status_code == 404


def test_the_petition_page_shows_no_name_outside_the_newest_cap(
    public_client, petition, small_pages
):
    _signers(petition, 5)
    # Older signers, the only ones who wrote a reason: beyond the cap, never shown.
    now = timezone.now()
    SignatureFactory(
        petition=petition, state="confirmed", show_name=True, first_name="Signer9999",
        last_name="Smith", comment="An old reason.", confirmed_at=now - timedelta(days=3),
    )  # fmt: skip
    for n in range(3):
        SignatureFactory(
            petition=petition, state="confirmed", show_name=True, first_name=f"Signer{100 + n}",
            last_name="Smith", confirmed_at=now - timedelta(days=2),
        )  # fmt: skip

    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()

    assert "An old reason." not in html
    assert 9999 not in _names(html)
    assert reverse("petitions:signers", args=[petition.slug]) in html


def test_a_reason_staff_hid_is_left_out_but_the_name_stays(public_client, petition):
    SignatureFactory(
        petition=petition, state="confirmed", show_name=True, first_name="Hidden",
        comment="Something staff hid.", comment_hidden=True, confirmed_at=timezone.now(),
    )  # fmt: skip

    html = public_client.get(reverse("petitions:signers", args=[petition.slug])).content.decode()

    assert "Hidden L." in html
    assert "Something staff hid." not in html


def test_signers_who_did_not_choose_to_be_shown_or_are_unconfirmed_never_appear(
    public_client, petition
):
    SignatureFactory(petition=petition, state="confirmed", first_name="Private")
    SignatureFactory(petition=petition, state="pending", show_name=True, first_name="Waiting")
    SignatureFactory(
        petition=petition, state="invalidated", show_name=True, first_name="Struck",
        confirmed_at=timezone.now(),
    )  # fmt: skip

    html = public_client.get(reverse("petitions:signers", args=[petition.slug])).content.decode()

    assert "No one has chosen to show their name yet." in html
    for name in ("Private", "Waiting", "Struck"):
        assert name not in html


def test_a_cap_of_zero_lists_nobody(public_client, petition, settings):
    settings.PUBLIC_SIGNERS_CAP = 0
    _signers(petition, 3)

    for url in (
        reverse("petitions:signers", args=[petition.slug]),
        reverse("petitions:detail", args=[petition.slug]),
    ):
        assert _names(public_client.get(url).content.decode()) == set()


def test_the_signers_page_is_the_same_for_everyone_and_kept(public_client, petition):
    _signers(petition, 2)
    url = reverse("petitions:signers", args=[petition.slug])

    first = public_client.get(url)
    second = public_client.get(url)

    assert first.status_code == second.status_code == 200
    assert "Set-Cookie" not in first and first["ETag"] == second["ETag"]
    assert "public" in first["Cache-Control"]


def test_a_draft_petition_has_no_signers_page(public_client, organisation):
    from tests.factories import PetitionFactory

    draft = PetitionFactory(organisation=organisation, slug="a-draft", status="draft")

    assert public_client.get(reverse("petitions:signers", args=[draft.slug])).status_code == 404


def _updates(petition, count):
    from petitions.models import Update

    now = timezone.now()
    for n in range(count):
        Update.objects.create(petition=petition, title=f"Update{n:03d}", body="News.",
                              published_at=now - timedelta(days=n))  # fmt: skip


UPDATE = re.compile(r"Update(\d{3})")


def test_older_updates_are_paged_and_capped(public_client, petition, settings):
    settings.PUBLIC_UPDATES_PAGE = 3
    settings.PUBLIC_UPDATES_CAP = 7
    _updates(petition, 12)

    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()
    seen = {int(n) for n in UPDATE.findall(html)}
    url = reverse("petitions:updates_page", args=[petition.slug, 2])
    while url:
        page = public_client.get(url).content.decode()
        seen |= {int(n) for n in UPDATE.findall(page)}
        older = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = older[1] if older else None

    assert seen == set(range(7))
    assert {int(n) for n in UPDATE.findall(html)} == {0, 1, 2}
    for page in (1, 4, 9):
        url = reverse("petitions:updates_page", args=[petition.slug, page])
        assert public_client.get(url).status_code == 404


def test_a_few_updates_need_no_other_page(public_client, petition):
    _updates(petition, 2)

    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()

    assert "Older updates" not in html
    url = reverse("petitions:updates_page", args=[petition.slug, 2])
    assert public_client.get(url).status_code == 404
