"""People: the organisation's staff accounts, their roles, and invitations.

Owners only (auth.* is theirs alone). The rules (last owner, self-deactivation,
one pending invitation per address) are orgs.people's; these views ask, show the
answer, and go back to the list or the person.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Case, IntegerField, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from orgs.models import Invitation
from orgs.people import (
    PeopleRefused,
    invitation_revoke,
    staff_deactivate,
    staff_events_for,
    staff_reactivate,
    staff_role,
    staff_role_set,
)
from staff.access import staff_view
from staff.jobs import invitation_resend, invitation_send
from staff.people_forms import ROLE_HELP, InviteForm, RoleForm


def _staff_accounts():
    inactive_last = Case(When(is_active=True, then=0), default=1, output_field=IntegerField())
    return (
        User.objects.filter(is_staff=True)
        .prefetch_related("groups")
        .order_by(inactive_last, "first_name", "last_name", "username")
    )


def _expiry(invitation: Invitation) -> str:
    return formats.date_format(invitation.expires_at, "j F Y, H:i e")


@staff_view("auth.view_user")
@require_safe
def people_list(request):
    people = list(_staff_accounts())
    for person in people:
        person.role = _("Operator") if person.is_superuser else staff_role(person)
    context = {
        "people": people,
        "invitations": Invitation.objects.pending().select_related("invited_by"),
    }
    return render(request, "staff/people/list.html", context)


@staff_view("auth.change_user")
def people_invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_send(by=request.user, **form.cleaned_data)
        except PeopleRefused as refusal:
            form.add_error("email", str(refusal))
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s as %(role)s. The link works until %(expiry)s.")
                % {
                    "email": invitation.email,
                    "role": invitation.role,
                    "expiry": _expiry(invitation),
                },
            )
            return redirect("staff:people")
    context = {
        "form": form,
        "role_help": ROLE_HELP,
        "invitation_days": settings.STAFF_INVITATION_DAYS,
    }
    return render(request, "staff/people/invite.html", context)


def _pending_invitation(request, invitation_pk: int):
    invitation = get_object_or_404(Invitation, pk=invitation_pk)
    if invitation.accepted_at or invitation.revoked_at:
        messages.info(
            request,
            _("The invitation to %(email)s is no longer pending.") % {"email": invitation.email},
        )
        return None
    return invitation


@staff_view("auth.change_user")
def people_invitation_revoke(request, invitation_pk: int):
    invitation = _pending_invitation(request, invitation_pk)
    if invitation is None:
        return redirect("staff:people")
    if request.method == "POST":
        if invitation_revoke(invitation=invitation, by=request.user):
            messages.success(
                request,
                _("Invitation to %(email)s withdrawn: its link no longer works.")
                % {"email": invitation.email},
            )
        return redirect("staff:people")
    return render(request, "staff/people/invitation_revoke.html", {"invitation": invitation})


@staff_view("auth.change_user")
def people_invitation_resend(request, invitation_pk: int):
    invitation = _pending_invitation(request, invitation_pk)
    if invitation is None:
        return redirect("staff:people")
    if request.method == "POST":
        new = invitation_resend(invitation=invitation, by=request.user)
        if new is not None:
            messages.success(
                request,
                _(
                    "A new invitation link went to %(email)s; the earlier link no longer "
                    "works. The new one works until %(expiry)s."
                )
                % {"email": new.email, "expiry": _expiry(new)},
            )
        return redirect("staff:people")
    context = {"invitation": invitation, "invitation_days": settings.STAFF_INVITATION_DAYS}
    return render(request, "staff/people/invitation_resend.html", context)


def _person(user_pk: int) -> User:
    return get_object_or_404(User.objects.prefetch_related("groups"), pk=user_pk, is_staff=True)


@staff_view("auth.change_user")
def people_person(request, user_pk: int):
    person = _person(user_pk)
    role = staff_role(person)
    form = RoleForm(request.POST or None, initial={"role": role})
    if request.method == "POST" and form.is_valid():
        try:
            staff_role_set(user=person, role=form.cleaned_data["role"], by=request.user)
        except PeopleRefused as refusal:
            form.add_error("role", str(refusal))
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {"name": _name(person), "role": form.cleaned_data["role"]},
            )
            return redirect("staff:people_person", user_pk=person.pk)
    context = {
        "person": person,
        "role": role,
        "form": form,
        "role_help": ROLE_HELP,
        "events": staff_events_for(person)[:50],
        "is_self": person.pk == request.user.pk,
    }
    return render(request, "staff/people/person.html", context)


def _name(person: User) -> str:
    return person.get_full_name() or person.get_username()


@staff_view("auth.change_user")
def people_deactivate(request, user_pk: int):
    person = _person(user_pk)
    if request.method == "POST":
        try:
            staff_deactivate(user=person, by=request.user)
        except PeopleRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("%(name)s is deactivated and has been signed out everywhere.")
                % {"name": _name(person)},
            )
        return redirect("staff:people_person", user_pk=person.pk)
    context = {"person": person, "is_self": person.pk == request.user.pk}
    return render(request, "staff/people/deactivate.html", context)


@staff_view("auth.change_user")
def people_reactivate(request, user_pk: int):
    person = _person(user_pk)
    if request.method == "POST":
        try:
            staff_reactivate(user=person, by=request.user)
        except PeopleRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("%(name)s can sign in again.") % {"name": _name(person)})
        return redirect("staff:people_person", user_pk=person.pk)
    return render(request, "staff/people/reactivate.html", {"person": person})
