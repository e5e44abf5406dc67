"""lib.visits: petition page views by source, noted in memory and pushed to the cache."""

import pytest
from django.core.cache import cache

from lib import visits
from lib.visits import visit_key, visit_note, visits_flush, visits_push, visits_take


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(visits, "_pending", visits.Counter())
    monkeypatch.setattr(visits, "_flushed_at", 0.0)


def test_it_counts_petition_pages_by_share_tag_and_nothing_else():
    for path, query in [
        ("/p/save-the-bees/", ""),
        ("/p/save-the-bees/", "ch=whatsapp"),
        ("/p/save-the-bees/", "utm_source=x&ch=WhatsApp"),
        ("/fr/p/save-the-bees/", "ch=email"),
        ("/p/save-the-bees/", "ch=%3Cscript%3E"),  # not a tag: counted as direct
        ("/p/save-the-bees/count.json", ""),
        ("/p/save-the-bees/thanks/", ""),
        ("/staff/petitions/1/", ""),
    ]:
        visit_note(path, query, now=1.0)
    visits_flush()

    assert visits_take("save-the-bees", ["", "whatsapp", "email", "x"]) == {
        "": 2,
        "whatsapp": 2,
        "email": 1,
    }


def test_taking_empties_the_count_so_no_view_is_folded_twice():
    visits_push({("bees", ""): 3})

    assert visits_take("bees", [""]) == {"": 3}
    assert visits_take("bees", [""]) == {}
    visits_push({("bees", ""): 1})
    assert visits_take("bees", [""]) == {"": 1}


def test_it_flushes_on_its_own_every_few_seconds():
    visit_note("/p/bees/", "", now=visits.FLUSH_SECONDS + 1)  # the first flush is due
    visit_note("/p/bees/", "", now=visits.FLUSH_SECONDS + 2)  # held in memory

    assert cache.get(visit_key("bees", "")) == 1
    assert visits._pending == {("bees", ""): 1}


def test_memory_stays_bounded_under_a_flood_of_made_up_slugs(monkeypatch):
    monkeypatch.setattr(visits, "MAX_PAIRS", 10)
    for n in range(50):
        visit_note(f"/p/made-up-{n}/", "", now=1.0)

    assert len(visits._pending) == 10


def test_it_fails_open_when_the_cache_is_down(monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(cache, "get_many", down)

    visits_push({("bees", ""): 1})  # no exception
    assert visits_take("bees", [""]) == {}
    assert "could not be" in caplog.text


def test_a_widgets_views_count_per_partner_named_in_its_address():
    for query in ["partner=friends", "partner=friends", "", "partner=%00bad"]:
        visit_note("/p/bees/embed/", query, now=1.0)
    visit_note("/p/bees/embed/thanks/", "partner=friends", now=1.0)  # not a view of the ask
    visits_flush()

    assert visits_take("bees", ["widget", "widget:friends"]) == {"widget": 2, "widget:friends": 2}


def test_made_up_partners_are_bounded_apart_from_the_rest(monkeypatch):
    monkeypatch.setattr(visits, "MAX_PARTNER_PAIRS", 3)
    for n in range(10):
        visit_note("/p/bees/embed/", f"partner=made-up-{n}", now=1.0)
    visit_note("/p/bees/", "", now=1.0)

    assert len(visits._pending) == 4
    assert visits._pending[("bees", "")] == 1
