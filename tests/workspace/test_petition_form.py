"""Creating and editing a petition in the workspace: nothing typed or uploaded is lost."""

import io
import os
import re
import time
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petitions.models import Petition, PetitionEvent
from petitions.pending_images import pending_images_prune
from petitions.services import petition_publish
from tests.factories import PetitionFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

NEW = "/staff/petitions/new/"


def _edit(petition) -> str:
    return f"/staff/petitions/{petition.pk}/edit/"


def _jpeg(size=(64, 48)) -> bytes:
    content = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(content, "JPEG")
    return content.getvalue()


def _form(**overrides) -> dict:
    data = {
        "title": "Keep the night buses running",
        "target": "The city transport board",
        "summary": "Night workers need a way home.",
        "story": "Cleaners, nurses and cooks **rely** on them.",
        "image_alt": "",
        "goal_mode": "auto",
        "fixed_goal": "",
        "require_confirmation": "on",
        "delivery_fields": ["name", "country"],
        "language": "en",
        "slug": "",
        "kept_image": "",
        "sources-TOTAL_FORMS": "3",
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "30",
    }
    for n in range(3):
        for field in ("title", "publisher", "url", "published_on"):
            data[f"sources-{n}-{field}"] = ""
    data.update(overrides)
    return data


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def campaigner_client(db):
    return staff_client("campaigner")[1]


