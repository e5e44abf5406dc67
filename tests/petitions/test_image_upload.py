"""Uploaded images are served without the metadata a camera or phone put in them.

A petition's image is public. A photo from a phone carries where it was taken and with
what; every upload is re-encoded from its pixels, bounded in size and pixel count, and
its type is read from its content. Hostile files get a clear error and store nothing.
"""

import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from chorus import urls
from lib.forms import CleanImageField
from petitions.forms import PETITION_IMAGE_FIT, PetitionAdminForm, PetitionForm
from petitions.models import Petition
from tests.factories import PetitionFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client():
    """The admin is for superusers; the workspace's petition pages serve the roles."""
    return staff_client("superuser")[1]


GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION, DATETIME_ORIGINAL = 0x010F, 0x0110, 0x0112, 0x9003
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="SnoopEdit 3"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _photo_with_position(fmt: str = "JPEG", size=(120, 80)) -> bytes:
    """What a phone uploads: a camera make and model, a time, a GPS position, XMP notes."""
    image = Image.new("RGB", size, (30, 120, 60))
    exif = Image.Exif()
    exif[MAKE] = "SnoopCam"
    exif[MODEL] = "Pocket 9"
    exif[ORIENTATION] = 6  # taken sideways: shown turned a quarter clockwise
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    content = io.BytesIO()
    image.save(content, fmt, exif=exif, xmp=XMP)
    return content.getvalue()


def _png(size=(40, 30), mode="RGB") -> bytes:
    content = io.BytesIO()
    Image.new(mode, size).save(content, "PNG")
    return content.getvalue()


def _metadata_left(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    found = []
    if dict(image.getexif()):
        found.append("EXIF tags")
    for marker in (b"Exif", b"GPS", b"SnoopCam", b"Pocket 9", b"http://ns.adobe.com/xap"):
        if marker in data:
            found.append(marker.decode())
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "photoshop", "icc_profile", "comment"):
        if key in image.info:
            found.append(f"info[{key}]")
    return found


@pytest.fixture
def media_root(settings, tmp_path, monkeypatch):
    """Uploads go to a fresh folder, and /media/ serves from it.

    chorus/urls.py hands MEDIA_ROOT to the static file view when it is imported, so the
    test points that route at the same folder.
    """
    settings.MEDIA_ROOT = str(tmp_path)
    [media] = [p for p in urls.urlpatterns if str(p.pattern).startswith("media/")]
    monkeypatch.setitem(media.default_args, "document_root", str(tmp_path))
    return tmp_path


def _stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def _upload(client, petition, filename: str, data: bytes):
    form = {
        "organisation": petition.organisation_id,
        "title": petition.title,
        "slug": petition.slug,
        "target": petition.target,
        "summary": petition.summary,
        "story": petition.story,
        "language": "en",
        "image": SimpleUploadedFile(filename, data),
        "image_alt": "Faces in a crowd",
        "status": petition.status,
        "require_confirmation": "on",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
    }
    return client.post(reverse("admin:petitions_petition_change", args=[petition.pk]), form)


def test_the_served_image_has_no_gps_position_camera_or_xmp(
    operator_client, public_client, petition, media_root
):
    photo = _photo_with_position()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)  # the test's own premise
    assert "SnoopCam" in _metadata_left(photo)

    response = _upload(operator_client, petition, "IMG_2041 at home.jpg", photo)

    assert response.status_code == 302, response.content[:3000]
    petition.refresh_from_db()
    served = public_client.get(petition.image.url)
    assert served.status_code == 200
    data = b"".join(served.streaming_content)
    assert _metadata_left(data) == []
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (80, 120)  # turned upright before the orientation tag was dropped
    # A new name: the original one can say who took the photo, and where.
    assert "IMG_2041" not in petition.image.name and "home" not in petition.image.name
    assert petition.image.name.endswith(".jpg")


def test_the_petition_page_links_the_cleaned_image(
    operator_client, public_client, petition, media_root
):
    _upload(operator_client, petition, "photo.jpg", _photo_with_position())
    petition.refresh_from_db()

    page = public_client.get(petition.get_absolute_url())

    assert petition.image.url.encode() in page.content


@pytest.mark.parametrize(("fmt", "extension"), [("PNG", "png"), ("WEBP", "webp"), ("GIF", "png")])
def test_each_accepted_format_is_stored_cleaned_under_its_own_type(
    operator_client, public_client, petition, media_root, fmt, extension
):
    photo = _photo_with_position(fmt)

    response = _upload(operator_client, petition, f"photo.{fmt.lower()}", photo)

    assert response.status_code == 302, response.content[:3000]
    petition.refresh_from_db()
    assert petition.image.name.endswith(f".{extension}")
    data = b"".join(public_client.get(petition.image.url).streaming_content)
    assert _metadata_left(data) == []


def test_a_png_named_jpg_is_stored_as_the_png_it_is(
    operator_client, public_client, petition, media_root
):
    response = _upload(operator_client, petition, "photo.jpg", _png())

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.image.name.endswith(".png")
    data = b"".join(public_client.get(petition.image.url).streaming_content)
    assert Image.open(io.BytesIO(data)).format == "PNG"


