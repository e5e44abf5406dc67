"""The public pages in four languages: the URL's language, translations, emails in the
signer's language, one total for every version (docs/languages.md)."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from chorus.pagecache import kept_pages
from jobs.services import jobs_drain
from members.models import ConsentRecord
from petitions.counting import counts_fold_all, petition_count
from petitions.models import Petition, PetitionTranslation, Signature
from petitions.services import petition_translation_delete, petition_translation_save
from rights.models import RightsRequest
from tests.conftest import BASE_URL, sign_data
from tests.factories import SignatureFactory
from tests.mailings.smtp_server import inbox_serve

pytestmark = pytest.mark.django_db

# For each language: its URL prefix and words its petition page must show.
PAGES = {
    "en": ("", "Sign the petition", "Why this matters", "Petition to"),
    "fr": ("/fr", "Signer la pétition", "Pourquoi c’est important", "Pétition adressée à"),
    "de": ("/de", "Petition unterschreiben", "Warum das wichtig ist", "Petition an"),
    "es": ("/es", "Firmar la petición", "Por qué es importante", "Petición dirigida a"),
}
FRENCH = {
    "title": "Arrêtez l’aspiration de nos photos",
    "target": "PhotoCircle SA",
    "summary": "Nos visages ne sont pas des données d’entraînement.",
    "story": "Des **millions** de photos sont copiées sans accord.",
}


class _Head(HTMLParser):
    """The page's <html lang>, its hreflang links and its switcher's links."""

    def __init__(self):
        super().__init__()
        self.lang, self.alternates, self.switcher, self.current = "", {}, {}, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "link" and a.get("rel") == "alternate" and "hreflang" in a:
            self.alternates[a["hreflang"]] = a["href"]
        if tag == "a" and "data-language" in a:
            self.switcher[a["data-language"]] = a["href"]
            if a.get("aria-current") == "page":
                self.current = a["data-language"]


def _head(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def _page(client, language, petition) -> str:
    prefix = PAGES[language][0]
    response = client.get(f"{prefix}/p/{petition.slug}/")
    assert response.status_code == 200, language
    return response.content.decode()


def _translate(petition, language="fr", **words):
    petition_translation_save(
        petition=petition, language=language, data={**FRENCH, **words}, by=None
    )


@pytest.mark.parametrize("language", PAGES)
def test_each_language_has_its_page_with_its_words_and_links_to_the_others(
    public_client, petition, language
):
    html = _page(public_client, language, petition)
    head = _head(html)
    prefix, button, story_heading, to = PAGES[language]

    assert head.lang == language
    assert button in html and story_heading in html and to in html
    slug = petition.slug
    expected = {code: f"{BASE_URL}{PAGES[code][0]}/p/{slug}/" for code in PAGES}
    assert head.alternates == {**expected, "x-default": f"{BASE_URL}/p/{slug}/"}
    assert head.switcher == {code: f"{PAGES[code][0]}/p/{slug}/" for code in PAGES}
    assert head.current == language
    # Its own links stay in its language: the form posts to, and thanks at, its URL.
    assert f'action="{prefix}/p/{slug}/sign/"' in html


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_no_english_interface_text_is_left_on_a_translated_page(public_client, petition, language):
    html = _page(public_client, language, petition)

    for english in (
        "Sign the petition",
        "Why this matters",
        "Share this petition",
        "Your details",
    ):
        assert english not in html, english


def test_a_translated_petition_shows_its_translation_at_its_languages_url(public_client, petition):
    _translate(petition)

    french = _page(public_client, "fr", petition)
    english = _page(public_client, "en", petition)

    assert "<h1>Arrêtez l’aspiration de nos photos</h1>" in french
    assert "<strong>millions</strong>" in french and "PhotoCircle SA" in french
    assert FRENCH["title"] not in english and petition.title in english
    assert petition.title not in french


def test_a_language_without_a_translation_shows_the_petitions_own_text_marked_as_such(
    public_client, petition
):
    _translate(petition, "fr")

    german = _page(public_client, "de", petition)

    assert _head(german).lang == "de"
    assert f'<h1 lang="en">{petition.title}</h1>' in german
    assert '<div lang="en">' in german  # the story
    assert "Petition unterschreiben" in german


def test_a_translation_changes_the_petitions_version(petition):
    before = Petition.objects.get(pk=petition.pk).updated_at

    _translate(petition)
    saved = Petition.objects.get(pk=petition.pk).updated_at
    petition_translation_delete(petition=petition, language="fr", by=None)

    assert before < saved < Petition.objects.get(pk=petition.pk).updated_at


def test_the_kept_french_page_shows_an_edited_translation_once_its_seconds_are_up(
    public_client, petition, settings
):
    settings.PETITION_PAGE_CACHE_SECONDS = 0.05
    _translate(petition)
    assert FRENCH["title"] in _page(public_client, "fr", petition)

    _translate(petition, title="Protégez nos visages")
    kept_pages.clear()  # as the seconds running out would

    french = _page(public_client, "fr", petition)
    assert "Protégez nos visages" in french
    assert set(key for key in kept_pages._entries) == {(f"/fr/p/{petition.slug}/", "fr")}


def test_signing_on_the_german_page_stores_german_and_counts_into_the_one_total(
    petition, settings
):
    settings.COUNT_FOLD_INTERVAL = 0
    petition.require_confirmation = False
    petition.save()
    for prefix, email in (("/de", "de@example.org"), ("", "en@example.org"), ("/es", "es@e.org")):
        answer = Client().post(f"{prefix}/p/{petition.slug}/sign/", sign_data(email=email))
        assert answer.status_code == 302
        assert answer["Location"] == f"{prefix}/p/{petition.slug}/thanks/"

    languages = dict(Signature.objects.values_list("email", "language"))
    assert languages == {"de@example.org": "de", "en@example.org": "en", "es@e.org": "es"}
    jobs_drain()
    counts_fold_all()
    assert petition_count(petition) == 3


def test_a_signature_made_on_the_german_page_gets_its_email_in_german_over_smtp(
    petition, settings
):
    inbox_fixture = inbox_serve(settings)
    inbox = next(inbox_fixture)
    try:
        Client().post(f"/de/p/{petition.slug}/sign/", sign_data(email="greta@example.org"))
        jobs_drain()
    finally:
        next(inbox_fixture, None)

    [(_, recipients, message, _)] = inbox.messages
    assert recipients == ["greta@example.org"]
    assert (
        str(message["Subject"]).strip()
        == f"Bitte bestätigen Sie Ihre Unterschrift: {petition.title}"
    )
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Guten Tag,\n")
    assert "Ihre Unterschrift zählt, sobald Sie sie bestätigen." in text
    assert '<html lang="de">' in html and "Meine Unterschrift bestätigen" in html
    [link] = re.findall(rf"{re.escape(BASE_URL)}/de/c/[^\s\"<]+/", text)
    assert link in html
    # The link opens the German confirmation page.
    page = Client().get(link.removeprefix(BASE_URL))
    assert "Bestätigen Sie Ihre Unterschrift" in page.content.decode()


def test_the_email_uses_the_translation_of_the_language_signed_in(petition, mailoutbox):
    _translate(petition)

    Client().post(f"/fr/p/{petition.slug}/sign/", sign_data())
    jobs_drain()

    [message] = mailoutbox
    assert message.subject == f"Merci de confirmer votre signature : {FRENCH['title']}"
    assert "PhotoCircle SA" in message.body
    assert f"{BASE_URL}/fr/c/" in message.body


def test_a_repeat_signature_is_told_in_the_language_of_the_new_page(
    petition, mailoutbox, settings
):
    settings.UNVERIFIED_MAIL_INTERVAL = 0
    Client().post(f"/es/p/{petition.slug}/sign/", sign_data())
    jobs_drain()
    Client().post(f"/es/p/{petition.slug}/sign/", sign_data())
    jobs_drain()

    assert [m.subject for m in mailoutbox] == [
        f"Confirma tu firma: {petition.title}",
        f"Ya has firmado: {petition.title}",
    ]


@pytest.mark.parametrize("stored", ["", "zz", "fr-CA", "x" * 10])
def test_a_stored_language_chorus_does_not_speak_falls_back_cleanly(petition, mailoutbox, stored):
    from petitions.jobs import unverified_mail_send

    signature = SignatureFactory(petition=petition, language=stored, state="pending")
    unverified_mail_send(signature=signature, template="petitions/email/confirm", with_link=True)

    [message] = mailoutbox
    expected = "Merci de confirmer" if stored == "fr-CA" else "Please confirm"
    assert message.subject.startswith(expected)
    link = re.search(rf"{re.escape(BASE_URL)}((?:/[a-z]{{2}})?/c/\S+/)", message.body).group(1)
    assert Client().get(link).status_code == 200  # the link's page exists


def test_the_consent_is_recorded_in_the_words_the_signer_read(petition):
    petition.require_confirmation = False
    petition.save()
    page = _page(Client(), "fr", petition)
    shown = re.search(r'<label for="id_opt_in">([^<]+)</label>', page).group(1)

    Client().post(f"/fr/p/{petition.slug}/sign/", sign_data(opt_in="on"))
    jobs_drain()

    consent = ConsentRecord.objects.get()
    assert consent.wording == shown.replace("&#x27;", "'").replace("&amp;", "&")
    assert consent.wording.startswith("Je souhaite recevoir des e-mails")


def test_a_rights_request_from_the_spanish_page_is_answered_in_spanish(petition, mailoutbox):
    SignatureFactory(petition=petition, email="ana@example.org")

    Client().post("/es/your-data/", {"email": "ana@example.org", "purpose": "copy"})
    assert RightsRequest.objects.get().language == "es"
    jobs_drain()

    [message] = mailoutbox
    assert message.subject.startswith("Tus datos en")
    assert f"{BASE_URL}/es/your-data/copy/" in message.body


def test_pages_behind_emailed_links_carry_no_language_links(petition):
    signature = SignatureFactory(petition=petition, state="pending")
    from petitions.services import signature_confirmation_token

    token = signature_confirmation_token(signature=signature)
    html = Client().get(f"/fr/c/{token}/").content.decode()

    assert "Confirmez votre signature" in html
    assert token not in html.replace(f"/fr/c/{token}/", "")  # only where the form posts
    assert 'hreflang="' not in html


def test_the_thanks_page_speaks_the_language_it_was_reached_in(petition):
    html = Client().get(f"/de/p/{petition.slug}/thanks/").content.decode()

    assert "Danke für Ihre Unterschrift" in html
    assert _head(html).lang == "de"


def test_the_country_list_is_named_and_sorted_in_the_pages_language(public_client, petition):
    german = _page(public_client, "de", petition)
    english = _page(public_client, "en", petition)

    assert '<option value="DE">Deutschland</option>' in german
    assert '<option value="DE">Germany</option>' in english
    assert "Wählen Sie Ihr Land" in german


def test_the_count_words_for_the_script_come_from_the_page(public_client, petition):
    french = _page(public_client, "fr", petition)

    assert 'data-one="signature" data-other="signatures"' in french
    assert 'data-valuetext="{count} signatures sur {goal}"' in french
    german = _page(public_client, "de", petition)
    assert 'data-one="Unterschrift" data-other="Unterschriften"' in german


def test_a_translation_row_is_one_per_petition_and_language(petition):
    _translate(petition)
    _translate(petition, title="Encore")

    assert PetitionTranslation.objects.filter(petition=petition).count() == 1
    assert PetitionTranslation.objects.get().title == "Encore"
    assert PetitionTranslation.objects.get().updated_at <= timezone.now()


def test_the_widget_speaks_its_urls_language_and_signs_in_it(petition):
    _translate(petition)

    widget = Client().get(f"/fr/p/{petition.slug}/embed/?partner=x")
    html = widget.content.decode()
    assert _head(html).lang == "fr"
    assert FRENCH["title"] in html and "Signer la pétition" in html
    assert widget["Content-Language"] == "fr"
    token = re.search(r'name="embed_token" value="([^"]+)"', html).group(1)

    answer = Client().post(f"/fr/p/{petition.slug}/embed/", {**sign_data(), "embed_token": token})

    assert answer["Location"] == f"/fr/p/{petition.slug}/embed/thanks/"
    assert Signature.objects.get().language == "fr"


def test_a_french_browsers_first_look_at_the_widget_is_the_french_one(petition):
    answer = Client().get(
        f"/p/{petition.slug}/embed/?partner=x",
        HTTP_ACCEPT_LANGUAGE="fr-FR",
        HTTP_REFERER="https://partner.example/page",
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/fr/p/{petition.slug}/embed/?partner=x"
