"""Staff accounts: invitations, roles, deactivation, and the log of who did what.

A role is one of the groups in orgs.roles.ROLES; an account holds at most one. Every
change here is logged as a StaffEvent in the same transaction. The rules that keep an
organisation from locking itself out (never without an active owner, nobody
deactivating themselves) live here, so the workspace and any later tool share them.
"""

import base64
import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lib.dblock import serialise
from orgs.audit import Action, audit_covered, audit_record, audit_target
from orgs.models import Invitation, StaffEvent
from orgs.roles import ROLES, roles_ensure
from orgs.signin import sessions_end

OWNER = "Owner"


class PeopleRefused(Exception):
    """A people action the rules refuse; the message says why, for the person acting."""


# --- Roles -----------------------------------------------------------------------------------


def staff_role(user: User) -> str:
    """The account's role name, "" if it has none (superusers are operators, not a role)."""
    names = [g.name for g in user.groups.all() if g.name in ROLES]
    return names[0] if names else ""


def _role_group(name: str) -> Group:
    group = Group.objects.filter(name=name).first()
    if group is None:  # an installation that never ran chorus_roles
        roles_ensure()
        group = Group.objects.get(name=name)
    return group


def _active_owners():
    return User.objects.filter(is_active=True, is_staff=True, groups__name=OWNER)


def _is_last_active_owner(user: User) -> bool:
    # Locking every active owner's row makes two owners demoting each other at once
    # wait for one another, so one of them is refused instead of both succeeding.
    owners = list(_active_owners().select_for_update().values_list("pk", flat=True))
    return owners == [user.pk]


def _operator_refused(user: User) -> None:
    if user.is_superuser:
        raise PeopleRefused(
            f"{user.get_username()} is an operator's account (superuser): change it in the "
            "operators' admin, not here."
        )


def staff_role_set(*, user: User, role: str, by: User) -> None:
    if role not in ROLES:
        raise PeopleRefused(f"There is no role called “{role}”.")
    with transaction.atomic():
        _operator_refused(user)
        before = staff_role(user)
        if before == role:
            return
        if before == OWNER and _is_last_active_owner(user):
            raise PeopleRefused(
                f"{user.get_username()} is the only active owner. Make someone else an owner "
                "first, so that somebody can still manage people."
            )
        with audit_covered():
            user.groups.remove(*Group.objects.filter(name__in=ROLES))
            user.groups.add(_role_group(role))
        StaffEvent.objects.create(
            actor=by,
            action=StaffEvent.Action.ROLE_CHANGED,
            user=user,
            detail=f"{before or 'No role'} → {role}",
        )
        summary = f"Role changed: {before or 'no role'} → {role}"
        _audit(by, user, summary, {"before": before or "no role", "after": role})


def staff_deactivate(*, user: User, by: User) -> None:
    """Closes the account: it can no longer sign in, and its open sessions end now."""
    with transaction.atomic():
        _operator_refused(user)
        if user.pk == by.pk:
            raise PeopleRefused(
                "You cannot deactivate your own account. Ask another owner to do it."
            )
        if not user.is_active:
            return
        if staff_role(user) == OWNER and _is_last_active_owner(user):
            raise PeopleRefused(
                f"{user.get_username()} is the only active owner. Make someone else an owner "
                "first, so that somebody can still manage people."
            )
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        StaffEvent.objects.create(actor=by, action=StaffEvent.Action.DEACTIVATED, user=user)
        _audit(by, user, "Account deactivated", {"role": staff_role(user) or "no role"})
        sessions_end(user=user)


def staff_reactivate(*, user: User, by: User) -> None:
    """Opens the account again with the role it had; it signs in with its own password
    and authenticator app, as before."""
    with transaction.atomic():
        _operator_refused(user)
        if user.is_active:
            return
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        StaffEvent.objects.create(actor=by, action=StaffEvent.Action.REACTIVATED, user=user)
        _audit(by, user, "Account reactivated", {"role": staff_role(user) or "no role"})


def _audit(by, user: User, summary: str, detail: dict) -> None:
    # The account is named by its id: the page shows today's username beside it.
    audit_record(
        by=by, action=Action.ROLE, summary=summary, target=audit_target(user), detail=detail
    )


def staff_events_for(user: User):
    """The history of one account: its invitation, and everything done to it."""
    return (
        StaffEvent.objects.filter(Q(user=user) | Q(invitation__accepted_user=user))
        .select_related("actor", "user", "invitation")
        .distinct()
    )


