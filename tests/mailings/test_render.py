"""A mailing's Markdown and merge fields, rendered once and personalised per member."""

import re

import pytest

from mailings import tokens
from mailings.render import mailing_compile, merge_field_errors
from tests.factories import MailingFactory, PetitionFactory, RecipientFactory

pytestmark = pytest.mark.django_db


def test_it_fills_in_the_first_name_and_escapes_it_in_html():
    mailing = MailingFactory(body="Hello {{first_name|friend}}!")
    recipient = RecipientFactory(mailing=mailing, member__first_name="<b>Ada</b>")

    rendered = mailing_compile(mailing).personalise(recipient.member, recipient.pk)

    assert "Hello &lt;b&gt;Ada&lt;/b&gt;!" in rendered.html
    assert "Hello <b>Ada</b>!" in rendered.text


def test_it_uses_the_fallback_when_the_first_name_is_empty():
    mailing = MailingFactory(
        body="Hello {{first_name|friend}}!", subject="{{first_name|You}}, read"
    )
    recipient = RecipientFactory(mailing=mailing, member__first_name="")

    rendered = mailing_compile(mailing).personalise(recipient.member, recipient.pk)

    assert "Hello friend!" in rendered.text
    assert rendered.subject == "You, read"


def test_every_link_becomes_a_signed_click_link_for_its_recipient():
    petition = PetitionFactory()
    mailing = MailingFactory(
        organisation=petition.organisation,
        petition=petition,
        body="[Sign]({{petition_link}}) or [read more](https://news.example/story?a=1&b=2)",
    )
    recipient = RecipientFactory(mailing=mailing)
    compiled = mailing_compile(mailing)

    rendered = compiled.personalise(recipient.member, recipient.pk)

    assert len(compiled.links) == 2
    assert compiled.links[0].endswith(petition.get_absolute_url())
    assert compiled.links[1] == "https://news.example/story?a=1&b=2"
    hrefs = re.findall(r'href="([^"]+)"', rendered.html)
    click_token = tokens.recipient_token(recipient.pk, tokens.CLICK)
    assert hrefs[0].endswith(f"/m/c/{click_token}/0/")
    assert hrefs[1].endswith(f"/m/c/{click_token}/1/")
    assert "news.example" not in rendered.html.split("<body")[1].split("Unsubscribe")[0]


def test_the_footer_carries_the_postal_address_and_the_unsubscribe_link():
    mailing = MailingFactory(body="Hi")
    mailing.organisation.postal_address = "1 Example Street\nLondon"
    mailing.organisation.save()
    recipient = RecipientFactory(mailing=mailing)

    rendered = mailing_compile(mailing).personalise(recipient.member, recipient.pk)

    unsubscribe = tokens.recipient_token(recipient.pk, tokens.UNSUBSCRIBE)
    for part in (rendered.text, rendered.html):
        assert "1 Example Street" in part
        assert f"/m/u/{unsubscribe}/" in part


@pytest.mark.parametrize(
    "text",
    ["{{last_name}}", "{{petition_link|x}}", "{{first_name", "{{ first_name }} {{oops}}"],
)
def test_it_names_what_is_wrong_with_a_merge_field(text):
    assert merge_field_errors(text)


def test_well_formed_merge_fields_pass():
    assert (
        merge_field_errors("Hi {{first_name|friend}}, {{petition_link}} {{unsubscribe_link}}")
        == []
    )


def test_a_token_is_refused_for_another_purpose_or_when_tampered():
    token = tokens.recipient_token(42, tokens.CLICK)

    assert tokens.recipient_id_from_token(token, tokens.CLICK) == 42
    assert tokens.recipient_id_from_token(token, tokens.UNSUBSCRIBE) is None
    tampered = token[:-1] + ("B" if token[-1] == "A" else "A")
    assert tokens.recipient_id_from_token(tampered, tokens.CLICK) is None
    assert tokens.recipient_id_from_token("1." + token.split(".", 1)[1], tokens.CLICK) is None
