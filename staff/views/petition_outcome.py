"""A petition's outcome in the workspace: the target's response, signing after a victory,
and emailing an update to the signers who agreed to hear (mailings.outcome)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mailings.outcome import (
    UpdateEmailRefused,
    petition_signers_mailable_count,
    update_email,
    update_email_problems,
    update_mailing,
)
from petitions.models import Petition, Update
from petitions.services import (
    OutcomeRefused,
    petition_response_set,
    petition_signing_after_victory,
)
from staff.access import staff_view
from staff.forms_petition_tabs import ResponseForm, SigningAfterVictoryForm
from staff.views.petition_tabs import petition_for, tab_context


@staff_view("petitions.change_petition")
def petition_outcome(request, pk: int):
    """The target's response (and, once won, whether signing goes on)."""
    petition = petition_for(pk)
    initial = {
        "text": petition.response_text,
        "on": petition.response_on,
        "url": petition.response_url,
    }
    won = petition.status == Petition.Status.WON
    form = ResponseForm(request.POST if "response" in request.POST else None, initial=initial)
    signing = SigningAfterVictoryForm(
        request.POST if "signing" in request.POST else None,
        initial={"keep_signing": petition.keeps_signing},
    )
    status = 200
    if form.is_bound and form.is_valid():
        try:
            changed = petition_response_set(
                petition=petition, by=request.user, **form.cleaned_data
            )
        except OutcomeRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Response saved.") if changed else _("Nothing changed."))
            return redirect("staff:petition_outcome", pk=petition.pk)
    if won and signing.is_bound and signing.is_valid():
        keep = signing.cleaned_data["keep_signing"]
        try:
            petition_signing_after_victory(petition=petition, keep_signing=keep, by=request.user)
        except OutcomeRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                _("The petition keeps collecting signatures.") if keep else _("Signing stopped."),
            )
        return redirect("staff:petition_outcome", pk=petition.pk)
    if form.is_bound and form.errors:
        status = 400
    context = tab_context(petition, "outcome", form=form, signing=signing, won=won)
    return render(request, "staff/petition_tabs/outcome.html", context, status=status)


@staff_view("mailings.send_mailing")
def update_email_view(request, pk: int, update_pk: int):
    """Ask once, saying to how many people, then email the update (never twice)."""
    petition = petition_for(pk)
    update = get_object_or_404(Update, pk=update_pk, petition=petition)
    if request.method == "POST":
        try:
            update_email(update=update, by=request.user)
        except UpdateEmailRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("The update will be emailed to the signers who agreed to hear.")
            )
        return redirect("staff:petition_updates", pk=petition.pk)
    context = tab_context(
        petition,
        "updates",
        update=update,
        mailing=update_mailing(update),
        problems=update_email_problems(update),
        recipients=petition_signers_mailable_count(petition),
        now=timezone.now(),
    )
    return render(request, "staff/petition_tabs/update_email.html", context)


def update_email_after_save(request, update: Update) -> None:
    """The form's "email this update" box, ticked: email it, or say why not."""
    if not request.user.has_perm("mailings.send_mailing"):
        messages.error(request, _("You may not email signers; the update was saved only."))
        return
    try:
        update_email(update=update, by=request.user)
    except UpdateEmailRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("It will be emailed to the signers who agreed to hear."))
