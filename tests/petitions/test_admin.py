"""The operators' admin for petitions and signatures.

The admin is for superusers only (chorus/urls.py); every other persona is refused
there and works in the workspace at /staff/ instead. Its rules still hold for the
operators: nothing is hard-deleted, the token hash never shows.
"""

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
def operator():
    return staff_client("superuser")


@pytest.fixture
def operator_client(operator):
    return operator[1]


def _refused(response) -> bool:
    """The admin turns away a non-superuser: to its login URL, which says so with a 403."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"].startswith("/admin/login/")
    )


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
    def test_an_operator_edits_a_petition(self, operator_client, petition):
        response = operator_client.post(
            _change(petition), _petition_form(petition, title="A sharper ask")
        )

        assert response.status_code == 302, response.content[:2000]
        petition.refresh_from_db()
        assert petition.title == "A sharper ask"

    @pytest.mark.parametrize("persona", ["owner", "campaigner", "analyst", "view_only"])
    def test_no_role_looks_at_or_changes_a_petition_in_the_admin(self, petition, persona):
        _, client = staff_client(persona)
        assert _refused(client.get(_changelist("petition")))
        assert _refused(client.get(_change(petition)))

        response = client.post(_change(petition), _petition_form(petition, title="Hijacked"))

        assert _refused(response)
        petition.refresh_from_db()
        assert petition.title != "Hijacked"

    @pytest.mark.parametrize("action", ["publish", "close", "declare_victory"])
    def test_an_analyst_cannot_publish_or_close(self, analyst_client, draft, action):
        _action(analyst_client, "petition", action, [draft])

        draft.refresh_from_db()
        assert draft.status == Petition.Status.DRAFT

    def test_an_operator_publishes_then_closes(self, operator_client, draft):
        _action(operator_client, "petition", "publish", [draft])
        draft.refresh_from_db()
        assert draft.status == Petition.Status.OPEN and draft.published_at

        _action(operator_client, "petition", "close", [draft])
        draft.refresh_from_db()
        assert draft.status == Petition.Status.CLOSED and draft.closed_at

    def test_the_public_is_sent_to_the_login_page(self, public_client, petition):
        response = public_client.get(_changelist("petition"))

        assert response.status_code == 302
        assert response["Location"].startswith(("/staff/login/", "/admin/login/"))


class TestSignatureAdmin:
    def test_an_operator_invalidates_a_signature_and_it_is_logged(self, operator, petition):
        user, client = operator
        signature = SignatureFactory(petition=petition, state="confirmed")

        _action(client, "signature", "invalidate", [signature])

        signature.refresh_from_db()
        assert signature.state == Signature.State.INVALIDATED
        assert signature.count_dirty
        event = signature.events.get()
        assert (event.from_state, event.to_state, event.by) == (
            "confirmed",
            "invalidated",
            user,
        )

    @pytest.mark.parametrize("action", ["invalidate", "mark_fraudulent", "reinstate"])
    def test_an_analyst_cannot_change_a_signature(self, analyst_client, petition, action):
        signature = SignatureFactory(petition=petition, state="pending")

        _action(analyst_client, "signature", action, [signature])

        signature.refresh_from_db()
        assert signature.state == Signature.State.PENDING
        assert not signature.events.exists()

    def test_search_finds_a_signer_by_email(self, operator_client, petition):
        SignatureFactory(petition=petition, email="findme@example.org", first_name="Findme")
        SignatureFactory(petition=petition, email="other@example.org", first_name="Other")

        response = operator_client.get(_changelist("signature"), {"q": "findme@"})

        assert b"Findme" in response.content
        assert b"Other" not in response.content

    def test_the_token_hash_is_never_shown(self, operator_client, petition):
        signature = SignatureFactory(petition=petition, token_hash="f" * 64)

        response = operator_client.get(
            reverse("admin:petitions_signature_change", args=[signature.pk])
        )

        assert response.status_code == 200
        assert b"f" * 64 not in response.content

    def test_the_changelist_query_count_does_not_grow_with_rows(
        self, operator_client, petition, django_assert_max_num_queries
    ):
        other = PetitionFactory(organisation=petition.organisation)
        SignatureFactory.create_batch(3, petition=petition)
        operator_client.get(_changelist("signature"))  # warm the session and caches
        with django_assert_max_num_queries(20) as few:
            assert operator_client.get(_changelist("signature")).status_code == 200

        SignatureFactory.create_batch(20, petition=other)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = operator_client.get(_changelist("signature"))
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

        assert _refused(one) if persona != "superuser" else one.status_code == 403
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

        assert _refused(one) if persona != "superuser" else one.status_code == 403
        assert Petition.objects.filter(pk=petition.pk).exists()
        assert petition.signatures.count() == 1

    def test_the_petition_page_says_why_it_cannot_be_deleted(self, operator_client, petition):
        SignatureFactory(petition=petition)

        response = operator_client.get(_change(petition))

        assert b"cannot be deleted: close it to stop signing" in response.content
        assert reverse("admin:petitions_petition_delete", args=[petition.pk]).encode() not in (
            response.content
        )

    def test_a_draft_nobody_signed_can_still_be_deleted_from_its_page(
        self, operator_client, draft
    ):
        response = operator_client.post(
            reverse("admin:petitions_petition_delete", args=[draft.pk]), {"post": "yes"}
        )

        assert response.status_code == 302
        assert not Petition.objects.filter(pk=draft.pk).exists()

    def test_the_signature_list_offers_no_delete_action(self, petition):
        _, client = staff_client("superuser")
        SignatureFactory(petition=petition)

        for model in ["signature", "petition"]:
            assert b'value="delete_selected"' not in client.get(_changelist(model)).content
