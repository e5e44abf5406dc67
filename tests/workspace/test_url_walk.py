"""Every workspace URL, walked as each persona and as a signed-out visitor.

The URLs come from the workspace's URL modules (tests/workspace/walk.py), so a page
added later is walked without editing this file. Each view declares its permission
through staff.access.staff_view; this checks the declaration is what each person
meets: signed out, the sign-in page; holding the permission, the page (or a redirect,
or "use POST"); lacking it, exactly 403, and a POST that changes nothing.
"""

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from mailings.models import Segment
from members.models import MemberImport
from orgs.people import invitation_create
from petitions.models import BulkAction, Update
from tests.factories import (
    MailingFactory,
    MemberFactory,
    PetitionFactory,
    SignatureFactory,
    UserFactory,
)
from tests.staff import PERSONAS, staff_client
from tests.workspace.samples import pack_sample, partner_samples
from tests.workspace.walk import workspace_urls

pytestmark = pytest.mark.django_db

OPEN = {200, 302, 405}
TOKEN = "not-a-real-token"


@pytest.fixture
def samples(organisation, roles):
    owner = UserFactory(username="sample-owner", role="Owner")
    petition = PetitionFactory(organisation=organisation, slug="walked")
    update = Update.objects.create(
        petition=petition, title="An update", body="News.", published_at=timezone.now()
    )
    member = MemberFactory(organisation=organisation)
    return {
        "pk": petition.pk,
        "signature_pk": SignatureFactory(petition=petition, member=member).pk,
        "member_pk": member.pk,
        "update_pk": update.pk,
        "user_pk": UserFactory(username="sample-analyst", role="Analyst").pk,
        "invitation_pk": invitation_create(
            email="invited@example.org", role="Analyst", by=owner
        ).pk,
        "import_pk": MemberImport.objects.create(
            organisation=organisation, by=owner, source="a sample list", state="done"
        ).pk,
        "token": TOKEN,
        # mailings: segments
        "segment_pk": Segment.objects.create(organisation=organisation, name="A sample").pk,
        # petitions: a translation's language
        "language": "fr",
        "mailing_pk": MailingFactory(organisation=organisation).pk,
        # petitions: the fraud tab's bulk actions
        "bulk_pk": BulkAction.objects.create(
            petition=petition, kind="invalidate", reason="A sample", state="done"
        ).pk,
        # delivery: the Delivery tab's packs
        "pack_pk": pack_sample(petition, owner),
        # partners: their tokens and webhooks
        **partner_samples(organisation),
    }


def _opens(url, status: int) -> bool:
    # A view looking up a made-up token may answer "not found"; that is not a refusal.
    return status in OPEN or (
        status == 404 and "<" in url.path or status == 404 and "token" in url.name
    )


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_url(samples):
    client = Client()
    wrong = []
    for url in workspace_urls(samples):
        for method in (client.get, client.post):
            response = method(url.path)
            expected = f"/staff/login/?next={url.path}"
            if response.status_code != 302 or response["Location"] != expected:
                wrong.append((method.__name__, url.path, response.status_code))

    assert wrong == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_opens_what_its_permissions_allow_and_gets_403_elsewhere(samples, persona):
    user, client = staff_client(persona)
    wrong = []
    for url in workspace_urls(samples):
        allowed = url.permission is None or user.has_perm(url.permission)
        status = client.get(url.path).status_code
        if (allowed and not _opens(url, status)) or (not allowed and status != 403):
            wrong.append((url.path, url.permission, status))

    assert wrong == []


def _everything() -> dict:
    """Every row of every table but the sessions (each request touches its own)."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values()))
        for model in apps.get_models()
        if model._meta.managed and model is not Session
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_post_without_the_permission_is_refused_and_changes_nothing(samples, persona):
    user, client = staff_client(persona)
    refused = [
        url
        for url in workspace_urls(samples)
        if url.permission is not None and not user.has_perm(url.permission)
    ]
    before = _everything()
    wrong = []
    for url in refused:
        status = client.post(url.path, {"role": "Owner", "email": "x@example.org"}).status_code
        if status != 403:
            wrong.append((url.path, status))

    assert wrong == []
    assert _everything() == before


def test_the_walk_reaches_the_people_pages(samples):
    names = {url.name for url in workspace_urls(samples)}

    assert {"people", "people_invite", "people_person", "people_invitation_revoke"} <= names


def test_the_walk_reaches_the_members_pages(samples):
    names = {url.name for url in workspace_urls(samples)}

    assert {"members", "member", "member_unsubscribe", "member_suppress"} <= names
    assert "members_consent_rules" in names