def _value(page: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert match, f"no field {name}"
    tag = match.group(0)
    if tag.startswith("<textarea"):
        rest = page[match.end() :]
        return unescape(rest[: rest.index("</textarea>")]).strip()
    value = re.search(r'value="([^"]*)"', tag)
    return unescape(value.group(1)) if value else ""


class TestWhoMay:
    @pytest.mark.parametrize("persona", ["owner", "campaigner"])
    def test_owners_and_campaigners_open_the_form(self, persona, organisation):
        _, client = staff_client(persona)

        assert client.get(NEW).status_code == 200

    def test_an_analyst_is_refused_the_form_and_cannot_post_it(self, organisation):
        _, client = staff_client("analyst")

        assert client.get(NEW).status_code == 403
        assert client.post(NEW, _form()).status_code == 403
        assert not Petition.objects.exists()

    def test_an_analyst_cannot_edit(self, organisation):
        petition = PetitionFactory(organisation=organisation)
        _, client = staff_client("analyst")

        assert client.get(_edit(petition)).status_code == 403
        assert client.post(_edit(petition), _form(title="Hijacked")).status_code == 403
        assert Petition.objects.get(pk=petition.pk).title != "Hijacked"

    def test_a_signed_out_visitor_is_sent_to_sign_in(self, client, organisation):
        petition = PetitionFactory(organisation=organisation)

        for url in (NEW, _edit(petition), "/staff/petitions/preview-markdown/"):
            assert client.get(url)["Location"].startswith("/staff/login/")


class TestCreating:
    def test_a_campaigner_creates_a_draft_with_its_sources(self, campaigner_client, organisation):
        response = campaigner_client.post(
            NEW,
            _form(
                **{
                    "sources-0-title": "Night work report",
                    "sources-0-publisher": "Labour Institute",
                    "sources-0-url": "example.org/report",
                    "sources-0-published_on": "2026-03-31",
                }
            ),
        )

        petition = Petition.objects.get()
        assert response["Location"] == _edit(petition)
        assert petition.status == Petition.Status.DRAFT
        assert petition.slug == "keep-the-night-buses-running"
        assert petition.delivery_fields == ["name", "country"]
        source = petition.sources.get()
        assert source.url == "https://example.org/report"
        assert petition.events.get().by.username == "campaigner-persona"

    def test_status_is_not_a_field(self, campaigner_client, organisation):
        campaigner_client.post(NEW, _form(status="open"))

        assert Petition.objects.get().status == Petition.Status.DRAFT
        assert 'name="status"' not in campaigner_client.get(NEW).content.decode()

    def test_a_fixed_goal_is_stored(self, campaigner_client, organisation):
        campaigner_client.post(NEW, _form(goal_mode="fixed", fixed_goal="25000"))

        petition = Petition.objects.get()
        assert (petition.goal_mode, petition.goal) == ("fixed", 25000)

    def test_a_fixed_goal_needs_a_number(self, campaigner_client, organisation):
        response = campaigner_client.post(NEW, _form(goal_mode="fixed", fixed_goal=""))

        assert "Enter the goal, or choose an automatic goal." in response.content.decode()
        assert not Petition.objects.exists()


class TestNothingIsLost:
    def test_a_refused_form_comes_back_with_every_field_filled(
        self, campaigner_client, organisation
    ):
        data = _form(
            title="",
            story="Line one\n\nLine *two*",
            goal_mode="fixed",
            fixed_goal="5000",
            delivery_fields=["name", "postcode", "comment"],
            slug="night-buses",
            **{"sources-1-title": "A report", "sources-1-url": "https://example.org/r"},
        )

        response = campaigner_client.post(NEW, data)
        page = response.content.decode()

        assert response.status_code == 200
        assert not Petition.objects.exists()
        assert 'href="#id_title"' in page  # the summary links to the field
        assert "Enter the ask: what the petition asks for." in page
        for name in ("target", "summary", "story", "fixed_goal", "slug", "sources-1-title"):
            assert _value(page, name) == data[name], name
        assert re.search(r'value="postcode"[^>]*checked|checked[^>]*value="postcode"', page)
        assert re.search(r'value="fixed"[^>]*checked|checked[^>]*value="fixed"', page)

    def test_an_uploaded_image_is_kept_until_the_form_is_fixed(
        self, campaigner_client, organisation, media_root
    ):
        upload = SimpleUploadedFile("night-bus.jpg", _jpeg(), content_type="image/jpeg")
        refused = campaigner_client.post(
            NEW, _form(title="", image=upload, image_alt="A night bus at a stop")
        )
        page = refused.content.decode()

        assert "Image kept: night-bus.jpg" in page
        token = _value(page, "kept_image")
        assert token
        assert len(list((media_root / "pending").iterdir())) == 1

        response = campaigner_client.post(
            NEW, _form(kept_image=token, image_alt="A night bus at a stop")
        )

        assert response.status_code == 302
        petition = Petition.objects.get()
        assert petition.image.name.startswith("petitions/")
        with Image.open(petition.image.path) as stored:
            assert stored.format == "JPEG" and stored.size == (64, 48)
        assert list((media_root / "pending").iterdir()) == []

    def test_a_kept_image_can_be_removed(self, campaigner_client, organisation, media_root):
        upload = SimpleUploadedFile("bus.jpg", _jpeg(), content_type="image/jpeg")
        page = campaigner_client.post(
            NEW, _form(title="", image=upload, image_alt="A bus")
        ).content.decode()

        campaigner_client.post(
            NEW, _form(kept_image=_value(page, "kept_image"), remove_image="on", image_alt="")
        )

        assert not Petition.objects.get().image

    def test_a_forged_token_keeps_nothing(self, campaigner_client, organisation, media_root):
        response = campaigner_client.post(NEW, _form(kept_image="../../etc/passwd:forged"))

        assert response.status_code == 302
        assert not Petition.objects.get().image

    def test_an_image_needs_its_description(self, campaigner_client, organisation, media_root):
        upload = SimpleUploadedFile("bus.jpg", _jpeg(), content_type="image/jpeg")

        page = campaigner_client.post(NEW, _form(image=upload)).content.decode()

        assert "Describe the image for people who cannot see it" in page
        assert "Image kept: bus.jpg" in page
        assert not Petition.objects.exists()

    def test_kept_images_older_than_a_day_are_pruned(self, media_root):
        pending = media_root / "pending"
        pending.mkdir()
        old, fresh = pending / "oldoldold.jpg", pending / "freshfresh.jpg"
        old.write_bytes(b"x")
        fresh.write_bytes(b"x")
        two_days_ago = time.time() - 2 * 86400
        os.utime(old, (two_days_ago, two_days_ago))

        assert pending_images_prune() == 1
        assert [p.name for p in pending.iterdir()] == ["freshfresh.jpg"]


class TestHostileInput:
    def test_an_overlong_ask_is_refused_with_a_clear_message(
        self, campaigner_client, organisation
    ):
        page = campaigner_client.post(NEW, _form(title="A" * 250)).content.decode()

        assert "Keep the ask to 200 characters or fewer (it has 250)." in page
        assert not Petition.objects.exists()

    def test_formula_like_text_is_kept_as_typed(self, campaigner_client, organisation):
        campaigner_client.post(
            NEW, _form(title='=HYPERLINK("http://evil.example","Click")', target="+SUM(A1)")
        )

        petition = Petition.objects.get()
        assert petition.title == '=HYPERLINK("http://evil.example","Click")'
        assert petition.target == "+SUM(A1)"

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"goal_mode": "fixed", "fixed_goal": "lots"}, "Enter the goal as a whole number"),
            ({"goal_mode": "fixed", "fixed_goal": "-5"}, "The goal must be at least 1."),
            (
                {"sources-0-title": "R", "sources-0-publisher": "P", "sources-0-url": "not a url"},
                "Enter a full web address",
            ),
            (
                {
                    "sources-0-title": "R",
                    "sources-0-publisher": "P",
                    "sources-0-url": "https://example.org/",
                    "sources-0-published_on": "2026-02-31",
                },
                "Enter the date as a real day",
            ),
            ({"goal_mode": "sideways"}, "Select a valid choice"),
            ({"delivery_fields": ["email"]}, "Select a valid choice"),
            ({"language": "english!"}, "Use a language tag such as en"),
            ({"slug": "Not A Slug!"}, "Use only lowercase letters, digits and hyphens"),
            ({"title": "Line\u202eone"}, "invisible or control characters"),
            ({"sources-TOTAL_FORMS": "junk"}, "ManagementForm data is missing"),
        ],
    )
    def test_junk_gets_a_message_and_never_a_500(
        self, campaigner_client, organisation, overrides, message
    ):
        response = campaigner_client.post(NEW, _form(**overrides))

        assert response.status_code == 200
        assert message in unescape(response.content.decode())
        assert not Petition.objects.exists()

    def test_a_taken_address_is_refused(self, campaigner_client, organisation):
        PetitionFactory(organisation=organisation, slug="night-buses")

        page = campaigner_client.post(NEW, _form(slug="night-buses")).content.decode()

        assert "Another petition already uses this address" in page


