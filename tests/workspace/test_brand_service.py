"""orgs.brand's services: the rules hold for every caller, not only the workspace's form."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from lib.images import ImageRefused
from orgs.brand import (
    ORGANISATION_CACHE_KEY,
    BrandRefused,
    logo_prepare,
    organisation_brand_update,
    organisation_current,
)
from orgs.models import Organisation

pytestmark = pytest.mark.django_db


def _row(organisation) -> dict:
    return Organisation.objects.filter(pk=organisation.pk).values().get()


def test_a_failing_colour_is_refused_whoever_calls(organisation, owner):
    before = _row(organisation)

    with pytest.raises(BrandRefused) as refused:
        organisation_brand_update(
            organisation=organisation,
            data={"name": "New", "primary_colour": "#ffcc00"},
            by=owner,
        )

    assert "Try #866b00" in refused.value.message_dict["primary_colour"][0]
    assert _row(organisation) == before


def test_a_value_the_model_refuses_leaves_the_row_and_the_object_as_they_were(organisation, owner):
    before = _row(organisation)

    with pytest.raises(BrandRefused) as refused:
        organisation_brand_update(
            organisation=organisation,
            data={"name": "New", "privacy_email": "nobody"},
            by=owner,
        )

    assert list(refused.value.message_dict) == ["privacy_email"]
    assert _row(organisation) == before
    assert organisation.name == "Open Faces Alliance"


def test_it_takes_only_the_brands_fields(organisation, owner):
    with pytest.raises(ValueError, match="created_at"):
        organisation_brand_update(organisation=organisation, data={"created_at": None}, by=owner)


def test_it_stores_the_colour_in_its_one_spelling(organisation, owner):
    organisation_brand_update(
        organisation=organisation, data={"primary_colour": "#5B2A86"}, by=owner
    )

    assert _row(organisation)["primary_colour"] == "#5b2a86"


def test_the_database_refuses_a_colour_that_is_not_hex(organisation):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=organisation.pk).update(primary_colour="red;}")


def test_a_change_is_forgotten_by_the_shared_cache_now_and_after_commit(
    organisation, owner, django_capture_on_commit_callbacks
):
    assert organisation_current().name == "Open Faces Alliance"

    with django_capture_on_commit_callbacks() as callbacks:
        organisation_brand_update(organisation=organisation, data={"name": "Renamed"}, by=owner)
        assert cache.get(ORGANISATION_CACHE_KEY) is None
        assert organisation_current().name == "Renamed"

    cache.set(ORGANISATION_CACHE_KEY, "a page rendered before the commit")
    for callback in callbacks:
        callback()
    assert cache.get(ORGANISATION_CACHE_KEY) is None


@pytest.mark.parametrize(
    ("size", "kept"),
    [((300, 100), (300, 100)), ((4000, 1000), (800, 200)), ((500, 2000), (60, 240))],
)
def test_a_logo_is_scaled_into_its_box_keeping_its_shape(size, kept):
    content = io.BytesIO()
    Image.new("RGB", size, (91, 42, 134)).save(content, "JPEG")

    prepared = logo_prepare(SimpleUploadedFile("logo.jpg", content.getvalue()))

    image = Image.open(prepared)
    assert (image.format, image.size) == ("JPEG", kept)


def test_a_gif_logo_is_kept_as_a_png_of_its_first_frame():
    content = io.BytesIO()
    Image.new("P", (40, 20)).save(content, "GIF")

    prepared = logo_prepare(SimpleUploadedFile("logo.gif", content.getvalue()))

    assert Image.open(prepared).format == "PNG"
    assert prepared.name.endswith(".png")


def test_an_svg_logo_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'

    with pytest.raises(ImageRefused) as refused:
        logo_prepare(SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml"))

    assert refused.value.code == "not_an_image"
