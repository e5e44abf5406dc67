"""The outcome in the workspace: the response form, signing after a victory, emailing an
update (from its form or its own page, once), and victory or close with a message; every
action per role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailings.models import Mailing
from members.models import Member
from petitions.models import Petition, PetitionEvent, Signature, Update
from tests.factories import MemberFactory, PetitionFactory, SignatureFactory
from tests.staff import PERSONAS, staff_client
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db

# Who may do what: change_petition for the response and the outcome actions;
# mailings.send_mailing to email signers.
MAY_CHANGE = {"owner": True, "campaigner": True, "analyst": False, "superuser": True}
MAY_CHANGE["view_only"] = False
MAY_EMAIL = MAY_CHANGE


def consenting_signer(petition, email="ada@example.org"):
    member = MemberFactory(
        organisation=petition.organisation, email=email, status=Member.Status.SUBSCRIBED
    )
    SignatureFactory(petition=petition, email=email, member=member, opt_in=True, state="confirmed")
    return member


def an_update(petition, **fields):
    values = {"title": "We met the board", "body": "It went **well**."}
    values |= fields
    values.setdefault("published_at", timezone.now() - timedelta(minutes=1))
    return Update.objects.create(petition=petition, **values)


RESPONSE = {"response": "1", "text": "We will stop.", "on": "2026-03-03", "url": ""}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_response_form_per_role(organisation, persona):
    _, client = staff_client(persona)
    petition = PetitionFactory(organisation=organisation)

    page = client.get(tab_url(petition, "outcome/"))
    response = client.post(tab_url(petition, "outcome/"), RESPONSE)

    petition.refresh_from_db()
    if MAY_CHANGE[persona]:
        assert page.status_code == 200 and "The target's response" in page.content.decode()
        assert response.status_code == 302
        assert petition.response_text == "We will stop."
        assert str(petition.response_on) == "2026-03-03"
    else:
        assert page.status_code == 403 and response.status_code == 403
        assert petition.response_text == ""


@pytest.mark.parametrize(
    "fields",
    [
        {"on": "not a date"},
        {"on": "2999-01-01"},
        {"url": "javascript:alert(1)"},
        {"text": "x" * 5001},
        {"text": "\x00"},
        {"text": "", "on": "2026-03-03"},
        {"on": ""},
    ],
)
def test_a_bad_response_keeps_what_was_typed_says_why_and_changes_nothing(
    campaigner_client, petition, fields
):
    response = campaigner_client.post(tab_url(petition, "outcome/"), RESPONSE | fields)

    assert response.status_code == 400
    assert "The response was not saved" in response.content.decode()
    petition.refresh_from_db()
    assert petition.response_text == "" and petition.response_on is None


@pytest.mark.parametrize("persona", PERSONAS)
def test_signing_after_a_victory_per_role(organisation, persona):
    _, client = staff_client(persona)
    petition = PetitionFactory(organisation=organisation, status=Petition.Status.WON)

    response = client.post(tab_url(petition, "outcome/"), {"signing": "1", "keep_signing": "on"})

    petition.refresh_from_db()
    if MAY_CHANGE[persona]:
        assert response.status_code == 302 and petition.keeps_signing and petition.is_open
    else:
        assert response.status_code == 403 and not petition.keeps_signing


@pytest.mark.parametrize("persona", PERSONAS)
def test_emailing_an_update_from_its_page_per_role(organisation, persona):
    _, client = staff_client(persona)
    petition = PetitionFactory(organisation=organisation)
    consenting_signer(petition)
    update = an_update(petition)
    url = tab_url(petition, f"updates/{update.pk}/email/")

    page = client.get(url)
    response = client.post(url)

    if MAY_EMAIL[persona]:
        assert page.status_code == 200
        assert "goes to <strong>1 member</strong>" in page.content.decode()
        assert response.status_code == 302
        mailing = Mailing.objects.get(update=update)
        assert mailing.audience == Mailing.Audience.SIGNERS
        assert mailing.state == Mailing.State.SCHEDULED
    else:
        assert page.status_code == 403 and response.status_code == 403
        assert not Mailing.objects.exists()


def test_a_second_press_makes_no_second_mailing_and_the_list_shows_the_report_link(
    campaigner_client, petition
):
    update = an_update(petition)
    url = tab_url(petition, f"updates/{update.pk}/email/")
    campaigner_client.post(url)
    second = campaigner_client.post(url, follow=True)

    assert "emailed already" in second.content.decode()
    mailing = Mailing.objects.get(update=update)
    listing = campaigner_client.get(tab_url(petition, "updates/")).content.decode()
    assert f"/staff/mailings/{mailing.pk}/" in listing
    assert "To be emailed" in listing
    Mailing.objects.filter(pk=mailing.pk).update(
        state=Mailing.State.SENT, finished_at=timezone.now()
    )
    listing = campaigner_client.get(tab_url(petition, "updates/")).content.decode()
    assert "Emailed " in listing
    again = campaigner_client.get(url).content.decode()
    assert "nothing more will be sent" in again and "Email the update" not in again


def test_an_update_of_another_petition_is_not_found(campaigner_client, organisation):
    petition, other = (
        PetitionFactory(organisation=organisation),
        PetitionFactory(organisation=organisation),
    )
    update = an_update(other)
    response = campaigner_client.post(tab_url(petition, f"updates/{update.pk}/email/"))
    assert response.status_code == 404
    assert not Mailing.objects.exists()


def test_the_update_form_can_email_it_once_saved(campaigner_client, petition):
    response = campaigner_client.post(
        tab_url(petition, "updates/new/"),
        {
            "title": "The board replied",
            "body": "They *will* meet us.",
            "published_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
            "email_signers": "on",
        },
    )

    assert response.status_code == 302
    update = Update.objects.get(petition=petition)
    assert Mailing.objects.get(update=update).subject == "The board replied"
    edit = campaigner_client.get(tab_url(petition, f"updates/{update.pk}/edit/"))
    assert "email_signers" not in edit.content.decode()  # emailed: no second chance


def test_the_update_form_without_the_box_emails_nobody(campaigner_client, petition):
    campaigner_client.post(
        tab_url(petition, "updates/new/"),
        {"title": "Quiet", "body": "News.", "published_at": "2026-12-01T09:30"},
    )
    assert Update.objects.filter(petition=petition).exists()
    assert not Mailing.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "campaigner", "superuser"])
def test_declaring_victory_keeps_signing_posts_the_message_and_emails_it(organisation, persona):
    user, client = staff_client(persona)
    petition = PetitionFactory(organisation=organisation)
    consenting_signer(petition)

    page = client.get(f"/staff/petitions/{petition.pk}/victory/").content.decode()
    assert "It would reach 1 member now." in page
    response = client.post(
        f"/staff/petitions/{petition.pk}/victory/",
        {
            "keep_signing": "on",
            "title": "We won!",
            "body": "PhotoCircle **stopped**.",
            "email_signers": "on",
        },
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.WON and petition.keeps_signing
    update = Update.objects.get(petition=petition)
    assert update.title == "We won!"
    assert Mailing.objects.get(update=update).created_by == user


@pytest.mark.parametrize("persona", ["analyst", "view_only"])
def test_who_may_not_change_a_petition_cannot_declare_victory(organisation, persona):
    _, client = staff_client(persona)
    petition = PetitionFactory(organisation=organisation)
    response = client.post(
        f"/staff/petitions/{petition.pk}/victory/",
        {"title": "We won!", "body": "Yes.", "email_signers": "on"},
    )
    assert response.status_code == 403
    assert Petition.objects.get(pk=petition.pk).status == Petition.Status.OPEN
    assert not Update.objects.exists() and not Mailing.objects.exists()


def test_closing_without_options_emails_nobody_and_stops_signing(campaigner_client, petition):
    response = campaigner_client.post(f"/staff/petitions/{petition.pk}/close/", {})
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.CLOSED and not petition.is_open
    assert not Update.objects.exists() and not Mailing.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Only a title"},
        {"body": "Only a body"},
        {"email_signers": "on"},
        {"title": "x" * 201, "body": "b"},
        {"title": "a\u202eb", "body": "b"},
    ],
)
def test_a_bad_message_changes_nothing_and_says_why(campaigner_client, petition, fields):
    response = campaigner_client.post(f"/staff/petitions/{petition.pk}/victory/", fields)

    assert response.status_code == 400
    assert "Nothing has changed yet" in response.content.decode()
    assert Petition.objects.get(pk=petition.pk).status == Petition.Status.OPEN
    assert not PetitionEvent.objects.exists() and not Update.objects.exists()


def test_a_refused_victory_posts_no_message(campaigner_client, organisation):
    petition = PetitionFactory(organisation=organisation, status=Petition.Status.WON)
    campaigner_client.post(
        f"/staff/petitions/{petition.pk}/victory/",
        {"title": "Again", "body": "Twice?", "email_signers": "on"},
    )
    assert not Update.objects.exists() and not Mailing.objects.exists()


def test_the_outcome_tab_is_there_for_those_who_may_change_the_petition(
    campaigner_client, analyst_client, petition
):
    assert "/outcome/" in campaigner_client.get(tab_url(petition, "updates/")).content.decode()
    assert "/outcome/" not in analyst_client.get(tab_url(petition, "updates/")).content.decode()


def test_signature_states_are_untouched_by_any_of_it(campaigner_client, petition):
    consenting_signer(petition)
    update = an_update(petition)
    campaigner_client.post(tab_url(petition, f"updates/{update.pk}/email/"))
    assert list(Signature.objects.values_list("state", flat=True)) == ["confirmed"]


def test_the_mailing_pages_name_the_signers_as_the_audience_and_count_them(
    campaigner_client, petition
):
    consenting_signer(petition)
    consenting_signer(petition, "bo@example.org")
    update = an_update(petition)
    campaigner_client.post(tab_url(petition, f"updates/{update.pk}/email/"))
    mailing = Mailing.objects.get(update=update)
    audience = f"the signers of “{petition.title}” who agreed to hear"

    detail = campaigner_client.get(f"/staff/mailings/{mailing.pk}/").content.decode()
    listing = campaigner_client.get("/staff/mailings/").content.decode()
    preview = campaigner_client.get(f"/staff/mailings/{mailing.pk}/preview/")
    assert audience in detail and audience in listing
    assert preview.status_code == 200
    Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.DRAFT)
    send = campaigner_client.get(f"/staff/mailings/{mailing.pk}/send/").content.decode()
    assert audience in send and "Send to 2 members" in send
