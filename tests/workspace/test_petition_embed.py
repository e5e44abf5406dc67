"""The Embed tab: the snippet a partner pastes, for whom, and who may see it."""

import html
import re

import pytest
from django.test import Client

from tests.factories import OrganisationFactory, PartnerFactory, PetitionFactory
from tests.staff import PERSONAS, staff_client
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db


def _snippet(response) -> str:
    """The snippet as the person copying it gets it: the textarea's text, unescaped once."""
    match = re.search(
        r"<textarea[^>]*data-copy-source[^>]*>(.*?)</textarea>", response.content.decode(), re.S
    )
    assert match, "no snippet on the page"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_that_sees_the_petition_gets_the_snippet(persona, petition, settings):
    _, client = staff_client(persona)

    response = client.get(tab_url(petition, "embed/"))

    assert response.status_code == 200
    snippet = _snippet(response)
    assert f'src="{settings.BASE_URL}/p/{petition.slug}/embed/"' in snippet
    assert "data-chorus-embed" in snippet
    assert f'<script src="{settings.BASE_URL}/static/chorus/embed.js" async></script>' in snippet
    assert 'aria-current="page">Embed<' in response.content.decode()


def test_the_public_is_sent_to_sign_in(petition):
    response = Client().get(tab_url(petition, "embed/"))

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_choosing_an_active_partner_puts_it_in_the_widget_address(owner_client, petition):
    PartnerFactory(organisation=petition.organisation, slug="green-news", name="Green News")

    response = owner_client.get(tab_url(petition, "embed/") + "?partner=green-news")

    assert f"/p/{petition.slug}/embed/?partner=green-news" in _snippet(response)
    assert '<option value="green-news" selected>Green News</option>' in response.content.decode()


def test_switched_off_and_other_organisations_partners_are_not_offered(owner_client, petition):
    PartnerFactory(organisation=petition.organisation, slug="gone", name="Gone", active=False)
    PartnerFactory(organisation=OrganisationFactory(name="Else"), slug="elsewhere", name="Else")

    for slug in ["gone", "elsewhere", "<script>", "x" * 300]:
        response = owner_client.get(tab_url(petition, "embed/"), {"partner": slug})
        page = response.content.decode()
        assert response.status_code == 200
        assert "?partner=" not in _snippet(response)
        assert "not an active partner" in page
        assert 'value="gone"' not in page and 'value="elsewhere"' not in page


def test_a_title_with_quotes_and_markup_stays_inside_its_attribute(owner_client, organisation):
    petition = PetitionFactory(
        organisation=organisation, slug="quotes", title='Say "no" to </textarea><b>x</b>'
    )

    response = owner_client.get(tab_url(petition, "embed/"))

    assert "</textarea><b>" not in response.content.decode()
    assert 'title="Petition: Say &quot;no&quot; to &lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;"' in (
        _snippet(response)
    )


def test_a_published_petition_shows_a_live_preview_and_a_draft_does_not(owner_client, petition):
    draft = PetitionFactory(organisation=petition.organisation, slug="draft-one", status="draft")

    live = owner_client.get(tab_url(petition, "embed/")).content.decode()
    drafted = owner_client.get(tab_url(draft, "embed/")).content.decode()

    assert 'class="embed-preview"' in live
    assert 'class="embed-preview"' not in drafted and "is a draft" in drafted


def test_the_tab_only_reads(owner_client, petition):
    assert owner_client.post(tab_url(petition, "embed/")).status_code == 405
