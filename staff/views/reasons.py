"""Signers' reasons on a petition: what the public page shows, and hiding any of them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from petitions.models import Petition, Signature
from petitions.services import signature_comment_hide
from staff.access import staff_view

PAGE_SIZE = 50


def _public_reasons(petition: Petition):
    """Reasons signers chose to show (show_name is their consent), hidden ones included."""
    return (
        Signature.objects.filter(
            petition=petition, state=Signature.State.CONFIRMED, show_name=True
        )
        .exclude(comment="")
        .order_by("-confirmed_at", "-pk")
    )


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return max(1, int(value)) if value.isdigit() else 1


@staff_view("petitions.view_signature")
@require_safe
def petition_reasons(request, pk):
    petition = get_object_or_404(Petition, pk=pk)
    page = _page_number(request)
    start = (page - 1) * PAGE_SIZE
    # One more row than shown says whether a next page exists, without counting them all.
    rows = list(
        _public_reasons(petition)
        .only(
            "pk",
            "first_name",
            "last_name",
            "country",
            "comment",
            "confirmed_at",
            "comment_hidden",
            "hidden_at",
            "hidden_by__username",
        )
        .select_related("hidden_by")[start : start + PAGE_SIZE + 1]
    )
    return render(
        request,
        "staff/reasons/list.html",
        {
            "petition": petition,
            "reasons": rows[:PAGE_SIZE],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "can_hide": request.user.has_perm("petitions.change_signature"),
        },
    )


@staff_view("petitions.change_signature")
@require_POST
def petition_reason_hide(request, pk, signature_pk):
    petition = get_object_or_404(Petition, pk=pk)
    signature = get_object_or_404(_public_reasons(petition), pk=signature_pk)
    hidden = request.POST.get("hidden") == "1"
    signature_comment_hide(signature=signature, hidden=hidden, by=request.user)
    name = f"{signature.first_name} {signature.last_name[:1]}."
    if hidden:
        messages.success(
            request,
            _("%(name)s's reason is hidden; it leaves the public page within seconds.")
            % {"name": name},
        )
    else:
        messages.success(
            request, _("%(name)s's reason is shown on the public page again.") % {"name": name}
        )
    page = request.POST.get("page", "1")
    page = page if page.isdigit() else "1"
    return redirect(reverse("staff:petition_reasons", args=[petition.pk]) + f"?page={page}")