# --- Invitations -----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The secret in the invitation link, derived from the row's nonce and SECRET_KEY."""
    digest = salted_hmac(
        "chorus.orgs.invitation", invitation.token_nonce, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email_refusal(email: str) -> str:
    accounts = User.objects.filter(email__iexact=email)
    if accounts.filter(is_active=True).exists():
        return f"{email} already has an account in this workspace."
    if accounts.exists():
        return (
            f"{email} has a deactivated account. Open it from People and reactivate it "
            "instead of inviting again."
        )
    if Invitation.objects.pending().filter(email__iexact=email).exists():
        return (
            f"{email} already has an invitation waiting. To send the link again, resend "
            "it from People."
        )
    return ""


def invitation_create(*, email: str, role: str, by: User) -> Invitation:
    """Stores an invitation; the caller records its email in the same transaction
    (staff.jobs.invitation_send does both)."""
    email = email.strip()
    if role not in ROLES:
        raise PeopleRefused(f"There is no role called “{role}”.")
    with transaction.atomic():
        # Two owners inviting one address at once: the second waits, then is refused.
        serialise(f"orgs.invitation:{email.lower()}")
        refusal = _email_refusal(email)
        if refusal:
            raise PeopleRefused(refusal)
        nonce = secrets.token_urlsafe(16)
        invitation = Invitation(
            email=email,
            role=role,
            token_nonce=nonce,
            invited_by=by,
            expires_at=timezone.now() + timedelta(days=settings.STAFF_INVITATION_DAYS),
        )
        invitation.token_hash = _token_hash(invitation_token(invitation))
        invitation.save()
        StaffEvent.objects.create(
            actor=by, action=StaffEvent.Action.INVITED, invitation=invitation, detail=role
        )
        audit_record(  # the address invited stays in the invitation, not in the log
            by=by,
            action=Action.ROLE,
            summary=f"Invited a colleague as {role}",
            target=audit_target(invitation),
            detail={"role": role},
        )
    return invitation


def invitation_revoke(*, invitation: Invitation, by: User) -> bool:
    """Withdraws a pending invitation: its link stops working. False if it was no
    longer pending (accepted, expired or withdrawn meanwhile)."""
    with transaction.atomic():
        now = timezone.now()
        withdrawn = (
            Invitation.objects.pending(now=now).filter(pk=invitation.pk).update(revoked_at=now)
        )
        if withdrawn:
            invitation.revoked_at = now
            StaffEvent.objects.create(
                actor=by,
                action=StaffEvent.Action.INVITATION_REVOKED,
                invitation=invitation,
                detail=invitation.email,
            )
            audit_record(
                by=by,
                action=Action.ROLE,
                summary=f"Withdrew an invitation as {invitation.role}",
                target=audit_target(invitation),
                detail={"role": invitation.role},
            )
    return bool(withdrawn)


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation this link's token belongs to, or None for any other."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.pending()
        .filter(token_hash=_token_hash(token))
        .select_related("invited_by")
        .first()
    )


def username_suggested(email: str) -> str:
    """A free username from the address's local part ("ada.l" for ada.l@example.org)."""
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0])[:140] or "colleague"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def invitation_accept(
    *,
    invitation: Invitation,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Makes the invitee's account with the invitation's role and uses the invitation up.

    Raises ValidationError for a username or password the invitee must change, and
    PeopleRefused when the invitation stopped working meanwhile (used in another tab,
    withdrawn, expired).
    """
    user = User(
        username=username, email=invitation.email, first_name=first_name, last_name=last_name
    )
    user.is_staff = True
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken. Choose another."})
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    try:
        with transaction.atomic():
            now = timezone.now()
            used = (
                Invitation.objects.pending(now=now)
                .filter(pk=invitation.pk)
                .update(accepted_at=now)
            )
            if not used:
                raise PeopleRefused("This invitation link no longer works.")
            with audit_covered():
                user.save()
                user.groups.add(_role_group(invitation.role))
            Invitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
            audit_record(
                by=user,
                action=Action.ROLE,
                summary=f"Accepted an invitation: a new staff account as {invitation.role}",
                target=audit_target(user),
                detail={"role": invitation.role, "invitation": invitation.pk},
            )
            StaffEvent.objects.create(
                actor=user,
                action=StaffEvent.Action.INVITATION_ACCEPTED,
                user=user,
                invitation=invitation,
                detail=invitation.role,
            )
    except IntegrityError as error:  # the same username taken a moment ago
        raise ValidationError({"username": "That username is taken. Choose another."}) from error
    return user
