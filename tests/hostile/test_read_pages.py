"""Pages that only show things refuse other methods: a POST gets 405 and changes nothing."""

import pytest
from django.test import Client

from tests.conftest import staff_login
from tests.hostile.targets import READ_ONLY_PAGES, table_rows, url_for, url_names, world_make


def test_every_read_only_page_is_a_url_that_exists():
    assert sorted(set(READ_ONLY_PAGES) - set(url_names())) == []


@pytest.mark.parametrize("name", READ_ONLY_PAGES)
def test_a_read_only_page_answers_get_and_refuses_post(name, petition, owner):
    world = world_make(petition, owner)
    url = url_for(name, world)
    client = Client(raise_request_exception=False)
    staff_login(client, owner)

    shown = client.get(url)
    before = table_rows()
    posted = client.post(url, {"title": "<script>x</script>", "note": "=HYPERLINK(1)"})
    deleted = client.delete(url)

    assert shown.status_code in (200, 302)  # the workspace home sends on to a list
    assert posted.status_code == deleted.status_code == 405
    assert sorted(posted["Allow"].split(", ")) == ["GET", "HEAD"]
    assert table_rows() == before
