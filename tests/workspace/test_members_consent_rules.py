"""Consent rules by country: owners set where subscribing needs a confirmed opt-in."""

import pytest

from members.models import CountryConsentRule
from members.selectors import double_opt_in_required

pytestmark = pytest.mark.django_db

URL = "/staff/members/consent-rules/"


def test_it_shows_the_built_in_rules_for_germany_and_austria(owner_client, organisation):
    page = owner_client.get(URL).content.decode()

    assert "Germany" in page and "Austria" in page
    assert page.count("Chorus’s default") == 2


def test_an_owner_adds_a_rule_typed_by_country_name(owner_client, organisation):
    response = owner_client.post(
        URL, {"country": "france", "double_opt_in": "yes", "note": "Our policy"}
    )

    assert response.status_code == 302
    assert double_opt_in_required(organisation_id=organisation.pk, country="FR")
    page = owner_client.get(URL).content.decode()
    assert "Saved the rule for France" in page and "Our policy" in page


def test_an_owner_relaxes_germany_and_resets_it_to_the_default(owner_client, organisation):
    owner_client.post(URL, {"country": "DE", "double_opt_in": "no"})
    assert not double_opt_in_required(organisation_id=organisation.pk, country="DE")

    owner_client.post(URL, {"remove": "DE"})

    assert not CountryConsentRule.objects.exists()
    assert double_opt_in_required(organisation_id=organisation.pk, country="DE")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"country": "", "double_opt_in": "yes"}, "Type the country the rule is for."),
        ({"country": "Narnia", "double_opt_in": "yes"}, "No country is called “Narnia”"),
        ({"country": "<script>alert(1)</script>", "double_opt_in": "yes"}, "No country is"),
        ({"country": "DE\x00", "double_opt_in": "yes"}, "The rule was not saved"),
        ({"country": "D" * 61, "double_opt_in": "yes"}, "two-letter code"),
        ({"country": "DE", "double_opt_in": "maybe"}, "Select a valid choice"),
        ({"country": "DE"}, "Choose what subscribing needs"),
        ({"country": "DE", "double_opt_in": "no", "note": "n" * 301}, "300 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_stores_nothing(
    owner_client, organisation, data, message
):
    response = owner_client.post(URL, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "The rule was not saved" in page
    assert "<script>alert" not in page
    assert not CountryConsentRule.objects.exists()


def test_resetting_an_unknown_country_changes_nothing(owner_client, organisation):
    CountryConsentRule.objects.create(organisation=organisation, country="FR")

    response = owner_client.post(URL, {"remove": "<b>Narnia</b>\x00"}, follow=True)

    assert response.status_code == 200
    assert CountryConsentRule.objects.count() == 1


@pytest.mark.parametrize("persona", ["campaigner_client", "analyst_client"])
def test_only_owners_may_open_or_change_the_rules(persona, organisation, request):
    client = request.getfixturevalue(persona)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"country": "FR", "double_opt_in": "yes"}).status_code == 403
    assert not CountryConsentRule.objects.exists()
