"""The staff area in French, German and Spanish: each main page, signed in, in each language.

For every page a few of its English strings are checked: the page carries the catalog's
translation and not the English source. The translations are read from the catalog
itself, so the test follows the wording, and a string the catalog leaves untranslated
fails here as it would on screen.
"""

import html
from datetime import datetime

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from members.models import Member
from petitions.models import PetitionCount, Update
from tests.factories import MailingFactory, MemberFactory, PartnerFactory, SignatureFactory
from tests.staff import staff_client
from tests.workspace.samples import segment_sample

pytestmark = pytest.mark.django_db

LANGUAGES = ["fr", "de", "es"]

# (page, English strings on it). {pk} is the petition.
PAGES = {
    "/staff/petitions/": ["Petitions", "New petition", "Last 14 days", "Skip to main content"],
    "/staff/petitions/{pk}/": ["Overview", "Confirmed signatures", "By channel", "Latest signers"],
    "/staff/petitions/{pk}/edit/": [
        "Signing and delivery",
        "Address and language",
        ("a record of what was done", "History"),
    ],
    "/staff/petitions/{pk}/signatures/": ["Filter by state, channel, country or date", "Channel"],
    "/staff/petitions/{pk}/reasons/": ["Signers' reasons, newest first", "On the public page"],
    "/staff/petitions/{pk}/updates/": ["Updates on the petition page", "Published (UTC)"],
    "/staff/petitions/{pk}/fraud/": ["Signatures per hour", "Bulk actions", "Marked fraudulent"],
    "/staff/petitions/{pk}/export/": ["Download the signatures as a spreadsheet", "Download CSV"],
    "/staff/petitions/{pk}/dashboard/": ["Progress to the goal", "By source", "Show as a table"],
    "/staff/petitions/{pk}/delivery/": ["Delivery packs", "Milestone emails to the target"],
    "/staff/petitions/{pk}/embed/": [
        "Put this petition on another website",
        "Copy the code",
        "Copied. Paste it into the partner's page, or send it to them.",  # for the script
    ],
    "/staff/petitions/{pk}/outcome/": ["The target's response", "Save the response"],
    "/staff/members/": [
        "Members",
        "Filter by subscription, country or date joined",
        "Apply filters",
    ],
    "/staff/mailings/": ["Mailings, newest first", "All mailings", "Recipients"],
    "/staff/mailings/segments/": ["All segments", "Can be mailed", "Count every segment"],
    "/staff/people/": ["People", "Staff accounts", "Invitations waiting", "Last sign-in"],
    "/staff/audit/": ["Audit log", "Filter by action, person or date", "Apply filters"],
    "/staff/partners/": ["Partners", "Add a partner", "Short name", "Live tokens"],
}


@pytest.fixture
def world(petition):
    SignatureFactory(petition=petition, state="confirmed", show_name=True, comment="Yes.")
    MemberFactory(organisation=petition.organisation)
    MailingFactory(organisation=petition.organisation)
    segment_sample(petition.organisation)
    PartnerFactory(organisation=petition.organisation)
    Update.objects.create(
        petition=petition, title="News", body="Body.", published_at=petition.created_at
    )
    return petition


def _in_language(language: str, english: str | tuple[str, str]) -> str:
    """The catalog's translation; a (context, text) pair is looked up with its context."""
    with translation.override(language):
        if isinstance(english, tuple):
            return translation.pgettext(*english)
        return translation.gettext(english)


def _page(client, url: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == language
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", PAGES)
def test_each_main_staff_page_is_in_the_chosen_language(world, url, language):
    _, client = staff_client("owner")

    page = _page(client, url.format(pk=world.pk), language)

    assert f'<html lang="{language}">' in page
    for checked in PAGES[url]:
        translated = _in_language(language, checked)
        english = checked[1] if isinstance(checked, tuple) else checked
        assert translated != english, f"{english!r} has no {language} translation"
        assert translated in page, f"{translated!r} missing from {url}"
        assert f">{english}<" not in page, f"{english!r} left in English on {url}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_home_page_leads_to_the_first_section_in_the_same_language(world, language):
    _, client = staff_client("owner")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = html.unescape(client.get("/staff/", follow=True).content.decode())

    assert _in_language(language, "New petition") in page
    assert "New petition" not in page


def test_without_a_choice_the_browser_language_decides(world):
    _, client = staff_client("analyst")

    page = client.get("/staff/petitions/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content

    assert b'<html lang="de">' in page
    assert b"Petitionen" in page


def test_english_stays_the_default_and_keeps_its_wording(world):
    _, client = staff_client("owner")

    page = client.get("/staff/petitions/", HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()

    assert '<html lang="en">' in page
    assert "New petition" in page and "Last 14 days" in page


def test_status_names_and_roles_follow_the_language(world):
    _, client = staff_client("owner")

    page = _page(client, "/staff/petitions/", "fr")

    assert "Ouverte aux signatures" in page  # Petition.Status.OPEN's label
    assert "Open for signatures" not in page
    assert "Propriétaire" in page  # the role beside the name in the header
    assert ">Owner<" not in page


def test_numbers_and_dates_follow_the_language(world, petition):
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=1234)
    joined = timezone.make_aware(datetime(2026, 2, 11, 9, 30))
    member = MemberFactory(organisation=petition.organisation)
    Member.objects.filter(pk=member.pk).update(created_at=joined)
    _, client = staff_client("owner")

    english = _page(client, "/staff/petitions/", "en")
    german = _page(client, "/staff/petitions/", "de")
    french_members = _page(client, "/staff/members/", "fr")

    assert "1,234" in english
    assert "1.234" in german and "1,234" not in german
    assert "11 Feb 2026" not in french_members  # the list shows "j M Y"
    with translation.override("fr"):
        assert date_format(joined, "j M Y") == "11 Fév 2026"
    assert "11 Fév 2026" in french_members


def test_messages_after_an_action_are_in_the_chosen_language(world):
    _, client = staff_client("owner")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = client.post(
        "/staff/mailings/segments/new/",
        {
            "name": "",
            "match": "all",
            "action": "save",
            "c-TOTAL_FORMS": "0",
            "c-INITIAL_FORMS": "0",
        },  # fmt: skip
    )

    page = html.unescape(response.content.decode())
    assert "Ponle un nombre al segmento para guardarlo." in page
    assert "Give the segment a name to save it." not in page
