"""A petition's Delivery tab: the packs for its target (made in the background, listed,
downloaded, deleted) and the milestone emails to the target.

Campaigners set the milestones; only staff who may export personal data see, make and
download packs, and every download is written to the export log and the audit log.
"""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from delivery.milestones import MilestonesRefused, milestones_parse, milestones_set
from delivery.models import DeliveryMilestones, DeliveryPack, MilestoneSent
from delivery.packs import (
    PackRefused,
    pack_cancel,
    pack_delete,
    pack_file_path,
    pack_filename,
    pack_progress,
    pack_start,
)
from lib.addresses import InvalidEmail, email_normalise
from orgs.exports import export_allowed, personal_data_file_export
from petitions.models import Petition
from petitions.selectors import petition_counts
from staff.access import staff_view
from staff.views.petition_tabs import petition_for, tab_context

TAB_PERMISSION = "petitions.change_petition"
EXPORT_PERMISSION = "orgs.export_personal_data"
PACKS_LISTED = 20


def _pack(petition: Petition, pack_pk: int) -> DeliveryPack:
    return get_object_or_404(
        DeliveryPack.objects.select_related("petition", "by"), pk=pack_pk, petition=petition
    )


def _milestones(petition: Petition) -> DeliveryMilestones:
    return DeliveryMilestones.objects.filter(petition=petition).first() or DeliveryMilestones(
        petition=petition
    )


@staff_view(TAB_PERMISSION)
@require_safe
def delivery_tab(request, pk: int):
    return _tab(request, petition_for(pk))


def _tab(request, petition: Petition, *, errors: dict | None = None, typed: dict | None = None):
    milestones = _milestones(petition)
    context = tab_context(
        petition,
        "delivery",
        milestones=milestones,
        milestones_text=" ".join(f"{m:,}" for m in milestones.milestones),
        sent=MilestoneSent.objects.filter(petition=petition).order_by("-milestone")[:20],
        errors=errors or {},
        typed=typed or {},
        may_export=export_allowed(request.user),
        shared=[
            _(label) for key, label in Petition.DELIVERY_FIELDS if key in petition.delivery_fields
        ],
        retention_days=settings.DELIVERY_PACK_DAYS,
        confirmed=petition_counts(petition_id=petition.pk)["total"].get("", 0),
    )
    if context["may_export"]:
        packs = list(
            DeliveryPack.objects.filter(petition=petition).select_related("by")[:PACKS_LISTED]
        )
        for pack in packs:
            pack.progress = pack_progress(pack)
        context["packs"] = packs
        context["running"] = any(pack.state == DeliveryPack.State.RUNNING for pack in packs)
    return render(
        request, "staff/petition_tabs/delivery.html", context, status=400 if errors else 200
    )


@staff_view(EXPORT_PERMISSION)
@require_POST
def delivery_pack_new(request, pk: int):
    petition = petition_for(pk)
    try:
        pack_start(petition=petition, by=request.user)
    except PackRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, _("The delivery pack is being made. You can leave this page and come back.")
        )
    return redirect("staff:petition_delivery", pk=petition.pk)


@staff_view(EXPORT_PERMISSION)
@require_POST
def delivery_pack_cancel(request, pk: int, pack_pk: int):
    pack = _pack(petition_for(pk), pack_pk)
    if pack_cancel(pack=pack):
        messages.success(request, _("Cancelled. What was written so far is deleted."))
    else:
        messages.error(request, _("This pack was no longer being made."))
    return redirect("staff:petition_delivery", pk=pk)


@staff_view(EXPORT_PERMISSION)
@require_POST
def delivery_pack_delete(request, pk: int, pack_pk: int):
    pack = _pack(petition_for(pk), pack_pk)
    if pack_delete(pack=pack):
        messages.success(request, _("The pack’s files are deleted."))
    else:
        messages.error(request, _("This pack cannot be deleted now: it is being made or gone."))
    return redirect("staff:petition_delivery", pk=pk)


def _download(request, pk: int, pack_pk: int, extension: str, what: str):
    pack = _pack(petition_for(pk), pack_pk)
    path = pack_file_path(pack, extension)
    if path is None:
        raise Http404("This pack is not ready, or its files are deleted.")
    personal_data_file_export(
        user=request.user,
        what=f"{what} of “{pack.petition.title}” (delivery pack {pack.pk})",
        scope=f"petition id {pack.petition_id}; delivery pack {pack.pk}; "
        f"fields: {', '.join(pack.fields) or 'none'}",
        format=extension,
        row_count=pack.rows_done if extension == "csv" else pack.comments,
    )
    content_type = "text/csv; charset=utf-8" if extension == "csv" else "application/pdf"
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=pack_filename(pack, extension),
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view(EXPORT_PERMISSION)
@require_safe
def delivery_pack_pdf(request, pk: int, pack_pk: int):
    return _download(request, pk, pack_pk, "pdf", "Delivery PDF")


@staff_view(EXPORT_PERMISSION)
@require_safe
def delivery_pack_csv(request, pk: int, pack_pk: int):
    return _download(request, pk, pack_pk, "csv", "Delivery CSV")


@staff_view(TAB_PERMISSION)
@require_POST
def delivery_milestones(request, pk: int):
    petition = petition_for(pk)
    typed = {
        "target_email": request.POST.get("target_email", "")[:300].strip(),
        "milestones": request.POST.get("milestones", "")[:300],
    }
    errors, address, numbers = {}, "", []
    if typed["target_email"]:
        try:
            address = email_normalise(typed["target_email"])
        except InvalidEmail:
            errors["target_email"] = _("Enter a valid email address, such as name@example.org.")
    try:
        numbers = milestones_parse(typed["milestones"])
    except MilestonesRefused as refused:
        errors["milestones"] = str(refused)
    if numbers and not address and "target_email" not in errors:
        errors["target_email"] = _("Enter the target’s email address to send milestones to.")
    if errors:
        return _tab(request, petition, errors=errors, typed=typed)
    milestones_set(petition=petition, target_email=address, milestones=numbers, by=request.user)
    messages.success(request, _("Milestones saved."))
    return redirect("staff:petition_delivery", pk=petition.pk)
