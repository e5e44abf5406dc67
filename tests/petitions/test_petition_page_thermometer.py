"""The thermometer: visible from the first signature, with its goal and words for it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from petitions.models import Petition, PetitionCount

pytestmark = pytest.mark.django_db

CSS = Path(settings.BASE_DIR) / "static" / "chorus" / "chorus.css"


def _fill_classes(public_client, petition, count: int, goal: int) -> list[str]:
    Petition.objects.filter(pk=petition.pk).update(goal=goal)
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=count)
    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()
    fill = re.search(r'<span class="([^"]*)" data-bar-fill>', html)
    assert fill, "no thermometer fill on the page"
    return fill[1].split()


def test_one_signature_of_a_big_goal_still_shows_a_fill(public_client, petition):
    classes = _fill_classes(public_client, petition, count=1, goal=100_000)

    assert classes == ["w-0", "started"]
    minimum = re.search(r"\.bar span\.started\s*{\s*min-width:\s*([\d.]+)rem", CSS.read_text())
    assert minimum and float(minimum[1]) >= 0.5, "a started bar needs a visible minimum width"


def test_no_signature_shows_an_empty_bar(public_client, petition):
    assert _fill_classes(public_client, petition, count=0, goal=100) == ["w-0"]


def test_the_bar_says_in_words_how_far_it_is_and_shows_the_goal(public_client, petition):
    Petition.objects.filter(pk=petition.pk).update(goal=2_000)
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=1_234)

    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()

    assert 'aria-valuetext="1,234 of 2,000 signatures"' in html
    assert re.search(r"Goal <span data-goal>2,000</span>", html)
    assert '<span class="w-62 started" data-bar-fill>' in html
