"""lib.keyset: pages newest first, walked from an id in either direction, never counted."""

import pytest

from lib.keyset import keyset_page, keyset_rows
from members.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids():
    return sorted(member.pk for member in MemberFactory.create_batch(7))


def _page(**where):
    return keyset_page(Member.objects.all(), size=3, **where)


def test_the_first_page_is_the_newest_with_a_link_to_older(ids):
    page = _page(older_than=None, newer_than=None)

    assert page.ids == ids[:-4:-1]
    assert (page.newer_than, page.older_than) == (None, ids[4])


def test_walking_older_reaches_the_oldest_and_stops(ids):
    second = _page(older_than=ids[4], newer_than=None)
    last = _page(older_than=second.older_than, newer_than=None)

    assert second.ids == [ids[3], ids[2], ids[1]]
    assert last.ids == [ids[0]]
    assert last.older_than is None


def test_walking_newer_comes_back_the_same_way(ids):
    back = _page(older_than=None, newer_than=ids[0])

    assert back.ids == [ids[3], ids[2], ids[1]]
    assert back.newer_than == ids[3]


def test_it_counts_nothing(ids, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        _page(older_than=None, newer_than=None)

    assert "COUNT(" not in captured.captured_queries[0]["sql"].upper()


def test_keyset_rows_reads_every_row_oldest_first_a_page_at_a_time(ids, django_assert_num_queries):
    with django_assert_num_queries(3):  # 3 + 3 + 1: the short page says it was the last
        rows = list(keyset_rows(Member.objects.all(), ["id", "email"], size=3))

    assert [row[0] for row in rows] == ids
    assert all(isinstance(row[1], str) for row in rows)


def test_keyset_rows_asks_for_no_empty_page_after_a_short_one(ids, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(keyset_rows(Member.objects.filter(pk__in=ids[:2]), ["id"], size=3))

    assert rows == [(ids[0],), (ids[1],)]
