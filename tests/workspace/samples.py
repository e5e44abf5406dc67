"""Sample arguments for walking every workspace URL (tests/workspace/walk.py), from real rows.

Tests that must cover every page (accessibility, no internal columns) fill the
vocabulary walk.py knows from objects they made. An argument whose model does not
exist yet (invitations, while the people area is being built) is named as missing,
with the URLs that need it, so a test can say what it left out instead of failing
or, worse, skipping quietly. Any other argument without a sample fails the walk.
"""

from dataclasses import dataclass, field

from django.apps import apps

from tests.workspace.walk import WorkspaceURL, workspace_urls

# Arguments filled from a model that may not exist yet, with the model's name.
LATER_MODELS = {"invitation_pk": "Invitation"}
# A token no view knows: the pages that take one show their refusal, which is a page too.
UNKNOWN_TOKEN = "not-a-real-token"


@dataclass
class Walk:
    urls: list[WorkspaceURL]
    skipped: dict[str, str] = field(default_factory=dict)  # path -> why

    def report(self) -> str:
        lines = [f"checked {len(self.urls)} workspace URLs:"]
        lines += [f"  {u.path} ({u.name})" for u in self.urls]
        lines += [f"  skipped {path}: {why}" for path, why in self.skipped.items()]
        return "\n".join(lines)


def model_named(name: str):
    return next((m for m in apps.get_models() if m.__name__ == name), None)


def invitation_sample(inviter) -> int | None:
    """An invitation's pk, if the model exists: an existing row, or one from the factory."""
    model = model_named(LATER_MODELS["invitation_pk"])
    if model is None:
        return None
    existing = model.objects.order_by("pk").first()
    if existing is not None:
        return existing.pk
    from tests import factories

    factory = getattr(factories, "InvitationFactory", None)
    if factory is None:  # the people area's own service makes one as the workspace would
        from orgs.people import invitation_create
        from orgs.roles import roles_ensure

        roles_ensure()
        return invitation_create(email="invited@example.org", role="Analyst", by=inviter).pk
    return factory(**({"invited_by": inviter} if hasattr(model, "invited_by") else {})).pk


def member_sample(organisation) -> int:
    """A member of the organisation: the first there is, or one from the factory."""
    from members.models import Member
    from tests.factories import MemberFactory

    existing = Member.objects.filter(organisation=organisation).order_by("pk").first()
    return (existing or MemberFactory(organisation=organisation)).pk


def workspace_walk(*, petition, signature, update, user, member=None) -> Walk:
    samples = {
        "pk": petition.pk,
        "signature_pk": signature.pk,
        "update_pk": update.pk,
        "user_pk": user.pk,
        "member_pk": member.pk if member else member_sample(petition.organisation),
        "token": UNKNOWN_TOKEN,
    }
    missing = {}
    invitation = invitation_sample(user)
    if invitation is None:
        missing["invitation_pk"] = "the Invitation model does not exist yet"
    else:
        samples["invitation_pk"] = invitation
    placeholders = {name: f"__missing_{name}__" for name in missing}
    walk = Walk(urls=[])
    for url in workspace_urls(samples | placeholders):
        needs = [name for name, mark in placeholders.items() if mark in url.path]
        if needs:
            walk.skipped[url.path] = "; ".join(missing[name] for name in needs)
        else:
            walk.urls.append(url)
    return walk