class TestStoryPreview:
    def test_the_preview_renders_markdown_and_strips_scripts(self, campaigner_client):
        response = campaigner_client.post(
            "/staff/petitions/preview-markdown/",
            {"story": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"},
        )
        html = response.content.decode()

        assert response.status_code == 200
        assert "<strong>Bold</strong>" in html
        assert "<script" not in html and "javascript:" not in html

    def test_an_analyst_cannot_use_the_preview(self, organisation):
        _, client = staff_client("analyst")

        response = client.post("/staff/petitions/preview-markdown/", {"story": "x"})

        assert response.status_code == 403

    def test_the_preview_button_renders_the_story_without_saving(
        self, campaigner_client, organisation
    ):
        page = campaigner_client.post(
            NEW, _form(title="", story="## Why\n\n<script>x()</script>", preview_story="1")
        ).content.decode()

        assert "<h2>Why</h2>" in page
        assert "<script>x()" not in page
        assert "There is a problem" not in page
        assert not Petition.objects.exists()


class TestEditing:
    def test_the_form_opens_filled_in_and_saves_a_change(self, campaigner_client, organisation):
        petition = PetitionFactory(organisation=organisation, status="draft", slug="night")
        page = campaigner_client.get(_edit(petition)).content.decode()
        assert _value(page, "title") == petition.title

        response = campaigner_client.post(
            _edit(petition), _form(title="A sharper ask", slug="night")
        )

        assert response["Location"] == _edit(petition)
        petition.refresh_from_db()
        assert petition.title == "A sharper ask"
        assert petition.events.get().action == PetitionEvent.Action.EDITED

    def test_a_public_petitions_address_is_fixed(self, campaigner_client, organisation):
        petition = PetitionFactory(organisation=organisation, slug="public-one")

        campaigner_client.post(_edit(petition), _form(slug="moved"))

        assert Petition.objects.get(pk=petition.pk).slug == "public-one"

    def test_the_page_shows_the_history_and_links_the_public_preview(self, organisation):
        user, client = staff_client("campaigner")
        user.first_name, user.last_name = "Sam", "Rivera"
        user.save()
        petition = PetitionFactory(organisation=organisation, status="draft")
        petition_publish(petition=petition, by=user)

        page = client.get(_edit(petition)).content.decode()

        assert re.search(r"<strong>Published</strong> by Sam Rivera on <time", page)
        assert f'href="/staff/petitions/{petition.pk}/preview/"' in page
        assert "Preview the public page" in page

    def test_existing_sources_come_back_and_can_be_removed(self, campaigner_client, organisation):
        petition = PetitionFactory(organisation=organisation, status="draft", slug="s")
        petition.sources.create(title="Old", publisher="P", url="https://old.example/")
        page = campaigner_client.get(_edit(petition)).content.decode()
        assert _value(page, "sources-0-title") == "Old"

        campaigner_client.post(
            _edit(petition),
            _form(
                slug="s",
                **{
                    "sources-TOTAL_FORMS": "4",
                    "sources-INITIAL_FORMS": "1",
                    "sources-0-title": "Old",
                    "sources-0-publisher": "P",
                    "sources-0-url": "https://old.example/",
                    "sources-0-DELETE": "on",
                    "sources-3-title": "",
                    "sources-3-publisher": "",
                    "sources-3-url": "",
                },
            ),
        )

        assert not petition.sources.exists()


class TestEditingTheImage:
    @pytest.fixture
    def with_image(self, campaigner_client, organisation, media_root):
        petition = PetitionFactory(organisation=organisation, status="draft", slug="img")
        upload = SimpleUploadedFile("first.jpg", _jpeg(), content_type="image/jpeg")
        campaigner_client.post(_edit(petition), _form(slug="img", image=upload, image_alt="A"))
        petition.refresh_from_db()
        assert petition.image
        return petition

    def test_saving_without_a_new_file_keeps_the_image(self, campaigner_client, with_image):
        stored = with_image.image.name

        campaigner_client.post(_edit(with_image), _form(slug="img", image_alt="A", title="New"))

        assert Petition.objects.get(pk=with_image.pk).image.name == stored

    def test_a_replacement_kept_through_a_refusal_replaces_the_image(
        self, campaigner_client, with_image
    ):
        stored = with_image.image.name
        upload = SimpleUploadedFile("second.jpg", _jpeg((30, 20)), content_type="image/jpeg")
        page = campaigner_client.post(
            _edit(with_image), _form(slug="img", title="", image=upload, image_alt="A")
        ).content.decode()
        assert "Image kept: second.jpg" in page

        campaigner_client.post(
            _edit(with_image),
            _form(slug="img", kept_image=_value(page, "kept_image"), image_alt="A"),
        )

        petition = Petition.objects.get(pk=with_image.pk)
        assert petition.image.name != stored
        with Image.open(petition.image.path) as replaced:
            assert replaced.size == (30, 20)

    def test_the_image_can_be_removed(self, campaigner_client, with_image):
        campaigner_client.post(_edit(with_image), _form(slug="img", remove_image="on"))

        assert not Petition.objects.get(pk=with_image.pk).image

    def test_a_removed_image_leaves_the_disk_once_committed(
        self, campaigner_client, with_image, django_capture_on_commit_callbacks
    ):
        path = Path(with_image.image.path)
        assert path.exists()

        with django_capture_on_commit_callbacks(execute=True):
            campaigner_client.post(_edit(with_image), _form(slug="img", remove_image="on"))

        assert not path.exists()

    def test_a_replaced_image_leaves_the_disk_and_the_new_one_stays(
        self, campaigner_client, with_image, django_capture_on_commit_callbacks
    ):
        first = Path(with_image.image.path)
        upload = SimpleUploadedFile("second.jpg", _jpeg((30, 20)), content_type="image/jpeg")

        with django_capture_on_commit_callbacks(execute=True):
            campaigner_client.post(
                _edit(with_image), _form(slug="img", image=upload, image_alt="A")
            )

        second = Path(Petition.objects.get(pk=with_image.pk).image.path)
        assert second != first and second.exists() and not first.exists()

    def test_saving_without_a_new_file_leaves_the_file_in_place(
        self, campaigner_client, with_image, django_capture_on_commit_callbacks
    ):
        path = Path(with_image.image.path)

        with django_capture_on_commit_callbacks(execute=True):
            campaigner_client.post(
                _edit(with_image), _form(slug="img", image_alt="A", title="New")
            )

        assert path.exists()
