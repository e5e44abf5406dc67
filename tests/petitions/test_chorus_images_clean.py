"""manage.py chorus_images_clean: images stored before uploads were cleaned lose their metadata."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image

from petitions.models import Petition
from tests.petitions.test_image_upload import _metadata_left, _photo_with_position

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_it_re_encodes_an_image_stored_with_its_gps_position(petition, media_root):
    petition.image.save("IMG_2041.jpg", ContentFile(_photo_with_position()))
    old = media_root / petition.image.name
    assert "SnoopCam" in _metadata_left(old.read_bytes())

    call_command("chorus_images_clean", stdout=io.StringIO())

    petition = Petition.objects.get(pk=petition.pk)
    new = media_root / petition.image.name
    assert not old.exists()
    assert _metadata_left(new.read_bytes()) == []
    assert Image.open(new).size == (80, 120)


def test_a_stored_file_that_is_not_an_image_is_left_and_reported(petition, media_root):
    petition.image.save("page.jpg", ContentFile(b"<html></html>"))
    err = io.StringIO()

    call_command("chorus_images_clean", stdout=io.StringIO(), stderr=err)

    assert "left as it is" in err.getvalue()
    assert (media_root / Petition.objects.get(pk=petition.pk).image.name).exists()