def _bomb_png() -> bytes:
    """A few hundred kilobytes that decode to 400 million pixels."""
    content = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(content, "PNG")
    return content.getvalue()


def _too_many_pixels_png() -> bytes:
    content = io.BytesIO()
    Image.new("1", (8_000, 6_000)).save(content, "PNG")
    return content.getvalue()


HOSTILE_UPLOADS = {
    "html renamed .jpg": (
        "photo.jpg",
        lambda: b"<!doctype html><script>alert(document.cookie)</script>",
        "not a JPEG, PNG, WebP or GIF image",
    ),
    "svg": (
        "photo.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG and other vector images are not accepted",
    ),
    "svg renamed .png": (
        "photo.png",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "not a JPEG, PNG, WebP or GIF image",
    ),
    "decompression bomb": ("bomb.png", _bomb_png, "more than 40 million pixels"),
    "over the pixel bound": ("big.png", _too_many_pixels_png, "more than 40 million pixels"),
    "truncated jpeg": (
        "cut.jpg",
        lambda: _photo_with_position(size=(400, 300))[:-600],
        "damaged or incomplete",
    ),
    "truncated png": ("cut.png", lambda: _png((300, 200))[:-40], "damaged or incomplete"),
    "over 8 MB": ("huge.png", lambda: _png() + b"\0" * (8 * 1024 * 1024), "larger than 8 MB"),
    "a tiff (a format not accepted)": (
        "scan.jpg",
        lambda: _saved(Image.new("RGB", (20, 20)), "TIFF"),
        "not a JPEG, PNG, WebP or GIF image",
    ),
    "empty": ("empty.jpg", lambda: b"", "empty"),
}


def _saved(image, fmt) -> bytes:
    content = io.BytesIO()
    image.save(content, fmt)
    return content.getvalue()


@pytest.mark.parametrize(
    ("filename", "make", "message"), HOSTILE_UPLOADS.values(), ids=HOSTILE_UPLOADS.keys()
)
def test_a_hostile_upload_gets_a_clear_error_and_nothing_is_stored(
    operator_client, petition, media_root, filename, make, message
):
    response = _upload(operator_client, petition, filename, make())

    assert response.status_code == 200  # the form again, with its error
    assert message in response.content.decode()
    assert _stored_files(media_root) == []
    assert not Petition.objects.get(pk=petition.pk).image


# Every upload path: each file column of each model is cleaned by every staff form for it.


def _staff_forms():
    request = RequestFactory().get("/")
    request.user = User(is_staff=True, is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin.get_form(request)
        for inline in model_admin.get_inline_instances(request):
            yield inline.model, inline.get_formset(request).form


def _file_columns():
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                yield model, field.name


def test_there_is_a_file_column_to_check():
    assert (Petition, "image") in list(_file_columns())


@pytest.mark.parametrize(
    ("model", "name"), list(_file_columns()), ids=lambda v: getattr(v, "__name__", v)
)
def test_every_file_column_is_cleaned_by_the_staff_form_that_takes_it(model, name):
    forms_for_it = [form for m, form in _staff_forms() if m is model and name in form.base_fields]
    assert forms_for_it, f"{model.__name__}.{name} has no staff form: where does it come from?"
    for form in forms_for_it:
        field = form.base_fields[name]
        assert isinstance(field, CleanImageField), f"{form.__name__}.{name} is not cleaned"
        cleaned = field.clean(SimpleUploadedFile("photo.jpg", _photo_with_position()))
        assert _metadata_left(cleaned.read()) == []


def test_a_petition_keeps_its_image_when_the_form_is_saved_without_a_new_one(
    operator_client, petition, media_root
):
    _upload(operator_client, petition, "photo.jpg", _photo_with_position())
    petition.refresh_from_db()
    stored = petition.image.name

    form = {
        "organisation": petition.organisation_id,
        "title": "A sharper ask",
        "slug": petition.slug,
        "target": petition.target,
        "summary": petition.summary,
        "story": petition.story,
        "language": "en",
        "image_alt": "Faces in a crowd",
        "status": petition.status,
        "require_confirmation": "on",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
    }
    response = operator_client.post(
        reverse("admin:petitions_petition_change", args=[petition.pk]), form
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.image.name == stored


def test_a_draft_without_an_image_still_saves(operator_client, organisation, media_root):
    draft = PetitionFactory(organisation=organisation, status=Petition.Status.DRAFT)

    response = _upload(operator_client, draft, "photo.jpg", _photo_with_position())

    assert response.status_code == 302


@pytest.mark.parametrize("form", [PetitionForm, PetitionAdminForm], ids=lambda f: f.__name__)
def test_a_large_photo_is_stored_no_larger_than_the_page_needs(form):
    content = io.BytesIO()
    Image.new("RGB", (4000, 2000), (20, 90, 40)).save(content, "JPEG")

    cleaned = form.base_fields["image"].clean(SimpleUploadedFile("big.jpg", content.getvalue()))

    width, height = Image.open(io.BytesIO(cleaned.read())).size
    assert (width, height) == (PETITION_IMAGE_FIT, PETITION_IMAGE_FIT // 2)
