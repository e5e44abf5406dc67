"""A petition's updates in the workspace: the list, writing, editing, deleting."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from mailings.models import Mailing
from mailings.outcome import update_mailing
from petitions.models import Update
from petitions.pages import render_markdown
from petitions.services import update_create, update_delete, update_edit
from staff.access import staff_view
from staff.forms_petition_tabs import UpdateEmailForm
from staff.views.petition_outcome import update_email_after_save
from staff.views.petition_tabs import petition_for, tab_context


@staff_view("petitions.view_petition")
@require_safe
def update_list(request, pk: int):
    petition = petition_for(pk)
    updates = list(petition.updates.order_by("-published_at", "-id"))
    emailed = {
        m.update_id: m
        for m in Mailing.objects.filter(update__in=updates).only(
            "id", "update_id", "state", "scheduled_at", "started_at", "finished_at"
        )
    }
    updates = [(update, emailed.get(update.pk)) for update in updates]
    context = tab_context(petition, "updates", updates=updates, now=timezone.now())
    return render(request, "staff/petition_tabs/updates.html", context)


@staff_view("petitions.add_update")
def update_new(request, pk: int):
    petition = petition_for(pk)
    form = UpdateEmailForm(request.POST or None, initial={"published_at": _now_minute()})
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        email = form.cleaned_data.pop("email_signers")
        update = update_create(petition=petition, by=request.user, **form.cleaned_data)
        messages.success(request, _("Update saved."))
        if email:
            update_email_after_save(request, update)
        return redirect("staff:petition_updates", pk=petition.pk)
    return _form_page(request, petition, form, update=None)


@staff_view("petitions.change_update")
def update_edit_view(request, pk: int, update_pk: int):
    petition = petition_for(pk)
    update = get_object_or_404(Update, pk=update_pk, petition=petition)
    form = UpdateEmailForm(request.POST or None, instance=update)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        email = form.cleaned_data.pop("email_signers")
        update = update_edit(update=update, by=request.user, **form.cleaned_data)
        messages.success(request, _("Update saved."))
        if email and update_mailing(update) is None:
            update_email_after_save(request, update)
        return redirect("staff:petition_updates", pk=petition.pk)
    return _form_page(request, petition, form, update=update)


def _form_page(request, petition, form, *, update):
    preview = None
    if form.is_bound and "preview" in request.POST and "body" in form.cleaned_data:
        preview = render_markdown(form.cleaned_data["body"])
    status = 400 if form.is_bound and form.errors else 200
    context = tab_context(
        petition,
        "updates",
        form=form,
        update=update,
        preview=preview,
        mailing=update_mailing(update) if update else None,
        now=timezone.now(),
    )
    return render(request, "staff/petition_tabs/update_form.html", context, status=status)


@staff_view("petitions.delete_update")
def update_delete_view(request, pk: int, update_pk: int):
    petition = petition_for(pk)
    update = get_object_or_404(Update, pk=update_pk, petition=petition)
    if request.method == "POST":
        update_delete(update=update, by=request.user)
        messages.success(request, _("Deleted the update “%(title)s”.") % {"title": update.title})
        return redirect("staff:petition_updates", pk=petition.pk)
    context = tab_context(petition, "updates", update=update)
    return render(request, "staff/petition_tabs/update_delete.html", context)


def _now_minute():
    return timezone.now().replace(second=0, microsecond=0)
