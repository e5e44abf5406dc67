"""The staff area for petitions and signatures, seen by each persona."""

import pytest
from django.urls import reverse

from petitions.models import Petition, Signature, SignatureEvent
from tests.factories import PetitionFactory, SignatureFactory, UserFactory
from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db


def _changelist(model):
    return reverse(f"admin:petitions_{model}_changelist")


def _change(petition):
    return reverse("admin:petitions_petition_change", args=[petition.pk])


def _preview(petition):
    return reverse("petition_preview", args=[petition.pk])


def _action(client, model, action, objects):
    return client.post(
        _changelist(model),
        {"action": action, "_selected_action": [o.pk for o in objects]},
    )


def _petition_form(petition, **overrides):
    data = {
        "organisation": petition.organisation_id,
        "title": petition.title,
        "slug": petition.slug,
        "target": petition.target,
        "summary": petition.summary,
        "story": petition.story,
        "language": "en",
        "image_alt": "",
        "status": petition.status,
        "require_confirmation": "on",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(organisation):
    return PetitionFactory(organisation=organisation, status=Petition.Status.DRAFT, slug="draft")


class TestPreview:
    def test_staff_see_a_draft_as_the_public_will(self, campaigner_client, draft):
        response = campaigner_client.get(_preview(draft))

        assert response.status_code == 200
        assert draft.title.encode() in response.content

    def test_an_analyst_may_preview_too(self, analyst_client, draft):
        assert analyst_client.get(_preview(draft)).status_code == 200

    def test_the_public_cannot_see_the_preview(self, public_client, draft):
        response = public_client.get(_preview(draft))

        assert response.status_code == 302
        assert response["Location"].startswith(("/staff/login/", "/admin/login/"))
        assert draft.title.encode() not in response.content

    def test_staff_without_a_role_cannot_see_the_preview(self, client, draft, roles):
        client.force_login(UserFactory(username="no-role"))

        assert client.get(_preview(draft)).status_code == 403


class TestPetitionAdmin:
    def test_a_campaigner_edits_a_petition(self, campaigner_client, petition):
        response = campaigner_client.post(
            _change(petition), _petition_form(petition, title="A sharper ask")
        )

        assert response.status_code == 302, response.content[:2000]
        petition.refresh_from_db()
        assert petition.title == "A sharper ask"

    def test_an_analyst_can_look_but_not_change_a_petition(self, analyst_client, petition):
        assert analyst_client.get(_changelist("petition")).status_code == 200
        assert analyst_client.get(_change(petition)).status_code == 200

        response = analyst_client.post(
            _change(petition), _petition_form(petition, title="Hijacked")
        )

        assert response.status_code == 403
        petition.refresh_from_db()
        assert petition.title != "Hijacked"

    @pytest.mark.parametrize("action", ["publish", "close", "declare_victory"])
    def test_an_analyst_cannot_publish_or_close(self, analyst_client, draft, action):
        _action(analyst_client, "petition", action, [draft])

        draft.refresh_from_db()
        assert draft.status == Petition.Status.DRAFT

    def test_a_campaigner_publishes_then_closes(self, campaigner_client, draft):
        _action(campaigner_client, "petition", "publish", [draft])
        draft.refresh_from_db()
        assert draft.status == Petition.Status.OPEN and draft.published_at

        _action(campaigner_client, "petition", "close", [draft])
        draft.refresh_from_db()
        assert draft.status == Petition.Status.CLOSED and draft.closed_at

    def test_the_public_is_sent_to_the_login_page(self, public_client, petition):
        response = public_client.get(_changelist("petition"))

        assert response.status_code == 302
        assert response["Location"].startswith(("/staff/login/", "/admin/login/"))


class TestSignatureAdmin:
    def test_a_campaigner_invalidates_a_signature_and_it_is_logged(
        self, campaigner_client, campaigner, petition
    ):
        signature = SignatureFactory(petition=petition, state="confirmed")

        _action(campaigner_client, "signature", "invalidate", [signature])

        signature.refresh_from_db()
        assert signature.state == Signature.State.INVALIDATED
        assert signature.count_dirty
        event = signature.events.get()
        assert (event.from_state, event.to_state, event.by) == (
            "confirmed",
            "invalidated",
            campaigner,
        )

    @pytest.mark.parametrize("action", ["invalidate", "mark_fraudulent", "reinstate"])
    def test_an_analyst_cannot_change_a_signature(self, analyst_client, petition, action):
        signature = SignatureFactory(petition=petition, state="pending")

        _action(analyst_client, "signature", action, [signature])

        signature.refresh_from_db()
        assert signature.state == Signature.State.PENDING
        assert not signature.events.exists()

    def test_search_finds_a_signer_by_email(self, campaigner_client, petition):
        SignatureFactory(petition=petition, email="findme@example.org", first_name="Findme")
        SignatureFactory(petition=petition, email="other@example.org", first_name="Other")

        response = campaigner_client.get(_changelist("signature"), {"q": "findme@"})

        assert b"Findme" in response.content
        assert b"Other" not in response.content

    def test_the_token_hash_is_never_shown(self, campaigner_client, petition):
        signature = SignatureFactory(petition=petition, token_hash="f" * 64)

        response = campaigner_client.get(
            reverse("admin:petitions_signature_change", args=[signature.pk])
        )

        assert response.status_code == 200
        assert b"f" * 64 not in response.content

    def test_the_changelist_query_count_does_not_grow_with_rows(
        self, campaigner_client, petition, django_assert_max_num_queries
    ):
        other = PetitionFactory(organisation=petition.organisation)
        SignatureFactory.create_batch(3, petition=petition)
        campaigner_client.get(_changelist("signature"))  # warm the session and caches
        with django_assert_max_num_queries(20) as few:
            assert campaigner_client.get(_changelist("signature")).status_code == 200

        SignatureFactory.create_batch(20, petition=other)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = campaigner_client.get(_changelist("signature"))
        assert response.content.count(b'name="_selected_action"') == 23


class TestNothingIsHardDeleted:
    """Removing a signature is a change of state; the staff area deletes none, for anyone."""

    @pytest.mark.parametrize("persona", PERSONAS)
    def test_no_one_deletes_a_signature(self, petition, persona):
        _, client = staff_client(persona)
        signature = SignatureFactory(petition=petition, state="confirmed")
        SignatureEvent.objects.create(signature=signature, to_state="confirmed")

        one = client.post(
            reverse("admin:petitions_signature_delete", args=[signature.pk]), {"post": "yes"}
        )
        client.post(
            _changelist("signature"),
            {"action": "delete_selected", "_selected_action": [signature.pk], "post": "yes"},
        )

        assert one.status_code == 403
        assert Signature.objects.filter(pk=signature.pk).exists()
        assert SignatureEvent.objects.filter(signature=signature).exists()

    @pytest.mark.parametrize("persona", PERSONAS)
    def test_no_one_deletes_a_petition_that_has_signatures(self, petition, persona):
        _, client = staff_client(persona)
        SignatureFactory(petition=petition)

        one = client.post(
            reverse("admin:petitions_petition_delete", args=[petition.pk]), {"post": "yes"}
        )
        client.post(
            _changelist("petition"),
            {"action": "delete_selected", "_selected_action": [petition.pk], "post": "yes"},
        )

        assert one.status_code == 403
        assert Petition.objects.filter(pk=petition.pk).exists()
        assert petition.signatures.count() == 1

    def test_the_petition_page_says_why_it_cannot_be_deleted(self, owner_client, petition):
        SignatureFactory(petition=petition)

        response = owner_client.get(_change(petition))

        assert b"cannot be deleted: close it to stop signing" in response.content
        assert reverse("admin:petitions_petition_delete", args=[petition.pk]).encode() not in (
            response.content
        )

    def test_a_draft_nobody_signed_can_still_be_deleted_from_its_page(self, owner_client, draft):
        response = owner_client.post(
            reverse("admin:petitions_petition_delete", args=[draft.pk]), {"post": "yes"}
        )

        assert response.status_code == 302
        assert not Petition.objects.filter(pk=draft.pk).exists()

    def test_the_signature_list_offers_no_delete_action(self, petition):
        _, client = staff_client("superuser")
        SignatureFactory(petition=petition)

        for model in ["signature", "petition"]:
            assert b'value="delete_selected"' not in client.get(_changelist(model)).content
