"""Sample arguments for walking every workspace URL (tests/workspace/walk.py), from real rows.

Tests that must cover every page (accessibility, no internal columns) fill the
vocabulary walk.py knows from objects they made; an argument without a sample fails
the walk, so a page with a new kind of argument cannot be left out quietly.
"""

from dataclasses import dataclass

from mailings.models import Segment
from members.models import Member, MemberImport
from orgs.models import Invitation
from orgs.people import invitation_create
from tests.factories import MemberFactory
from tests.workspace.walk import WorkspaceURL, workspace_urls

# A token no view knows: the pages that take one show their refusal, which is a page too.
UNKNOWN_TOKEN = "not-a-real-token"
SAMPLE_INVITEE = "sample-invitee@example.org"


@dataclass
class Walk:
    urls: list[WorkspaceURL]

    def report(self) -> str:
        lines = [f"checked {len(self.urls)} workspace URLs:"]
        lines += [f"  {u.path} ({u.name})" for u in self.urls]
        return "\n".join(lines)


def invitation_sample(inviter) -> int:
    """A waiting invitation's pk: the one made for walks before, or a new one."""
    existing = Invitation.objects.filter(email=SAMPLE_INVITEE).order_by("pk").first()
    if existing is not None:
        return existing.pk
    return invitation_create(email=SAMPLE_INVITEE, role="Analyst", by=inviter).pk


def member_sample(organisation) -> int:
    """A member of the organisation: the first there is, or one from the factory."""
    existing = Member.objects.filter(organisation=organisation).order_by("pk").first()
    return (existing or MemberFactory(organisation=organisation)).pk


def import_sample(organisation, by) -> int:
    """A finished member import (its file already deleted, as after every run)."""
    existing = MemberImport.objects.filter(organisation=organisation).order_by("pk").first()
    if existing is not None:
        return existing.pk
    return MemberImport.objects.create(
        organisation=organisation, by=by, source="a sample list", state=MemberImport.State.DONE
    ).pk


def segment_sample(organisation) -> int:
    """A saved segment: the first there is, or one of every member."""
    existing = Segment.objects.filter(organisation=organisation).order_by("pk").first()
    if existing is not None:
        return existing.pk
    return Segment.objects.create(organisation=organisation, name="Every member").pk


def mailing_sample(organisation) -> int:
    """A mailing of the organisation: the first there is, or a new draft."""
    from mailings.models import Mailing
    from tests.factories import MailingFactory

    existing = Mailing.objects.filter(organisation=organisation).order_by("pk").first()
    return (existing or MailingFactory(organisation=organisation)).pk


def bulk_action_sample(petition) -> int:
    """A finished bulk action of the petition: the first there is, or a new one."""
    from petitions.models import BulkAction

    existing = BulkAction.objects.filter(petition=petition).order_by("pk").first()
    if existing is not None:
        return existing.pk
    return BulkAction.objects.create(
        petition=petition, kind="invalidate", reason="A sample", state="done"
    ).pk


def pack_sample(petition, by) -> int:
    """A ready delivery pack of the petition, its two files written (small stand-ins)."""
    from delivery.models import DeliveryPack
    from delivery.packs import pack_path

    existing = DeliveryPack.objects.filter(petition=petition, state="done").order_by("pk").first()
    if existing is not None:
        return existing.pk
    pack = DeliveryPack.objects.create(
        petition=petition, by=by, state="done", file_key=f"sample{petition.pk}", fields=["name"]
    )
    pack_path(pack, "pdf").write_bytes(b"%PDF-1.4\n% a sample\n")
    pack_path(pack, "csv").write_bytes("\ufeffPetition,Name\r\n".encode())
    return pack.pk


def workspace_walk(*, petition, signature, update, user, member=None) -> Walk:
    samples = {
        "pk": petition.pk,
        "signature_pk": signature.pk,
        "update_pk": update.pk,
        "user_pk": user.pk,
        "member_pk": member.pk if member else member_sample(petition.organisation),
        "invitation_pk": invitation_sample(user),
        "import_pk": import_sample(petition.organisation, user),
        "token": UNKNOWN_TOKEN,
        "segment_pk": segment_sample(petition.organisation),
        "mailing_pk": mailing_sample(petition.organisation),
        "bulk_pk": bulk_action_sample(petition),
        "pack_pk": pack_sample(petition, user),
        **partner_samples(petition.organisation),
        "language": "fr",  # a petition's translation (its own language is en)
    }
    return Walk(urls=workspace_urls(samples))


def partner_samples(organisation) -> dict:
    """A partner with a token and a webhook endpoint: the Partners section's arguments."""
    from api.models import WebhookEndpoint
    from api.tokens import api_token_create
    from tests.factories import PartnerFactory

    partner = PartnerFactory(organisation=organisation)
    token = api_token_create(partner=partner, name="A sample", scopes=[], by=None).token
    endpoint = WebhookEndpoint.objects.create(
        partner=partner, url="https://hooks.example.org/chorus", secret="whsec_sample"
    )
    return {"partner_pk": partner.pk, "apitoken_pk": token.pk, "endpoint_pk": endpoint.pk}
