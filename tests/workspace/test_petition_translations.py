"""The translations tab: a petition's text in each other language, written, edited and
deleted by whoever may change a petition; everyone who may see it sees the list."""

import pytest
from django.test import Client

from petitions.models import Petition, PetitionTranslation
from tests.staff import PERSONAS, staff_client
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db

GERMAN = {
    "title": "Stoppt das Abgreifen unserer Fotos",
    "target": "PhotoCircle GmbH",
    "summary": "Unsere Gesichter sind keine Trainingsdaten.",
    "story": "Millionen Fotos werden **ohne Zustimmung** kopiert.",
}
# Who may do what: the list for everyone who sees petitions; writing and deleting for
# those who may change translations (Owner and Campaigner hold petitions.*).
MAY_WRITE = {"owner": True, "campaigner": True, "analyst": False, "superuser": True}
MAY_WRITE["view_only"] = False


def _german(petition, **words):
    return PetitionTranslation.objects.create(
        petition=petition, language="de", **{**GERMAN, **words}
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_who_sees_the_petition_sees_its_translations(persona, petition):
    _german(petition)
    _, client = staff_client(persona)

    page = client.get(tab_url(petition, "translations/"))

    assert page.status_code == 200
    html = page.content.decode()
    assert GERMAN["title"] in html
    assert "Not translated" in html  # fr and es
    assert (f'href="{tab_url(petition, "translations/de/")}"' in html) is MAY_WRITE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_writing_a_translation_takes_the_right_to_change_them(persona, petition):
    _, client = staff_client(persona)

    response = client.post(tab_url(petition, "translations/de/"), GERMAN)

    if MAY_WRITE[persona]:
        assert response.status_code == 302
        assert (
            PetitionTranslation.objects.get(petition=petition, language="de").title
            == (GERMAN["title"])
        )
    else:
        assert response.status_code in (403, 404)
        assert not PetitionTranslation.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_deleting_a_translation_takes_the_right_to_delete_them(persona, petition):
    _german(petition)
    _, client = staff_client(persona)

    response = client.post(tab_url(petition, "translations/de/delete/"))

    assert PetitionTranslation.objects.exists() is not MAY_WRITE[persona]
    assert response.status_code == (302 if MAY_WRITE[persona] else 403) or (
        response.status_code == 404 and not MAY_WRITE[persona]
    )


def test_editing_rewrites_the_one_row_and_changes_the_petitions_version(owner_client, petition):
    _german(petition)
    before = Petition.objects.get(pk=petition.pk).updated_at

    owner_client.post(tab_url(petition, "translations/de/"), {**GERMAN, "title": "Neu"})

    assert PetitionTranslation.objects.get().title == "Neu"
    assert Petition.objects.get(pk=petition.pk).updated_at > before


def test_the_form_shows_the_petitions_own_text_beside_it(owner_client, petition):
    page = owner_client.get(tab_url(petition, "translations/fr/")).content.decode()

    assert petition.title in page and "The petition's own text" in page
    assert 'lang="fr"' in page


def test_a_saved_translation_is_served_on_its_languages_page(owner_client, petition):
    owner_client.post(tab_url(petition, "translations/de/"), GERMAN)

    page = Client().get(f"/de/p/{petition.slug}/").content.decode()

    assert GERMAN["title"] in page
    assert "<strong>ohne Zustimmung</strong>" in page


def test_delete_asks_first_then_the_page_falls_back_to_the_petitions_text(owner_client, petition):
    _german(petition)

    confirm = owner_client.get(tab_url(petition, "translations/de/delete/")).content.decode()
    assert "Delete the Deutsch text?" in confirm
    assert PetitionTranslation.objects.exists()

    owner_client.post(tab_url(petition, "translations/de/delete/"))
    page = Client().get(f"/de/p/{petition.slug}/").content.decode()
    assert GERMAN["title"] not in page and petition.title in page


@pytest.mark.parametrize("language", ["en", "xx", "EN", "de-DE", "fr%00", "..", "<b>"])
def test_a_language_the_site_lacks_or_the_petitions_own_is_not_found(
    owner_client, petition, language
):
    for rest in ("", "delete/"):
        response = owner_client.post(tab_url(petition, f"translations/{language}/{rest}"), GERMAN)
        assert response.status_code == 404
    assert not PetitionTranslation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter the ask in this language."),
        ("title", "x" * 201, "Keep the ask to 200 characters or fewer (it has 201)."),
        ("title", "Zwei\nZeilen", "Please keep it on one line."),
        ("target", "Photo\u202eCircle", "invisible or control characters"),
        ("target", "", "Enter who the petition is addressed to, in this language."),
        ("summary", "x" * 301, "Keep the summary to 300 characters or fewer (it has 301)."),
        ("story", "", "Tell the story in this language."),
        ("story", "Zero\u200bwidth", "invisible or control characters"),
        ("story", "\x00", "Null characters are not allowed."),
    ],
)
def test_hostile_or_missing_words_are_refused_with_a_clear_message_and_nothing_saved(
    owner_client, petition, field, value, message
):
    response = owner_client.post(tab_url(petition, "translations/de/"), {**GERMAN, field: value})

    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not PetitionTranslation.objects.exists()


def test_markup_in_a_translation_is_shown_as_text_and_the_story_sanitised(owner_client, petition):
    words = {
        "title": "<script>alert(1)</script>",
        "target": '"><img src=x onerror=alert(1)>',
        "summary": "<b>bold</b>",
        "story": "[x](javascript:alert(1)) <script>alert(2)</script>",
    }
    owner_client.post(tab_url(petition, "translations/de/"), words)

    page = Client().get(f"/de/p/{petition.slug}/").content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onerror=alert" not in page.replace("&quot;&gt;&lt;img src=x onerror=alert", "")
    assert "javascript:" not in page
