"""The workspace's organisation page (/staff/organisation/): who may open it, what it saves
and what it refuses."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from orgs.models import Organisation
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

URL = "/staff/organisation/"
LOGO_URL = "/staff/organisation/logo/"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _form(organisation, **changes) -> dict:
    data = {
        "name": organisation.name,
        "logo_alt": organisation.logo_alt,
        "primary_colour": organisation.primary_colour,
        "sender_name": organisation.sender_name,
        "postal_address": organisation.postal_address,
        "privacy_email": organisation.privacy_email,
        "website": organisation.website,
    }
    data.update(changes)
    return data


def _png(size=(300, 100), mode="RGBA") -> bytes:
    content = io.BytesIO()
    Image.new(mode, size, (91, 42, 134, 255) if mode == "RGBA" else 0).save(content, "PNG")
    return content.getvalue()


def _saved_row(organisation) -> dict:
    return Organisation.objects.filter(pk=organisation.pk).values().get()


class TestWhoMayOpenIt:
    def test_an_owner_sees_the_form_with_the_current_values(self, organisation):
        _, client = staff_client("owner")

        response = client.get(URL)

        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="Open Faces Alliance"' in html
        assert 'value="#0b5d1e"' in html
        assert "12 Example Street\nLondon N1 0AA</textarea>" in html
        assert 'value="privacy@openfaces.example"' in html

    @pytest.mark.parametrize("persona", ["campaigner", "analyst", "view_only"])
    def test_other_roles_get_the_403_page_and_change_nothing(self, organisation, persona):
        _, client = staff_client(persona)
        before = _saved_row(organisation)

        shown = client.get(URL)
        posted = client.post(URL, _form(organisation, name="Taken over"))
        logo = client.post(LOGO_URL, {"remove": "1"})

        assert (shown.status_code, posted.status_code, logo.status_code) == (403, 403, 403)
        assert _saved_row(organisation) == before

    def test_a_superuser_may_open_it(self, organisation):
        _, client = staff_client("superuser")

        assert client.get(URL).status_code == 200

    @pytest.mark.parametrize("url", [URL, LOGO_URL])
    def test_a_signed_out_visitor_is_sent_to_sign_in(self, organisation, url):
        response = Client().post(url, _form(organisation, name="Taken over"))

        assert response.status_code == 302
        assert response["Location"] == f"/staff/login/?next={url}"
        assert Organisation.objects.get().name == "Open Faces Alliance"

    def test_with_no_organisation_yet_it_says_how_one_is_made(self, db):
        _, client = staff_client("owner")

        response = client.get(URL)

        assert response.status_code == 200
        assert "chorus_create_owner" in response.content.decode()


class TestSaving:
    def test_it_saves_every_field_and_says_so(self, organisation):
        _, client = staff_client("owner")

        response = client.post(
            URL,
            _form(
                organisation,
                name="Purple Rights",
                logo_alt="Purple Rights: a raised hand",
                primary_colour="#5B2A86",
                sender_name="Purple Rights petitions",
                postal_address="1 Rue Exemple\r\n75001 Paris",
                privacy_email="data@purple.example",
                website="purple.example",
            ),
            follow=True,
        )

        organisation.refresh_from_db()
        assert response.redirect_chain == [(URL, 302)]
        assert "Saved." in response.content.decode()
        assert (
            organisation.name,
            organisation.logo_alt,
            organisation.primary_colour,
            organisation.sender_name,
            organisation.postal_address,
            organisation.privacy_email,
            organisation.website,
        ) == (
            "Purple Rights",
            "Purple Rights: a raised hand",
            "#5b2a86",
            "Purple Rights petitions",
            "1 Rue Exemple\n75001 Paris",
            "data@purple.example",
            "https://purple.example",
        )

    @pytest.mark.parametrize("typed", ["5b2a86", "#5B2A86", " #5b2a86 "])
    def test_it_reads_a_colour_typed_without_hash_or_in_capitals(self, organisation, typed):
        _, client = staff_client("owner")

        client.post(URL, _form(organisation, primary_colour=typed))

        organisation.refresh_from_db()
        assert organisation.primary_colour == "#5b2a86"

    def test_the_workspace_frame_follows_the_new_name_and_colour_at_once(self, organisation):
        _, client = staff_client("owner")
        client.get(URL)  # the organisation is now in the cache

        client.post(URL, _form(organisation, name="Purple Rights", primary_colour="#5b2a86"))
        html = client.get("/staff/people/").content.decode()

        organisation.refresh_from_db()
        assert '<a class="ws-org" href="/staff/">Purple Rights</a>' in html
        assert f'href="/brand/{organisation.brand_version}.css"' in html


class TestTheColourRule:
    @pytest.mark.parametrize(
        ("colour", "says"),
        [
            ("#ffcc00", "on white it reaches only 1.51:1"),
            ("#777777", "white text reaches 4.47:1 and dark text 3.72:1"),
            ("#767676", "reaches 4.54:1 on white, but only 4.01:1 on the pale panels"),
        ],
    )
    def test_it_refuses_a_colour_that_fails_aa_and_suggests_a_darker_one(
        self, organisation, colour, says
    ):
        _, client = staff_client("owner")
        before = _saved_row(organisation)

        response = client.post(URL, _form(organisation, primary_colour=colour, name="New"))

        html = response.content.decode()
        assert response.status_code == 400
        assert says in html
        assert "the nearest darker shade that passes" in html
        assert 'class="ws-error-summary"' in html and 'href="#id_primary_colour"' in html
        assert 'aria-invalid="true"' in html
        assert f'value="{colour}"' in html  # what was typed stays, to be corrected
        assert 'value="New"' in html
        assert _saved_row(organisation) == before

    @pytest.mark.parametrize("colour", ["#0b5d1e", "#5b2a86", "#000000", "#0000ff", "#b00020"])
    def test_it_accepts_a_colour_that_passes(self, organisation, colour):
        _, client = staff_client("owner")

        response = client.post(URL, _form(organisation, primary_colour=colour))

        organisation.refresh_from_db()
        assert response.status_code == 302
        assert organisation.primary_colour == colour

    def test_the_suggested_shade_is_accepted(self, organisation):
        _, client = staff_client("owner")
        refused = client.post(URL, _form(organisation, primary_colour="#8a5cc0"))
        suggestion = refused.content.decode().split("Try ")[1][:7]

        accepted = client.post(URL, _form(organisation, primary_colour=suggestion))

        assert accepted.status_code == 302
        organisation.refresh_from_db()
        assert organisation.primary_colour == suggestion


class TestHostileInput:
    @pytest.mark.parametrize(
        ("field", "value", "says"),
        [
            ("primary_colour", "red", "Enter the colour as # and six letters or digits"),
            ("primary_colour", "#12345g", "Enter the colour as # and six letters or digits"),
            ("primary_colour", "#0b5d1e;}body{display:none", "Enter the colour as #"),
            ("primary_colour", "<script>alert(1)</script>", "Enter the colour as #"),
            ("primary_colour", "", "This field is required."),
            ("sender_name", "Open Faces\r\nBcc: everyone@example.org", "keep it on one line"),
            ("sender_name", "Open\u202eFaces", "invisible or control characters"),
            ("name", "Open Faces\nAlliance", "keep it on one line"),
            ("name", "", "This field is required."),
            ("name", "x" * 201, "at most 200 characters"),
            ("logo_alt", "A hand\x07", "invisible or control characters"),
            ("privacy_email", "not an address", "Enter a valid email address."),
            ("website", "javascript:alert(1)", "Enter a valid URL."),
        ],
    )
    def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
        self, organisation, field, value, says
    ):
        _, client = staff_client("owner")
        before = _saved_row(organisation)

        response = client.post(URL, _form(organisation, **{field: value}))

        html = response.content.decode()
        assert response.status_code == 400
        assert says in html
        assert f'id="id_{field}_error"' in html
        assert f'href="#id_{field}"' in html
        assert "<script>alert" not in html
        assert _saved_row(organisation) == before

    def test_an_empty_post_is_refused_with_a_page_not_an_error(self, organisation):
        _, client = staff_client("owner")

        response = client.post(URL, {})

        assert response.status_code == 400
        assert "Nothing was saved" in response.content.decode()

    def test_a_name_with_markup_is_kept_as_text_and_shown_escaped(self, organisation, petition):
        _, client = staff_client("owner")

        client.post(URL, _form(organisation, name='<script>alert("x")</script>'))
        page = Client().get(petition.get_absolute_url()).content.decode()

        assert Organisation.objects.get().name == '<script>alert("x")</script>'
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


class TestTheLogo:
    def test_an_uploaded_logo_is_stored_re_encoded_and_scaled_into_its_box(
        self, organisation, media_root
    ):
        _, client = staff_client("owner")

        response = client.post(
            LOGO_URL, {"logo": SimpleUploadedFile("logo.png", _png(size=(3000, 1000)))}
        )

        organisation.refresh_from_db()
        assert response.status_code == 302
        assert (organisation.logo_width, organisation.logo_height) == (720, 240)
        stored = Image.open(organisation.logo.path)
        assert (stored.format, stored.size) == ("PNG", (720, 240))
        assert organisation.logo.name.startswith("brand/")
        assert "logo" not in organisation.logo.name  # a fresh name, not the uploader's

    def test_the_page_shows_the_logo_with_a_remove_button(self, organisation, media_root):
        _, client = staff_client("owner")
        client.post(LOGO_URL, {"logo": SimpleUploadedFile("logo.png", _png())})

        html = client.get(URL).content.decode()

        organisation.refresh_from_db()
        assert f'src="{organisation.logo.url}"' in html
        assert "Remove the logo" in html
        assert "Upload a new logo" in html

    def test_removing_the_logo_deletes_its_file_once_committed(
        self, organisation, media_root, django_capture_on_commit_callbacks
    ):
        _, client = staff_client("owner")
        client.post(LOGO_URL, {"logo": SimpleUploadedFile("logo.png", _png())})
        organisation.refresh_from_db()
        path = Path(organisation.logo.path)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(LOGO_URL, {"remove": "1"})

        organisation.refresh_from_db()
        assert not organisation.logo
        assert organisation.logo_width is None
        assert not path.exists()

    def test_a_new_logo_replaces_the_old_file(
        self, organisation, media_root, django_capture_on_commit_callbacks
    ):
        _, client = staff_client("owner")
        client.post(LOGO_URL, {"logo": SimpleUploadedFile("one.png", _png())})
        organisation.refresh_from_db()
        first = Path(organisation.logo.path)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(LOGO_URL, {"logo": SimpleUploadedFile("two.png", _png(size=(90, 30)))})

        organisation.refresh_from_db()
        assert not first.exists()
        assert [p.name for p in (media_root / "brand").iterdir()] == [
            Path(organisation.logo.name).name
        ]
        assert (organisation.logo_width, organisation.logo_height) == (90, 30)

    def test_a_refused_brand_form_does_not_lose_the_logo(self, organisation, media_root):
        _, client = staff_client("owner")
        client.post(LOGO_URL, {"logo": SimpleUploadedFile("logo.png", _png())})
        organisation.refresh_from_db()
        logo = organisation.logo.name

        refused = client.post(URL, _form(organisation, primary_colour="#ffcc00"))

        organisation.refresh_from_db()
        assert refused.status_code == 400
        assert organisation.logo.name == logo
        assert organisation.logo.url in refused.content.decode()

    @pytest.mark.parametrize(
        ("name", "content", "says"),
        [
            ("notes.png", b"this is not an image", "not a JPEG, PNG, WebP or GIF image"),
            (
                "logo.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "SVG and other vector images are not accepted",
            ),
            ("half.png", _png()[:60], "damaged or incomplete"),
            ("empty.png", b"", "The file you chose is empty"),
        ],
    )
    def test_a_file_that_is_not_a_usable_image_is_refused_with_a_message(
        self, organisation, media_root, name, content, says
    ):
        _, client = staff_client("owner")

        response = client.post(LOGO_URL, {"logo": SimpleUploadedFile(name, content)})

        html = response.content.decode()
        assert response.status_code == 400
        assert says in html
        assert "The logo was not saved" in html
        assert 'href="#id_logo"' in html
        assert not Organisation.objects.get().logo
        assert list(media_root.iterdir()) == []

    def test_no_file_at_all_asks_for_one(self, organisation, media_root):
        _, client = staff_client("owner")

        response = client.post(LOGO_URL, {"logo": ""})

        assert response.status_code == 400
        assert "Choose an image file for the logo" in response.content.decode()

    def test_a_file_over_8_mb_is_refused_with_a_message(self, organisation, media_root):
        _, client = staff_client("owner")
        big = SimpleUploadedFile("big.png", _png() + b"\0" * (8 * 1024 * 1024))

        response = client.post(LOGO_URL, {"logo": big})

        assert response.status_code == 400
        assert "larger than 8 MB" in response.content.decode()

    def test_a_body_over_the_workspace_limit_gets_the_designed_page(
        self, organisation, settings, media_root
    ):
        settings.STAFF_BODY_MAX_BYTES = 1024 * 1024
        _, client = staff_client("owner")
        huge = SimpleUploadedFile("huge.png", b"\0" * (2 * 1024 * 1024))

        response = client.post(LOGO_URL, {"logo": huge})

        assert response.status_code == 413
        assert not Organisation.objects.get().logo

    def test_opening_the_logo_address_leads_to_the_page(self, organisation):
        _, client = staff_client("owner")

        assert client.get(LOGO_URL)["Location"] == URL
